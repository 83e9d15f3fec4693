/// What a build produced.
public struct BuildResult: Sendable {
    /// The manifest written beside the archive, without its per-file list (`files` is empty, so a
    /// build's memory does not grow with it): ``loadManifest()`` reads the whole file.
    public var manifest: Manifest
    /// Path of `content.tar.gz`.
    public var archivePath: String
    /// Path of `manifest.json`.
    public var manifestPath: String
    /// Wall time of the build in seconds.
    public var seconds: Double
    /// What passes strict fetch's default limits (``ExtractionLimits/excesses(of:)``), one sentence
    /// each; empty for almost every site.
    public var warnings: [String] = []

    /// The whole manifest, file list included, read back from ``manifestPath``.
    public func loadManifest() throws -> Manifest {
        try Manifest.load(from: manifestPath)
    }
}
