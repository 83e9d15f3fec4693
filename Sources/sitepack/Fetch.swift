import ArgumentParser
import Foundation
import Logging
import SitepackCore

extension SitepackCommand {
    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch URIs into a sandbox exactly as a Mesos agent's fetcher does, but safely.",
            discussion: """
                Downloads http(s) URIs with libcurl (redirects followed, success only on a final 200), copies file:// \
                and absolute paths, names the file as Mesos does, and extracts .tar .tgz .tar.gz .tbz2 .tar.bz2 .txz \
                .tar.xz .zip into the sandbox root (other .gz are gunzipped). Strict mode (the default) refuses unsafe \
                archives (exit 3) and leaves nothing of them behind; fetching again replaces site/ whole (a failed rerun \
                keeps the previous one); --mesos-compat does exactly what Mesos ≥ 1.8 does. A content-addressed URL \
                (…/sites/NAME/SHA256/content.tar.gz) is verified against its own digest (and with --cache, stored under it).
                Exit codes: 0 ok, 1 failure, 2 usage, 3 unsafe input refused, 4 sha256 mismatch.
                See docs/fetch.md.
                """
        )

        @Argument(help: "URIs to fetch (http://, https://, file://, or an absolute path).")
        var uris: [String] = []

        @Option(name: .long, help: "Fetch every URI of a TaskInfo, an ACCEPT call body or a Marathon app (JSON file).")
        var task: String?

        @Option(name: .long, help: "The sandbox folder (created if missing).")
        var sandbox: String = "."

        @Flag(name: .long, help: "Do not extract (CommandInfo.URI extract: false).")
        var noExtract = false

        @Flag(name: .long, help: "chmod 0755 and never extract (executable: true).")
        var executable = false

        @Option(name: .long, help: "Destination name relative to the sandbox (output_file); one URI only.")
        var outputFile: String?

        @Option(name: .long, help: "Expected sha256 of the fetched bytes; nothing is extracted unless it matches (exit 4). One URI only; a content-addressed URL needs none, and a different one is refused.")
        var sha256: String?

        @Flag(name: .long, help: "Use the fetch cache (as cache: true) for every URI.")
        var cache = false

        @Option(name: .long, help: "Cache folder; implies --cache (default $XDG_CACHE_HOME/sitepack/fetch or ~/.cache/sitepack/fetch).")
        var cacheDir: String?

        @Option(name: .long, help: "Cache size bound, e.g. 2GB (the default, as Mesos's --fetcher_cache_size).")
        var cacheSize: String = "2GB"

        @Flag(name: .long, help: "Extract exactly as Mesos ≥ 1.8 does (unsafe: use a throwaway sandbox).")
        var mesosCompat = false

        @Option(name: .long, help: "Strict mode: most archive entries (inclusive).")
        var maxFiles: Int = ExtractionLimits().maxEntries

        @Option(name: .long, help: "Strict mode: most bytes written in total (inclusive), e.g. 100GB.")
        var maxBytes: String = "100GB"

        @Option(name: .long, help: "Strict mode: most bytes in one file (inclusive), e.g. 10GB.")
        var maxFileBytes: String = "10GB"

        @Option(name: .long, help: "Strict mode: highest written/compressed ratio once 64 MiB were written.")
        var maxRatio: Int = Int(ExtractionLimits().maxRatio)

        @Option(name: .long, help: "Abort a download under 1 byte/s for this long: 60s, 2m, 500ms.")
        var stallTimeout: String = "60s"

        @Option(name: .long, help: "Retries after transport errors (backoff 1 s, 2 s, 4 s, …).")
        var retries: Int = 3

        @OptionGroup var output: OutputOptions

        mutating func validate() throws {
            if task == nil && uris.isEmpty { throw ValidationError("give at least one URI, or --task FILE") }
            if task != nil && !uris.isEmpty { throw ValidationError("give URIs or --task, not both") }
            if (outputFile != nil || sha256 != nil) && (uris.count > 1 || task != nil) {
                throw ValidationError("--output-file and --sha256 apply to a single URI (not to --task)")
            }
            if mesosCompat && (maxFiles != ExtractionLimits().maxEntries) {
                throw ValidationError("--max-files applies to strict mode; Mesos has no limits")
            }
            if maxFiles < 0 || maxRatio < 1 || retries < 0 { throw ValidationError("limits must be positive") }
            for (flag, text) in [("--max-bytes", maxBytes), ("--max-file-bytes", maxFileBytes), ("--cache-size", cacheSize)]
            where ByteCount.parse(text) == nil {
                throw ValidationError("\(flag) '\(text)' is not a size (e.g. 4096, 64M, 100GB)")
            }
            if Self.seconds(stallTimeout) == nil { throw ValidationError("--stall-timeout '\(stallTimeout)' is not a duration (e.g. 60s, 2m)") }
        }

        static func seconds(_ text: String) -> Int? {
            DurationText.parse(text).map(DurationText.wholeSeconds)
        }

        func run() async throws {
            try await reportingErrors {
                var options = FetchOptions(sandbox: sandbox)
                options.mode = mesosCompat ? .mesosCompat : .strict
                options.limits.maxEntries = maxFiles
                options.limits.maxBytes = ByteCount.parse(maxBytes) ?? options.limits.maxBytes
                options.limits.maxFileBytes = ByteCount.parse(maxFileBytes) ?? options.limits.maxFileBytes
                options.limits.maxRatio = Int64(maxRatio)
                options.sha256 = sha256
                let caching = cache || cacheDir != nil
                options.cacheAll = caching
                if let cacheDir { options.cacheDirectory = cacheDir }
                options.cacheSize = ByteCount.parse(cacheSize) ?? options.cacheSize
                options.stallTimeoutSeconds = Self.seconds(stallTimeout) ?? 60
                options.retries = retries
                options.progress = !output.quiet
                var logger = Logger(label: "sitepack") { StreamLogHandler.standardError(label: $0) }
                logger.logLevel = output.quiet ? .error : .info
                TemporaryFiles.shared.removeOnInterrupt()

                let list: [MesosURI]
                if let task {
                    guard let data = FileManager.default.contents(atPath: task) else {
                        throw SitepackError(.invalidInput, "cannot read --task file \(task)")
                    }
                    list = try TaskURIs.parse(data, source: task)
                } else {
                    list = uris.map {
                        MesosURI(value: $0, extract: !noExtract, executable: executable, cache: caching, outputFile: outputFile)
                    }
                }
                let started = Date()
                let results = try Fetcher(options: options, logger: logger).fetchAll(list)
                if output.json {
                    try FileHandleOutput.json(FetchSummary(sandbox: sandbox, mode: options.mode.rawValue, uris: results,
                                                           seconds: Date().timeIntervalSince(started)))
                } else {
                    for result in results {
                        let what = result.action == .extract ? "\(result.files) files" : result.action.rawValue
                        FileHandleOutput.standardOutput("\(result.sha256)  \(result.path)  (\(what), \(ByteCount.format(result.bytes)))")
                    }
                }
            }
        }
    }
}

/// The `--json` output of `sitepack fetch`.
struct FetchSummary: Encodable {
    var sandbox: String
    var mode: String
    var uris: [FetchResult]
    var seconds: Double
}
