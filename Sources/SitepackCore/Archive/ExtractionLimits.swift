/// Inclusive limits of strict extraction; a value equal to the limit passes.
///
/// The defaults fit the biggest sites (a million entries) and still stop what hurts: a decompression
/// bomb (the ratio and the byte totals) and trees deeper than any real site. When an archive's extent
/// is known from a trusted source (its manifest, once its digest is verified), ``init(bounding:)``
/// bounds the extraction exactly instead.
public struct ExtractionLimits: Sendable, Equatable, Codable {
    /// Most entries (of any type) an archive may hold: 1,000,000, room for the largest documentation
    /// sites (Nomad's 4,096 suits arbitrary downloads, not sites). Entries cost a header each, so the
    /// byte limits and the ratio still bound an archive of many empty files.
    public var maxEntries: Int = 1_000_000
    /// Most bytes written to disk in total. Nomad's default, 100 GB.
    public var maxBytes: Int64 = 100_000_000_000
    /// Most bytes any one file may hold (10 GB).
    public var maxFileBytes: Int64 = 10_000_000_000
    /// Highest ratio of bytes written to compressed bytes read, checked once more than
    /// ``ratioFloor`` bytes were written (DEFLATE tops out near 1032:1, HTML rarely passes 20:1).
    public var maxRatio: Int64 = 200
    /// Bytes written before the ratio is checked (64 MiB), so small, very compressible archives pass.
    public var ratioFloor: Int64 = 64 << 20
    /// Most path components in one entry's name (`site/a/b.html` has 3); names are also at most
    /// ``ExtractionPolicy/maxNameBytes`` bytes long.
    public var maxDepth: Int = 256

    /// The defaults above.
    public init() {}

    /// Limits that admit exactly `extent` and nothing more: its entry count, total and largest file
    /// size and depth; the ratio stays at its default (a sitepack build warns when it passes it).
    /// Only for an extent from a trusted source, such as the manifest of an artifact whose digest is verified.
    public init(bounding extent: ExtractionExtent) {
        maxEntries = extent.entries
        maxBytes = extent.bytes
        maxFileBytes = extent.largestFile
        maxDepth = extent.depth
    }

    /// What in `extent` goes past these limits, one sentence each naming the flag that raises it
    /// (empty when it all fits). The ratio is the whole archive's, once its files pass ``ratioFloor``
    /// bytes (fetch checks it as it goes, so a very uneven archive can still trip it part way).
    public func excesses(of extent: ExtractionExtent) -> [String] {
        var found: [String] = []
        if extent.entries > maxEntries {
            found.append("\(extent.entries) entries, more than strict fetch's limit of \(maxEntries) (--max-files)")
        }
        if extent.bytes > maxBytes {
            found.append("\(extent.bytes) bytes in all, more than strict fetch's limit of \(maxBytes) (--max-bytes)")
        }
        if extent.largestFile > maxFileBytes {
            found.append("a file of \(extent.largestFile) bytes, more than strict fetch's per-file limit of \(maxFileBytes) (--max-file-bytes)")
        }
        if extent.depth > maxDepth {
            found.append("a path \(extent.depth) folders deep, more than strict fetch's limit of \(maxDepth)")
        }
        if let compressed = extent.compressedBytes, extent.bytes > ratioFloor, extent.bytes > maxRatio * max(compressed, 1) {
            found.append("\(extent.bytes) bytes out of \(compressed) compressed, more than strict fetch's \(maxRatio):1 ratio limit (--max-ratio)")
        }
        return found
    }

    /// Checks the byte limits after a write: `fileBytes` written to the current file, `totalBytes` in
    /// all, from `consumed` compressed bytes read. Throws the violation (with the rule
    /// `file-too-large`, `too-many-bytes` or `compression-ratio`) as the error of `archive`.
    public func enforce(fileBytes: Int64, totalBytes: Int64, consumed: Int64, entry: String, archive: String) throws {
        if fileBytes > maxFileBytes {
            throw ExtractionViolation(rule: "file-too-large", entry: entry,
                                      reason: "it holds more than \(maxFileBytes) bytes (the per-file limit, --max-file-bytes)").error(archive: archive)
        }
        if totalBytes > maxBytes {
            throw ExtractionViolation(rule: "too-many-bytes", entry: entry,
                                      reason: "the archive expands to more than \(maxBytes) bytes (--max-bytes)").error(archive: archive)
        }
        if totalBytes > ratioFloor, totalBytes > maxRatio * max(consumed, 1) {
            throw ExtractionViolation(rule: "compression-ratio", entry: entry,
                                      reason: "\(totalBytes) bytes came out of \(consumed) compressed bytes, more than \(maxRatio):1 (a decompression bomb?)").error(archive: archive)
        }
    }
}
