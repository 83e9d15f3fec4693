/// Inclusive limits of strict extraction; a value equal to the limit passes.
public struct ExtractionLimits: Sendable, Equatable, Codable {
    /// Most entries (of any type) an archive may hold. Nomad's default, 4,096.
    public var maxEntries: Int = 4096
    /// Most bytes written to disk in total. Nomad's default, 100 GB.
    public var maxBytes: Int64 = 100_000_000_000
    /// Most bytes any one file may hold (10 GB).
    public var maxFileBytes: Int64 = 10_000_000_000
    /// Highest ratio of bytes written to compressed bytes read, checked once more than
    /// ``ratioFloor`` bytes were written (DEFLATE tops out near 1032:1, HTML rarely passes 20:1).
    public var maxRatio: Int64 = 200
    /// Bytes written before the ratio is checked (64 MiB), so small, very compressible archives pass.
    public var ratioFloor: Int64 = 64 << 20

    /// The defaults above.
    public init() {}

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
