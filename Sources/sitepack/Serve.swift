import ArgumentParser
import Logging
import SitepackCore

extension SitepackCommand {
    /// `sitepack serve`: the artifact server Mesos agents download from, and a static site server.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve artifacts (and any static folder) over HTTP to Mesos agents and browsers.",
            discussion: """
                Serves every file under DIR, and every artifact found by its manifest.json at its immutable URL
                /sites/<name>/<sha256>/content.tar.gz (with .sha256 and manifest.json beside it;
                /sites/<name>/latest/content.tar.gz redirects to the newest). Also GET /sites, /healthz, /metrics and
                /bin/<sha256>/sitepack (this binary, for --runtime sitepack; /bin/sitepack redirects there). Prints the
                URLs agents should use on stdout; logs, and the binary's URL, go to stderr.
                SIGTERM or SIGINT stops accepting and lets downloads finish within --grace-period, then exits 0.
                See docs/serve.md.
                """
        )

        @Argument(help: "The folder to serve: a build output, an artifact store (sites/<name>/<sha256>/) or a site.")
        var directory = "dist"

        @Option(help: "Address to bind.")
        var host = "0.0.0.0"

        @Option(help: "Port to listen on (0 picks a free one).")
        var port = 9000

        @Option(help: "Origin agents use to reach this server (http://host:port, host:port or host).")
        var advertise: String?

        @Option(help: "Access log format on stderr.")
        var accessLog: AccessLogFormat = .combined

        @Option(help: "How long in-flight downloads may continue after SIGTERM/SIGINT (e.g. 30s, 500ms, 2m).")
        var gracePeriod = DurationArgument(seconds: 30)

        @Option(help: "Close a kept-alive connection idle this long.")
        var idleTimeout = DurationArgument(seconds: 60)

        @Option(help: "Close a connection whose request headers take longer than this.")
        var headerTimeout = DurationArgument(seconds: 10)

        @Option(help: "Drop a connection whose client stops reading (unacknowledged data) for this long.")
        var sendTimeout = DurationArgument(seconds: 120)

        @Option(help: "Most connections open at once; more are closed on accept.")
        var maxConnections = 10_000

        @Option(help: "Event loop threads (default: one per core).")
        var threads: Int?

        @Option(help: ArgumentHelp("Take uploads from sitepack publish (PUT /sites/<name>/<sha256>/…) with the bearer token in this file; without it, PUT is 405.", valueName: "F"), completion: .file())
        var publishTokenFile: String?

        @Option(help: ArgumentHelp("Largest upload body (e.g. 512M, 8G).", valueName: "SIZE"))
        var maxUpload = "8G"

        @Option(help: ArgumentHelp("Refuse uploads (507) that would leave less than this free on the store's disk (e.g. 1G, 0).", valueName: "SIZE"))
        var minFree = "1G"

        @Flag(help: "Print the origin and URLs as one JSON object on stdout instead of a URL a line.")
        var json = false

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
            guard maxConnections > 0, (threads ?? 1) > 0 else { throw ValidationError("--max-connections and --threads must be positive") }
            guard let upload = ByteCount.parse(maxUpload), upload > 0 else { throw ValidationError("--max-upload \(maxUpload): expected a size such as 512M or 8G") }
            guard ByteCount.parse(minFree) != nil else { throw ValidationError("--min-free \(minFree): expected a size such as 1G or 0") }
            _ = upload
        }

        func run() async throws {
            let logger = Logger(label: "sitepack.serve", factory: { label, _ in StreamLogHandler.standardError(label: label) })
            try await reportingErrors {
                let configuration = ServeConfiguration(
                    root: directory, host: host, port: port, advertise: advertise,
                    accessLog: accessLog, gracePeriod: gracePeriod.value, threads: threads,
                    maxConnections: maxConnections, idleTimeout: idleTimeout.value,
                    headerTimeout: headerTimeout.value, sendTimeout: sendTimeout.value)
                var configured = configuration
                configured.publishToken = try publishTokenFile.map { try PublishToken(file: $0) }
                configured.maxUpload = ByteCount.parse(maxUpload) ?? configured.maxUpload
                configured.minFree = ByteCount.parse(minFree) ?? configured.minFree
                let server = try await ArtifactServer.make(configuration: configured, logger: logger)
                let publishing = configured.publishToken != nil
                let (directory, host, json) = (directory, host, json)
                let (port, origin, urls) = (server.port, server.origin, server.advertisedURLs)
                let (binaryURL, binarySize) = (server.binaryURL, server.binarySize)
                // Announced only once SIGTERM/SIGINT are trapped, so a supervisor that reads the URLs and
                // stops the server at once gets a graceful exit 0.
                try await server.runUntilSignalled(logger: logger) {
                    FileHandleOutput.standardError("sitepack: serving \(directory) on http://\(host):\(port) (agents: \(origin))")
                    if publishing {
                        FileHandleOutput.standardError("sitepack: taking uploads: sitepack publish DIST --to \(origin) --token-file F")
                    }
                    if let binaryURL, let binarySize {
                        FileHandleOutput.standardError("sitepack: binary for --runtime sitepack: \(binaryURL) (\(binarySize) bytes)")
                    }
                    if json {
                        try? FileHandleOutput.json(ServeSummary(directory: directory, port: port, origin: origin, urls: urls, binary: binaryURL))
                    } else {
                        for url in urls { FileHandleOutput.standardOutput(url) }
                    }
                }
            }
        }
    }
}

/// The `--json` announcement of `sitepack serve`.
struct ServeSummary: Encodable {
    let directory: String
    let port: Int
    let origin: String
    let urls: [String]
    /// `<origin>/bin/<sha256>/sitepack`, the binary `task --runtime sitepack` fetches; absent when not served.
    let binary: String?
}
