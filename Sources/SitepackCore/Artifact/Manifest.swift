public import Foundation

/// `manifest.json`: what a build put into `content.tar.gz`, how, and the digests that name it.
/// JSON keys are snake_case; the encoding is pretty-printed with sorted keys, so it is reproducible.
public struct Manifest: Codable, Sendable, Equatable {
    /// The schema version of this file.
    public var formatVersion: Int = 1
    /// The site's name (used in URLs: `/sites/<name>/<sha256>/content.tar.gz`).
    public var name: String
    /// The sitepack version that built the archive.
    public var sitepackVersion: String
    /// The single top folder every entry lives under (`site`).
    public var prefix: String
    /// The compressed artifact.
    public var archive: ArchiveInfo
    /// The uncompressed tar stream (identity that survives a compressor change).
    public var tar: TarInfo
    /// Number of regular files.
    public var fileCount: Int
    /// Sum of the regular files' sizes.
    public var totalBytes: Int64
    /// Every entry of the archive in archive order (directories, files, symlinks).
    public var files: [Entry]
    /// Paths (relative to the site folder) left out, with the rule that excluded them.
    public var excluded: [Exclusion]
    /// The one mtime of every entry, and where it came from.
    public var mtime: Mtime
    /// The compressor and its settings; part of the reproducibility contract.
    public var compressor: Compressor

    /// The compressed file.
    public struct ArchiveInfo: Codable, Sendable, Equatable {
        /// File name, `content.tar.gz`.
        public var file: String
        /// SHA-256 of the compressed bytes (hex).
        public var sha256: String
        /// Size in bytes.
        public var size: Int64
        public init(file: String, sha256: String, size: Int64) {
            self.file = file
            self.sha256 = sha256
            self.size = size
        }
    }

    /// The uncompressed tar stream.
    public struct TarInfo: Codable, Sendable, Equatable {
        /// SHA-256 of the uncompressed tar (hex).
        public var sha256: String
        /// Size in bytes.
        public var size: Int64
        public init(sha256: String, size: Int64) {
            self.sha256 = sha256
            self.size = size
        }
    }

    /// One archive entry.
    public struct Entry: Codable, Sendable, Equatable {
        /// The kinds of entry an archive built by sitepack holds.
        public enum Kind: String, Codable, Sendable {
            case file, directory, symlink
        }
        /// Full path in the archive, e.g. `site/css/style.css` (no trailing slash).
        public var path: String
        /// What it is.
        public var type: Kind
        /// Permission bits as four octal digits, e.g. `0644`.
        public var mode: String
        /// Size in bytes (files only).
        public var size: Int64?
        /// SHA-256 of the content (files only).
        public var sha256: String?
        /// Link target (symlinks only), relative.
        public var target: String?

        public init(path: String, type: Kind, mode: String, size: Int64? = nil, sha256: String? = nil, target: String? = nil) {
            self.path = path
            self.type = type
            self.mode = mode
            self.size = size
            self.sha256 = sha256
            self.target = target
        }

        /// The mode as a number.
        public var modeBits: UInt32 { UInt32(mode, radix: 8) ?? 0 }
    }

    /// A path left out of the archive.
    public struct Exclusion: Codable, Sendable, Equatable {
        /// Path relative to the site folder.
        public var path: String
        /// Why: `default`, `output-folder`, `.sitepackignore: <pattern>` or `--exclude: <pattern>`.
        public var reason: String
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    /// The fixed mtime.
    public struct Mtime: Codable, Sendable, Equatable {
        /// Where the value came from.
        public enum Source: String, Codable, Sendable {
            case sourceDateEpoch = "SOURCE_DATE_EPOCH"
            case git
            case newestFile = "newest-file"
        }
        /// Seconds since the epoch.
        public var epoch: Int64
        /// Its source.
        public var source: Source
        public init(epoch: Int64, source: Source) {
            self.epoch = epoch
            self.source = source
        }
    }

    /// The compressor settings.
    public struct Compressor: Codable, Sendable, Equatable {
        /// Library name, `libdeflate`.
        public var name: String
        /// Library version.
        public var version: String
        /// Compression level 1–9.
        public var level: Int
        /// Layout: `gzip-members` (one member per block, see ``BlockedGzip``).
        public var format: String
        /// Uncompressed bytes per member.
        public var blockSize: Int
        public init(name: String, version: String, level: Int, format: String, blockSize: Int) {
            self.name = name
            self.version = version
            self.level = level
            self.format = format
            self.blockSize = blockSize
        }
    }

    public init(name: String, sitepackVersion: String, prefix: String, archive: ArchiveInfo, tar: TarInfo,
                fileCount: Int, totalBytes: Int64, files: [Entry], excluded: [Exclusion], mtime: Mtime, compressor: Compressor) {
        self.name = name
        self.sitepackVersion = sitepackVersion
        self.prefix = prefix
        self.archive = archive
        self.tar = tar
        self.fileCount = fileCount
        self.totalBytes = totalBytes
        self.files = files
        self.excluded = excluded
        self.mtime = mtime
        self.compressor = compressor
    }

    /// The file name a build writes the manifest to.
    public static let fileName = ArtifactAddress.manifestFile

    /// Reads and decodes a manifest, with an error naming the file.
    public static func load(from path: String) throws -> Manifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SitepackError(.invalidInput, "cannot read manifest \(path): check that the file exists and is readable")
        }
        do {
            return try decoder.decode(Manifest.self, from: data)
        } catch {
            throw SitepackError(.invalidInput, "\(path) is not a sitepack manifest: \(error)")
        }
    }

    /// The canonical JSON bytes (pretty, sorted keys, trailing newline).
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0a]
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
