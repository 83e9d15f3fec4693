import ArgumentParser
import Foundation
import SitepackCore

extension SitepackCommand {
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pack a site folder into a reproducible content.tar.gz, kept as a new version in a store.",
            discussion: """
                The archive holds every file under one top folder (--prefix, default "site"), sorted, with \
                owner 0/0, modes 0644/0755 and one mtime: SOURCE_DATE_EPOCH, else the last git commit \
                time, else the newest file. Same input and same sitepack version give the same bytes.
                The version goes to DIR/sites/<name>/<sha256>/ (content.tar.gz, .sha256, manifest.json) beside \
                every earlier one; DIR/content.tar.gz & co. are links to the newest. Rebuilding identical \
                input changes nothing and says so. Prints "<sha256>  <path>" (sha256sum format) on stdout.
                See docs/build.md.
                """
        )

        @Argument(help: "The site folder to pack.", completion: .directory)
        var siteDirectory: String

        @Option(name: .shortAndLong, help: "The store (output folder) the version is added to.", completion: .directory)
        var output = "dist"

        @Option(help: "Site name used in URLs and task ids (default: the folder's name).")
        var name: String?

        @Option(help: "The single top folder inside the archive.")
        var prefix = "site"

        @Option(name: .customLong("exclude"), help: "Leave out paths matching this gitignore-style pattern (repeatable).")
        var excludes: [String] = []

        @Option(help: "Compression level, 1 (fastest) to 9 (smallest).")
        var level = 6

        @Option(help: "Fixed mtime for every entry, in seconds since 1970 (overrides $SOURCE_DATE_EPOCH).")
        var sourceDateEpoch: Int64?

        @Flag(help: "Store the content of symlink targets instead of the links (needed for links leaving the site).")
        var followSymlinks = false

        @Flag(help: "Keep non-ASCII file names (NFC-normalised); the Mesos fetcher may fail on them (MESOS-9393).")
        var allowUnicode = false

        @Option(help: ArgumentHelp("Compression threads (default: all cores); the bytes are the same for any value.", visibility: .hidden))
        var threads: Int?

        @OptionGroup var outputOptions: OutputOptions

        func validate() throws {
            guard (1...9).contains(level) else { throw ValidationError("--level must be between 1 and 9, got \(level)") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        }

        func run() async throws {
            var options = BuildOptions(siteDirectory: siteDirectory)
            options.outputDirectory = output
            options.name = name
            options.prefix = prefix
            options.excludes = excludes
            options.level = level
            options.sourceDateEpoch = sourceDateEpoch
            options.followSymlinks = followSymlinks
            options.allowUnicode = allowUnicode
            if let threads { options.threads = threads }
            TemporaryFiles.shared.removeOnInterrupt()
            let progress = ProgressReporter(label: "packing", enabled: !outputOptions.quiet)
            let stored = try await reportingErrors { try ArtifactStore(root: output).build(options, progress: progress) }
            if let imported = stored.imported, !outputOptions.quiet {
                FileHandleOutput.standardError("sitepack: moved the earlier build \(imported.address) into \(imported.folder) so its URL keeps working")
            }
            if stored.unchanged, !outputOptions.quiet {
                FileHandleOutput.standardError("sitepack: unchanged: \(stored.version.address) is already in \(output); it is the newest again, nothing was written")
            }
            if !outputOptions.quiet {
                for warning in stored.build.warnings { FileHandleOutput.standardError("sitepack: warning: \(warning)") }
            }
            if outputOptions.json {
                try FileHandleOutput.json(BuildSummary(stored))
            } else {
                FileHandleOutput.standardOutput("\(stored.build.manifest.archive.sha256)  \(stored.build.archivePath)")
            }
        }
    }
}

/// The `--json` output of `sitepack build`: the manifest without its per-file list.
struct BuildSummary: Encodable {
    let name: String
    let sha256: String
    let size: Int64
    let path: String
    let manifest: String
    let tarSha256: String
    let fileCount: Int
    let totalBytes: Int64
    let excluded: Int
    let mtime: Int64
    let mtimeSource: String
    let compressor: String
    let level: Int
    let seconds: Double
    let versionFolder: String
    let urlPath: String
    let unchanged: Bool
    let warnings: [String]

    init(_ stored: StoredBuild) {
        let result = stored.build
        let m = result.manifest
        versionFolder = stored.version.folder
        urlPath = stored.version.address.urlPath()
        unchanged = stored.unchanged
        warnings = result.warnings
        name = m.name
        sha256 = m.archive.sha256
        size = m.archive.size
        path = result.archivePath
        manifest = result.manifestPath
        tarSha256 = m.tar.sha256
        fileCount = m.fileCount
        totalBytes = m.totalBytes
        excluded = m.excluded.count
        mtime = m.mtime.epoch
        mtimeSource = m.mtime.source.rawValue
        compressor = "\(m.compressor.name) \(m.compressor.version)"
        level = m.compressor.level
        seconds = (result.seconds * 1000).rounded() / 1000
    }

    enum CodingKeys: String, CodingKey {
        case name, sha256, size, path, manifest, excluded, mtime, compressor, level, seconds
        case unchanged, warnings, versionFolder = "version_folder", urlPath = "url_path"
        case tarSha256 = "tar_sha256", fileCount = "file_count", totalBytes = "total_bytes", mtimeSource = "mtime_source"
    }
}
