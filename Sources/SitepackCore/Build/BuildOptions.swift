public import Foundation

/// Everything `sitepack build` needs to know; the CLI fills it from flags.
public struct BuildOptions: Sendable {
    /// The site folder to pack.
    public var siteDirectory: String
    /// Where content.tar.gz, its .sha256 and manifest.json are written.
    public var outputDirectory: String = "dist"
    /// The site's name; defaults to the site folder's name.
    public var name: String?
    /// The single top folder inside the archive.
    public var prefix: String = "site"
    /// Extra gitignore-style patterns (`--exclude`).
    public var excludes: [String] = []
    /// Compression level 1–9.
    public var level: Int = 6
    /// Fixed mtime; when nil, `SOURCE_DATE_EPOCH` from `environment`, then git, then the newest file.
    public var sourceDateEpoch: Int64?
    /// Store the content of symlinks' targets instead of refusing links that leave the site.
    public var followSymlinks = false
    /// Keep non-ASCII names (NFC-normalised) instead of refusing them.
    public var allowUnicode = false
    /// Compression threads (default: the cores, at most 8, which bounds memory); the output is the same for any value.
    public var threads: Int = min(ProcessInfo.processInfo.activeProcessorCount, 8)
    /// The environment to read `SOURCE_DATE_EPOCH` from.
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    /// Options for packing `siteDirectory` with every default.
    public init(siteDirectory: String) {
        self.siteDirectory = siteDirectory
    }
}

extension SitepackError.Code {
    /// The site folder is missing, not a folder, or has nothing to pack.
    public static let siteMissing = SitepackError.Code("build.site-missing")
    /// A file in the site cannot be packed as it is (type, name, link target, unreadable).
    public static let unpackable = SitepackError.Code("build.unpackable")
    /// A symlink in the site points outside it or is absolute.
    public static let symlinkEscape = SitepackError.Code("build.symlink-escape", exitStatus: SitepackError.ExitStatus.unsafeInput)
}
