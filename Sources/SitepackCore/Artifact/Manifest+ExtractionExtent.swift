extension Manifest {
    /// What the archive this manifest describes expands to: its entries, files' bytes, largest file
    /// and deepest path, and its compressed size.
    public var extractionExtent: ExtractionExtent {
        var largest: Int64 = 0
        var depth = 0
        for entry in files {
            if entry.type == .file { largest = max(largest, entry.size ?? 0) }
            depth = max(depth, ExtractionExtent.depth(of: entry.path))
        }
        return ExtractionExtent(entries: files.count, bytes: totalBytes, largestFile: largest, depth: depth, compressedBytes: archive.size)
    }
}

extension ExtractionLimits {
    /// Limits that admit exactly what `manifest` lists (``init(bounding:)`` over its
    /// ``Manifest/extractionExtent``): for an artifact whose sha256 is verified against
    /// `manifest.archive.sha256`, so that even a tampered copy cannot write more than its build did.
    public init(bounding manifest: Manifest) {
        self.init(bounding: manifest.extractionExtent)
    }
}
