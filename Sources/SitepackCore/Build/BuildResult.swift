/// What a build produced.
public struct BuildResult: Sendable {
    /// The manifest written beside the archive.
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
}
