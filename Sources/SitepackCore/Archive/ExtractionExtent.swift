/// How far an archive reaches once extracted: what ``ExtractionLimits`` bound. A build measures it
/// while packing (and warns when it passes a default limit); a manifest states it
/// (``ExtractionLimits/init(bounding:)`` then admits exactly that).
public struct ExtractionExtent: Sendable, Equatable {
    /// Entries of any type.
    public var entries: Int
    /// Bytes of regular files in all.
    public var bytes: Int64
    /// Bytes of the largest regular file.
    public var largestFile: Int64
    /// Components of the deepest entry's name (`site/a/b.html` has 3).
    public var depth: Int
    /// Bytes of the compressed archive, when known (the ratio limit compares ``bytes`` with it).
    public var compressedBytes: Int64?

    /// An extent.
    public init(entries: Int, bytes: Int64, largestFile: Int64, depth: Int, compressedBytes: Int64? = nil) {
        self.entries = entries
        self.bytes = bytes
        self.largestFile = largestFile
        self.depth = depth
        self.compressedBytes = compressedBytes
    }

    /// Components of a normalized entry name, as the depth limit counts them.
    public static func depth(of path: some StringProtocol) -> Int {
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).count
    }
}
