import Crypto

/// What an archive holds, path by path, as the manifest comparison needs it: each entry's type, mode,
/// size, content sha256 and symlink target, read from the archive itself (never from its headers alone).
struct ArchiveInventory {
    /// One path's record; a later entry for the same path replaces it.
    struct Entry: Equatable {
        var type: Manifest.Entry.Kind
        var mode: UInt32
        var size: Int64
        var sha256: String?
        var target: String?
    }

    /// Every normalized path seen.
    private(set) var entries: [String: Entry] = [:]
    /// The paths in the order they first appeared.
    private(set) var order: [String] = []
    /// Regular files read (hard links included).
    private(set) var files = 0
    /// Their total size.
    private(set) var bytes: Int64 = 0

    /// Records the entry `reader` is on under its normalized `path` ("" when it has none, then it is
    /// read but not recorded), reading (and hashing) its data.
    mutating func record(_ header: ArchiveEntryHeader, at path: String, from reader: inout ArchiveReader) throws {
        var entry = Entry(type: .file, mode: header.permissions, size: header.size)
        switch header.kind {
        case .file, .hardlink:
            var hasher = SHA256()
            var fileSize: Int64 = 0
            while let (block, _) = try reader.readBlock() {
                hasher.update(bufferPointer: block)
                fileSize += Int64(block.count)
            }
            files += 1
            bytes += fileSize
            entry.size = fileSize
            entry.sha256 = hasher.finalize().hex
            if case .hardlink(let target) = header.kind,
               let original = entries[(try? ExtractionPolicy.normalize(target, entry: header.path, what: "target")) ?? target] {
                entry.size = original.size
                entry.sha256 = original.sha256
            }
        case .directory:
            entry.type = .directory
            entry.size = 0
        case .symlink(let target):
            entry.type = .symlink
            entry.size = 0
            entry.target = target
        default:
            try reader.skipData()
        }
        if !path.isEmpty {
            if entries[path] == nil { order.append(path) }
            entries[path] = entry
        }
    }
}
