import ArgumentParser
import Foundation
import SitepackCore

extension SitepackCommand {
    struct TaskCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "task",
            abstract: "Print the ACCEPT call, TaskInfo or Marathon app that launches a site from an offer.",
            discussion: """
                Reads offers (a single Offer, an OFFERS event, {"offers": [...]} or a list) and takes the \
                first one with the cpus, mem, disk, one port and attributes the task needs; when none fits \
                it exits 1 and lists what each offer lacks. The JSON is Mesos's own mapping (snake_case, \
                enums as names), pretty-printed with sorted keys.

                Runtimes (what the agent needs): python (python3), busybox (busybox httpd), sitepack \
                (nothing: it fetches the binary from the artifact server's /bin/SHA256/sitepack, by default \
                the digest of this sitepack binary, so serve must run the same build; else --binary-url), \
                docker-nginx (an agent with --containerizers=docker,mesos and Docker). HTTP health checks \
                need curl on the agent. Details: docs/task.md.

                Content-addressed URLs (the artifact's /sites/NAME/SHA256/content.tar.gz, the binary's \
                /bin/SHA256/sitepack) are fetched with cache: true, so each agent downloads them once; \
                --no-cache turns that off.

                Exit codes: 0 ok, 1 no offer fits or the offer file is unusable, 2 usage error or refused \
                argument (an artifact Mesos would not extract, --cache on a mutable URL, …).
                """
        )

        @Option(name: .long, help: ArgumentHelp("The offer JSON file, or - for stdin. Not needed with --format marathon.", valueName: "file"))
        var offer: String?

        @Option(name: .long, help: ArgumentHelp("The artifact URL, e.g. http://HOST:PORT/sites/NAME/SHA256/content.tar.gz.", valueName: "url"))
        var artifact: String

        @Option(name: .long, help: "The site name (default: from the artifact URL).")
        var name: String?

        @Option(name: .long, help: "CPUs for the task.")
        var cpus: Double = 0.2

        @Option(name: .long, help: "Memory for the task, in MB.")
        var mem: Double = 100

        @Option(name: .long, help: "Disk for the task, in MB (default: none asked for).")
        var disk: Double?

        @Option(name: .long, help: ArgumentHelp("The port to take from the offer, or auto for the lowest offered one.", valueName: "n|auto"))
        var port: PortChoice = .auto

        @Option(name: .long, help: ArgumentHelp("What serves the site.", valueName: "runtime"))
        var runtime: SiteRuntime = .python

        @Option(name: .long, help: ArgumentHelp("The HTTP health check path (default: /).", valueName: "path"))
        var healthPath: String?

        @Flag(name: .long, help: "Add no health check.")
        var noHealthCheck = false

        @Flag(name: .long, help: "Fetch through the agent's fetcher cache (the default for content-addressed URLs; refused for others).")
        var cache = false

        @Flag(name: .long, help: "cache: false on every URI, even content-addressed ones.")
        var noCache = false

        @Option(name: .long, help: ArgumentHelp("The sitepack runtime's binary: http://HOST:PORT/bin/SHA256/sitepack (default: the artifact's server, with this binary's sha256).", valueName: "url"))
        var binaryUrl: String?

        @Option(name: .long, help: ArgumentHelp("Name the downloaded file (must end in .tar.gz/.tgz; not with --cache).", valueName: "name"))
        var outputFile: String?

        @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Require agent attribute ATTR to match VALUE (repeatable), e.g. rack:r2d2.", valueName: "attr:value"))
        var constraint: [ConstraintArgument] = []

        @Option(name: .long, help: ArgumentHelp("The framework id (default: the offer's).", valueName: "id"))
        var frameworkId: String?

        @Option(name: .long, help: ArgumentHelp("The task id (default: <name>-<sha256 prefix>-<random>).", valueName: "id"))
        var taskId: String?

        @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Add a task label (repeatable).", valueName: "k=v"))
        var label: [KeyValueArgument] = []

        @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Add an environment variable (repeatable).", valueName: "k=v"))
        var env: [KeyValueArgument] = []

        @Option(name: .long, help: ArgumentHelp("What to print.", valueName: "format"))
        var format: TaskOutputFormat = .accept

        func validate() throws {
            if offer == nil && format != .marathon {
                throw ValidationError("--offer FILE (or - for stdin) is required for --format \(format.rawValue)")
            }
            if noHealthCheck && healthPath != nil {
                throw ValidationError("--no-health-check and --health-path conflict: choose one")
            }
            if cache && noCache {
                throw ValidationError("--cache and --no-cache conflict: choose one")
            }
            if binaryUrl != nil && runtime != .sitepack {
                throw ValidationError("--binary-url is only used with --runtime sitepack")
            }
            if cache && outputFile != nil {
                throw ValidationError("--cache and --output-file conflict: in cache mode the fetcher names the file after the URL, so the archive would not be extracted")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let request = SiteTaskRequest(
                    artifact: artifact,
                    name: name,
                    needs: TaskNeeds(
                        cpus: cpus,
                        mem: mem,
                        disk: disk,
                        port: port.value,
                        constraints: constraint.map(\.constraint)
                    ),
                    runtime: runtime,
                    healthPath: noHealthCheck ? nil : (healthPath ?? "/"),
                    cache: cache,
                    noCache: noCache,
                    outputFile: outputFile,
                    binaryURL: binaryUrl,
                    frameworkID: frameworkId,
                    taskID: taskId,
                    labels: label.map { (key: $0.key, value: $0.value) },
                    environment: env.map { (name: $0.key, value: $0.value) }
                )
                let task = try SiteTask(request)
                let offers = try offer.map { try OfferDocument.offers(from: readOffer($0), source: $0 == "-" ? "stdin" : $0) }
                FileHandleOutput.standardOutput(try task.render(format, offers: offers))
            }
        }

        func readOffer(_ path: String) throws -> Data {
            if path == "-" {
                return FileHandle.standardInput.readDataToEndOfFile()
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SitepackError(.io, "cannot read the offer file \(path): check the path (or use - for stdin)")
            }
            return data
        }
    }
}
