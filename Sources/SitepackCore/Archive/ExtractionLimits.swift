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
}
