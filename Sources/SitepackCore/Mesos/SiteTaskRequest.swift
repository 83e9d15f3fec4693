/// Everything the user asked of `sitepack task`, before it is checked.
public struct SiteTaskRequest: Sendable {
    /// The artifact URL (`--artifact`).
    public var artifact: String
    /// The site name (`--name`), or nil to take it from the URL.
    public var name: String?
    /// Resources, port and constraints.
    public var needs: TaskNeeds
    /// What serves the site.
    public var runtime: SiteRuntime
    /// The HTTP health check path, or nil for no health check.
    public var healthPath: String?
    /// `--cache`: insist on the agent's fetcher cache for the artifact (refused for a mutable URL).
    /// Without it a content-addressed URL is cached anyway, unless ``noCache`` or ``outputFile`` say
    /// otherwise (``SiteTask/cachesArtifact``).
    public var cache: Bool
    /// `--no-cache`: `cache: false` on every URI, even content-addressed ones (conflicts with ``cache``).
    public var noCache: Bool
    /// `--output-file`: the local name of the download.
    public var outputFile: String?
    /// `--binary-url`: the sitepack runtime's binary, a content-addressed `…/bin/<sha256>/sitepack`
    /// URL; nil for `<artifact origin>/bin/<sha256 of the running binary>/sitepack`.
    public var binaryURL: String?
    /// `--framework-id`, overriding the offer's.
    public var frameworkID: String?
    /// `--task-id`, or nil to generate one.
    public var taskID: String?
    /// `--label K=V`, in order.
    public var labels: [(key: String, value: String)]
    /// `--env K=V`, in order.
    public var environment: [(name: String, value: String)]
    /// `filters.refuse_seconds` on ACCEPT.
    public var refuseSeconds: Double

    /// Creates a request with sitepack's defaults (python runtime, health check on `/`).
    public init(
        artifact: String,
        name: String? = nil,
        needs: TaskNeeds = TaskNeeds(cpus: 0.2, mem: 100),
        runtime: SiteRuntime = .python,
        healthPath: String? = "/",
        cache: Bool = false,
        noCache: Bool = false,
        outputFile: String? = nil,
        binaryURL: String? = nil,
        frameworkID: String? = nil,
        taskID: String? = nil,
        labels: [(key: String, value: String)] = [],
        environment: [(name: String, value: String)] = [],
        refuseSeconds: Double = 5
    ) {
        self.artifact = artifact
        self.name = name
        self.needs = needs
        self.runtime = runtime
        self.healthPath = healthPath
        self.cache = cache
        self.noCache = noCache
        self.outputFile = outputFile
        self.binaryURL = binaryURL
        self.frameworkID = frameworkID
        self.taskID = taskID
        self.labels = labels
        self.environment = environment
        self.refuseSeconds = refuseSeconds
    }
}
