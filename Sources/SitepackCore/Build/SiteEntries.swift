#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The entries of a scanned site in archive order, packed: every name's bytes in one array and a
/// fixed-size record per entry, so a site of 100,000 files costs a few megabytes, not a few hundred
/// bytes of separately allocated strings per file. ``SiteEntry`` values are made on demand.
public struct SiteEntries: RandomAccessCollection, Sendable {
    /// Where one name lives in ``names``.
    struct Span: Sendable {
        var start: UInt32
        var count: UInt32
        static let none = Span(start: 0, count: UInt32.max)
    }

    /// One entry; `source` is `.none` when the source path is the archive path under the site root.
    struct Record: Sendable {
        var archive: Span
        var source: Span
        var target: Span
        var size: Int64
        var mtime: Int64
        var kind: UInt8
        var mode: UInt16
    }

    static let fileKind: UInt8 = 0, directoryKind: UInt8 = 1, symlinkKind: UInt8 = 2

    private var names: [UInt8] = []
    private var records: [Record] = []
    /// The site folder's real path, which source paths are relative to.
    public let sourceRoot: String
    /// The archive's top folder (the first entry's path).
    private let prefix: String

    /// An empty list for a site at `sourceRoot` packed under `prefix`.
    init(sourceRoot: String, prefix: String) {
        self.sourceRoot = sourceRoot
        self.prefix = prefix
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { records.count }

    /// The entry at `index`, with its paths as strings.
    public subscript(index: Int) -> SiteEntry {
        let record = records[index]
        let sourcePath = Self.relativeSource(of: record, prefixCount: prefix.utf8.count).map { sourceRoot + "/" + string($0) } ?? sourceRoot
        let (kind, mode) = tarHeader(at: index)
        return SiteEntry(archivePath: string(record.archive), sourcePath: sourcePath, kind: kind, mode: mode, mtime: record.mtime)
    }

    /// Where an entry's source path below the site root lies in ``names``: its own name when NFC changed
    /// it, else its archive path without the prefix; nil for the top folder (the site root itself).
    private static func relativeSource(of record: Record, prefixCount: Int) -> Span? {
        if record.source.count != Span.none.count { return record.source }
        let skip = UInt32(prefixCount + 1)
        guard record.archive.count >= skip else { return nil }
        return Span(start: record.archive.start + skip, count: record.archive.count - skip)
    }

    /// Whether the entry at `index` is a regular file, and its size (nil otherwise), without making strings.
    public func fileSize(at index: Int) -> Int64? {
        records[index].kind == Self.fileKind ? records[index].size : nil
    }

    /// The archive path of the entry at `index` as UTF-8 bytes, lent to `body` (no string is made).
    func withArchivePath<Result>(at index: Int, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        let span = records[index].archive
        return try names.withUnsafeBytes { arena in
            try body(UnsafeRawBufferPointer(rebasing: arena[Int(span.start)..<Int(span.start + span.count)]))
        }
    }

    /// What the entry at `index` is in the tar stream, and its mode (a string only for a symlink's target).
    func tarHeader(at index: Int) -> (kind: TarEntryKind, mode: UInt32) {
        let record = records[index]
        switch record.kind {
        case Self.fileKind: return (.file(size: record.size), UInt32(record.mode))
        case Self.directoryKind: return (.directory, UInt32(record.mode))
        default: return (.symlink(target: string(record.target)), UInt32(record.mode))
        }
    }

    /// Where the entry at `index` (not the top folder) is read from, as UTF-8 bytes lent to `body`:
    /// its folder relative to ``sourceRoot`` (empty for the root) and its name in that folder.
    func withSourceLocation<Result>(at index: Int, _ body: (_ folder: UnsafeRawBufferPointer, _ name: UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        let span = Self.relativeSource(of: records[index], prefixCount: prefix.utf8.count) ?? Span(start: 0, count: 0)
        return try names.withUnsafeBytes { arena in
            let path = UnsafeRawBufferPointer(rebasing: arena[Int(span.start)..<Int(span.start + span.count)])
            guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else {
                return try body(UnsafeRawBufferPointer(rebasing: path[0..<0]), path)
            }
            return try body(UnsafeRawBufferPointer(rebasing: path[..<slash]), UnsafeRawBufferPointer(rebasing: path[(slash + 1)...]))
        }
    }

    /// The source path of the entry at `index` (the only string a reader thread needs).
    public func sourcePath(at index: Int) -> String {
        self[index].sourcePath
    }

    /// Components of the entry's archive path (`site/a/b.html` has 3).
    func depth(at index: Int) -> Int {
        let span = records[index].archive
        var depth = 1
        for offset in 0..<Int(span.count) where names[Int(span.start) + offset] == UInt8(ascii: "/") { depth += 1 }
        return depth
    }

    /// Appends an entry; `relativeSource` is the source path below the site root when it differs from the
    /// archive path below the prefix (a name normalised to NFC).
    mutating func append(archivePath: String, relativeSource: String?, kind: TarEntryKind, mode: UInt32, mtime: Int64) throws {
        var record = Record(archive: try store(archivePath), source: .none, target: .none, size: 0, mtime: mtime, kind: Self.directoryKind, mode: UInt16(mode & 0o7777))
        if let relativeSource { record.source = try store(relativeSource) }
        switch kind {
        case .file(let size):
            record.kind = Self.fileKind
            record.size = size
        case .directory:
            record.kind = Self.directoryKind
        case .symlink(let target):
            record.kind = Self.symlinkKind
            record.target = try store(target)
        }
        records.append(record)
    }

    /// Appends the entries of `other` (scanned from the same root under the same prefix).
    mutating func append(contentsOf other: SiteEntries) throws {
        guard names.count + other.names.count < Int(UInt32.max) else {
            throw SitepackError(.unpackable, "the site's names add up to more than 4 GB: pack it in parts")
        }
        let offset = UInt32(names.count)
        func moved(_ span: Span) -> Span { span.count == Span.none.count ? span : Span(start: span.start + offset, count: span.count) }
        names += other.names
        records.reserveCapacity(records.count + other.records.count)
        for var record in other.records {
            (record.archive, record.source, record.target) = (moved(record.archive), moved(record.source), moved(record.target))
            records.append(record)
        }
    }

    /// Sorts the entries byte-wise by archive path (the archive's order) and returns the source paths
    /// of the first two entries that share an archive path, if any.
    mutating func sortByArchivePath() -> (String, String)? {
        let names = self.names
        var records = self.records
        self.records = []
        let prefixCount = prefix.utf8.count
        names.withUnsafeBufferPointer { arena in
            // Ties (names equal once NFC-normalised) fall back to the source names, so the order never
            // depends on the order the scan found them in.
            records.sort {
                let order = Self.compare(arena, $0.archive, $1.archive)
                if order != 0 { return order < 0 }
                let (a, b) = (Self.relativeSource(of: $0, prefixCount: prefixCount), Self.relativeSource(of: $1, prefixCount: prefixCount))
                return Self.compare(arena, a ?? $0.archive, b ?? $1.archive) < 0
            }
        }
        self.records = records
        let clash = names.withUnsafeBufferPointer { arena in
            records.indices.dropFirst().first { Self.compare(arena, records[$0 - 1].archive, records[$0].archive) == 0 }
        }
        return clash.map { (self[$0 - 1].sourcePath, self[$0].sourcePath) }
    }

    private static func compare(_ arena: UnsafeBufferPointer<UInt8>, _ a: Span, _ b: Span) -> Int {
        let common = Int(Swift.min(a.count, b.count))
        if common > 0, let base = arena.baseAddress {
            let order = memcmp(base + Int(a.start), base + Int(b.start), common)
            if order != 0 { return Int(order) }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    private mutating func store(_ text: String) throws -> Span {
        let count = text.utf8.count
        guard names.count + count < Int(UInt32.max) else {
            throw SitepackError(.unpackable, "the site's names add up to more than 4 GB: pack it in parts")
        }
        let span = Span(start: UInt32(names.count), count: UInt32(count))
        names.append(contentsOf: text.utf8)
        return span
    }

    private func string(_ span: Span) -> String {
        names.withUnsafeBufferPointer { arena in
            String(decoding: UnsafeBufferPointer(rebasing: arena[Int(span.start)..<Int(span.start + span.count)]), as: UTF8.self)
        }
    }
}
