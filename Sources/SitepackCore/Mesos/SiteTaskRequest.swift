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
    /// `--cache`: fetch through the agent's fetcher cache.
    public var cache: Bool
    /// `--output-file`: the local name of the download.
    public var outputFile: String?
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
        outputFile: String? = nil,
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
        self.outputFile = outputFile
        self.frameworkID = frameworkID
        self.taskID = taskID
        self.labels = labels
        self.environment = environment
        self.refuseSeconds = refuseSeconds
    }
}
