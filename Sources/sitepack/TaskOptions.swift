import ArgumentParser
import SitepackCore

/// The flags that describe the site task, shared by `task` (which prints it) and `launch` (which runs it).
struct TaskOptions: ParsableArguments {
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

    @Option(name: .long, help: ArgumentHelp("The task id (default: <name>-<sha256 prefix>-<random>).", valueName: "id"))
    var taskId: String?

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Add a task label (repeatable).", valueName: "k=v"))
    var label: [KeyValueArgument] = []

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Add an environment variable (repeatable).", valueName: "k=v"))
    var env: [KeyValueArgument] = []

    func validate() throws {
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

    /// The request these flags describe, for `artifact`.
    func request(artifact: String, frameworkID: String? = nil) -> SiteTaskRequest {
        SiteTaskRequest(
            artifact: artifact,
            name: name,
            needs: TaskNeeds(cpus: cpus, mem: mem, disk: disk, port: port.value, constraints: constraint.map(\.constraint)),
            runtime: runtime,
            healthPath: noHealthCheck ? nil : (healthPath ?? "/"),
            cache: cache,
            noCache: noCache,
            outputFile: outputFile,
            binaryURL: binaryUrl,
            frameworkID: frameworkID,
            taskID: taskId,
            labels: label.map { (key: $0.key, value: $0.value) },
            environment: env.map { (name: $0.key, value: $0.value) }
        )
    }
}
