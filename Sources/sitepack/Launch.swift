import ArgumentParser
import Foundation
import Logging
import SitepackCore

extension SitepackCommand {
    /// `sitepack launch`: a v1 scheduler HTTP API framework that launches the site, watches it and stops it.
    struct Launch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Launch a site on a Mesos cluster through the v1 scheduler HTTP API, watch it, stop it.",
            discussion: """
                Subscribes to the master's /api/v1/scheduler, accepts offers that fit the task (the same \
                matching and TaskInfo as sitepack task) until --instances tasks run, spread over agents, \
                declines the rest, acknowledges every status update, and prints state transitions with \
                timestamps on stderr (STAGING → STARTING → RUNNING → healthy). When every task is healthy \
                it prints each site's URL, http://AGENT:PORT/, on stdout (--json: one record a line) and \
                keeps watching, replacing a task that is lost. Ctrl-C or SIGTERM kills the tasks, waits for \
                TASK_KILLED and tears the framework down. --detach leaves them running, prints the framework \
                id and exits; sitepack launch --kill --framework-id ID --master URL tears it down later.

                A DIST_DIR (a build -o store) is served by launch itself (on --serve-host, a free port) \
                while it runs; give --artifact URL to use a running sitepack serve instead (needed with \
                --detach). The secret for --principal is read from --secret-file, never from the command line.

                Exit codes: 0 launched and stopped (or detached, or torn down), 1 a task failed, the master \
                refused or was unreachable within --timeout, 2 usage error.
                See docs/launch.md.
                """
        )

        @Option(name: .long, help: ArgumentHelp("The Mesos master: http://HOST:PORT (port 5050 by default).", valueName: "url"))
        var master: String

        @Argument(help: ArgumentHelp("A store (build -o DIR) to serve and launch; or give --artifact.", valueName: "dist-dir"))
        var distDir: String?

        @Option(name: .long, help: ArgumentHelp("The artifact URL, e.g. http://HOST:PORT/sites/NAME/SHA256/content.tar.gz.", valueName: "url"))
        var artifact: String?

        @OptionGroup(title: "The task")
        var task: TaskOptions

        @Option(name: .long, help: "FrameworkInfo.user: whom the agents run the tasks as.")
        var user = "nobody"

        @Option(name: .long, help: ArgumentHelp("The role to take offers for (default: *).", valueName: "role"))
        var role: String?

        @Option(name: .long, help: ArgumentHelp("The principal to authenticate as (HTTP basic auth; FrameworkInfo.principal).", valueName: "principal"))
        var principal: String?

        @Option(name: .long, help: ArgumentHelp("A file holding the principal's secret.", valueName: "file"))
        var secretFile: String?

        @Option(name: .long, help: "FrameworkInfo.name.")
        var frameworkName = "sitepack"

        @Option(name: .long, help: "How long the master keeps the tasks when launch is gone (FrameworkInfo.failover_timeout).")
        var failoverTimeout = DurationArgument(seconds: 7 * 24 * 3600)

        @Option(name: .long, help: "How many tasks to run.")
        var instances = 1

        @Flag(name: .long, help: "Once every task is healthy, leave them running, print the framework id and exit.")
        var detach = false

        @Option(name: .long, help: "How long every task may take to become healthy (and --kill to finish).")
        var timeout = DurationArgument(seconds: 300)

        @Flag(name: .long, help: "Tear down the framework --framework-id: kill its tasks and remove it.")
        var kill = false

        @Option(name: .long, help: ArgumentHelp("The framework to tear down with --kill.", valueName: "id"))
        var frameworkId: String?

        @Option(name: .long, help: ArgumentHelp("With a DIST_DIR: the address to serve it on.", valueName: "host"))
        var serveHost = "0.0.0.0"

        @Option(name: .long, help: ArgumentHelp("With a DIST_DIR: the origin agents reach the server at (default: http://THIS-HOST:PORT).", valueName: "url"))
        var advertise: String?

        @OptionGroup var output: OutputOptions

        func validate() throws {
            if kill {
                guard frameworkId != nil else { throw ValidationError("--kill needs --framework-id ID (the id --detach printed)") }
                if artifact != nil || distDir != nil { throw ValidationError("--kill tears a framework down; it takes no artifact") }
            } else {
                if frameworkId != nil { throw ValidationError("--framework-id is only for --kill") }
                if (artifact == nil) == (distDir == nil) { throw ValidationError("give --artifact URL or a DIST_DIR (one of them)") }
                if detach && distDir != nil {
                    throw ValidationError("--detach with a DIST_DIR would leave tasks whose artifact server is gone (Mesos fetches again on every relaunch): run sitepack serve DIST_DIR and pass --artifact URL")
                }
            }
            if (principal == nil) != (secretFile == nil) { throw ValidationError("--principal and --secret-file go together") }
            guard (1...100_000).contains(instances) else { throw ValidationError("--instances must be 1-100000") }
        }

        func run() async throws {
            try await reportingErrors {
                let address = try MasterAddress(parsing: master)
                let secret = try secretFile.map(SecretFile.read)
                let client = SchedulerClient(master: address, principal: principal, secret: secret)
                let info = FrameworkInfo(user: user, name: frameworkName, roles: role.map { [$0] } ?? [], principal: principal,
                                         failoverTimeoutSeconds: Double(DurationText.wholeSeconds(failoverTimeout.value)),
                                         id: kill ? frameworkId : nil)
                if let distDir {
                    try await serving(distDir) { url in try await launch(client: client, info: info, artifact: url) }
                } else {
                    try await launch(client: client, info: info, artifact: artifact ?? "")
                }
            }
        }

        func launch(client: SchedulerClient, info: FrameworkInfo, artifact: String) async throws {
            let site = try SiteTask(task.request(artifact: kill ? "http://unused/sites/kill/content.tar.gz" : artifact))
            let configuration = SiteFramework.Configuration(framework: info, instances: instances, detach: detach, killOnly: kill)
            let quiet = output.quiet
            let json = output.json
            let detach = self.detach
            let runner = SchedulerRunner(
                client: client,
                framework: SiteFramework(configuration: configuration, site: site),
                timeout: timeout.value,
                output: .init(
                    say: { line in if !quiet { FileHandleOutput.standardError("\(LaunchClock.stamp()) \(line)") } },
                    ready: { endpoints, frameworkID in
                        for endpoint in endpoints {
                            if json {
                                FileHandleOutput.standardOutput(LaunchRecord(endpoint, frameworkID: frameworkID).line)
                            } else {
                                FileHandleOutput.standardOutput(endpoint.url)
                            }
                        }
                        if !quiet && !detach { FileHandleOutput.standardError("\(LaunchClock.stamp()) ready; Ctrl-C kills the tasks and tears the framework down") }
                    }))
            if !quiet { FileHandleOutput.standardError("\(LaunchClock.stamp()) subscribing to \(client.master.endpoint)") }
            switch try await runner.run() {
            case .stopped, .tornDown:
                return
            case .detached(let frameworkID):
                if !json { FileHandleOutput.standardOutput(frameworkID) }
                if !quiet { FileHandleOutput.standardError("\(LaunchClock.stamp()) detached: the tasks keep running; stop them with sitepack launch --kill --framework-id \(frameworkID) --master \(master)") }
            case .failed(let message):
                throw SitepackError(.taskFailed, message)
            }
        }

        /// Serves the store's newest version for as long as `body` runs.
        func serving(_ directory: String, _ body: @escaping @Sendable (String) async throws -> Void) async throws {
            let store = ArtifactStore(root: directory)
            let names = store.siteNames()
            let name = try task.name ?? names.first.map { first in
                guard names.count == 1 else { throw SitepackError(.invalidInput, "\(directory) holds several sites (\(names.joined(separator: ", "))): pick one with --name") }
                return first
            } ?? { throw SitepackError(.invalidInput, "\(directory) is not a store with a built site: build one with sitepack build SITE -o \(directory)") }()
            guard let version = store.newest(of: name) else {
                throw SitepackError(.invalidInput, "\(directory) holds no version of \(name): build it with sitepack build SITE -o \(directory)")
            }
            var logger = Logger(label: "sitepack.launch.serve", factory: { StreamLogHandler.standardError(label: $0) })
            logger.logLevel = .warning
            let configuration = ServeConfiguration(root: directory, host: serveHost, port: 0, advertise: advertise, accessLog: .off, gracePeriod: .seconds(2))
            let server = try await ArtifactServer.make(configuration: configuration, logger: logger)
            let url = server.origin + version.address.urlPath()
            if !output.quiet { FileHandleOutput.standardError("\(LaunchClock.stamp()) serving \(url)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                defer { server.shutdown() }
                try await body(url)
            }
        }
    }
}

/// One `--json` record: a task, where it runs and its URL.
struct LaunchRecord: Encodable {
    var frameworkID: String
    var endpoint: SiteEndpoint

    init(_ endpoint: SiteEndpoint, frameworkID: String) {
        self.endpoint = endpoint
        self.frameworkID = frameworkID
    }

    func encode(to encoder: any Encoder) throws {
        try endpoint.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(frameworkID, forKey: .frameworkID)
    }

    enum Key: String, CodingKey { case frameworkID = "framework_id" }

    /// The record on one line, keys sorted.
    var line: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// The timestamp on progress lines: UTC wall-clock time with milliseconds.
enum LaunchClock {
    static func stamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}

/// Reads `--secret-file`: the secret is the file's first line; the file's path, never its content,
/// appears in messages.
enum SecretFile {
    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SitepackError(.io, "cannot read --secret-file \(path): check the path and its permissions")
        }
        let secret = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let trimmed = secret.hasSuffix("\r") ? String(secret.dropLast()) : secret
        guard !trimmed.isEmpty else {
            throw SitepackError(.invalidInput, "--secret-file \(path) is empty: put the principal's secret on its first line")
        }
        return trimmed
    }
}
