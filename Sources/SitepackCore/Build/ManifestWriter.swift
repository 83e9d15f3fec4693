import Foundation

/// Writes a build's `manifest.json` straight to a file, entry by entry, from the packed entries and
/// their digests, byte for byte what ``Manifest/encoded()`` writes for the same manifest, without
/// holding a ``Manifest/Entry`` per file or JSONEncoder's tree of the whole list in memory.
///
/// Everything but the `files` list goes through ``Manifest/encoded()`` itself (on the manifest with an
/// empty list); the list is spliced in where that empty list stands. Strings are written as is when
/// they are plain printable ASCII without `"` or `\`, else through JSONEncoder, so escaping cannot differ.
struct ManifestWriter {
    /// Where the empty `files` list stands in ``Manifest/encoded()``'s output (keys sorted, two-space indent).
    static let emptyFiles = Array("\n  \"files\" : [\n\n  ]".utf8)

    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private var buffer: [UInt8] = []

    /// A writer handing its bytes to `sink` in blocks of about 64 KiB.
    init(sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.sink = sink
        buffer.reserveCapacity(1 << 16)
    }

    /// Writes `manifest` (whose `files` must be empty) with the entries of `entries` as its `files`;
    /// `digests` holds the 32-byte sha256 of every regular file, in archive order.
    mutating func write(_ manifest: Manifest, entries: SiteEntries, digests: [UInt8]) throws {
        precondition(manifest.files.isEmpty, "the files list is written from the entries")
        let whole = try manifest.encoded()
        guard let range = Self.find(Self.emptyFiles, in: whole) else {
            throw SitepackError(.io, "cannot lay out manifest.json: its files list is not where JSONEncoder puts it")
        }
        let head = range.lowerBound + Self.emptyFiles.count - "[\n\n  ]".utf8.count
        try append(whole[..<head])
        if entries.isEmpty {
            try append("[\n\n  ]".utf8)
        } else {
            try append("[\n".utf8)
            var fileNumber = 0
            for index in entries.indices {
                if index > 0 { try append(",\n".utf8) }
                let (kind, mode) = entries.tarHeader(at: index)
                var digest: ArraySlice<UInt8>?
                if case .file = kind {
                    digest = digests[(fileNumber * 32)..<(fileNumber * 32 + 32)]
                    fileNumber += 1
                }
                try entries.withArchivePath(at: index) { try writeEntry(path: $0, kind: kind, mode: mode, digest: digest) }
            }
            try append("\n  ]".utf8)
        }
        try append(whole[range.upperBound...])
        try flush()
    }

    /// One entry at depth 2, keys sorted: mode, path, sha256, size, target, type.
    private mutating func writeEntry(path: UnsafeRawBufferPointer, kind: TarEntryKind, mode: UInt32, digest: ArraySlice<UInt8>?) throws {
        try append("    {\n      \"mode\" : \"".utf8)
        let mode = mode & 0o7777
        for shift in [9, 6, 3, 0] as [UInt32] { buffer.append(UInt8(ascii: "0") + UInt8((mode >> shift) & 7)) }
        try append("\",\n      \"path\" : ".utf8)
        try appendString(path)
        let type: StaticString
        switch kind {
        case .file(let size):
            try append(",\n      \"sha256\" : \"".utf8)
            for byte in digest ?? [] {
                buffer.append(Self.hexDigits[Int(byte >> 4)])
                buffer.append(Self.hexDigits[Int(byte & 0x0f)])
            }
            try append("\",\n      \"size\" : ".utf8)
            try append(String(size).utf8)
            type = "file"
        case .directory:
            type = "directory"
        case .symlink(let target):
            try append(",\n      \"target\" : ".utf8)
            var target = target
            try target.withUTF8 { try appendString(UnsafeRawBufferPointer($0)) }
            type = "symlink"
        }
        try append(",\n      \"type\" : \"".utf8)
        try append(UnsafeRawBufferPointer(start: type.utf8Start, count: type.utf8CodeUnitCount))
        try append("\"\n    }".utf8)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A JSON string as JSONEncoder writes it.
    private mutating func appendString(_ text: UnsafeRawBufferPointer) throws {
        if text.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            buffer.append(UInt8(ascii: "\""))
            buffer.append(contentsOf: text)
            buffer.append(UInt8(ascii: "\""))
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            try append(try encoder.encode(String(decoding: text, as: UTF8.self)))
        }
    }

    private mutating func append(_ bytes: some Sequence<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { try flush() }
    }

    private mutating func flush() throws {
        try buffer.withUnsafeBytes { try sink($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start..<(start + needle.count) }
        }
        return nil
    }
}
