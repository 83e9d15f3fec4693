/// One step of `sitepack check` and how it went.
public struct CheckStep: Encodable, Sendable, Equatable {
    /// The steps, in order.
    public enum Name: String, Encodable, Sendable, CaseIterable {
        /// The artifact against its manifest (ArchiveVerifier).
        case verify
        /// The in-process artifact server on 127.0.0.1.
        case serve
        /// The TaskInfo, validated as the master does.
        case task
        /// Every URI into a fresh sandbox, as the agent's fetcher does.
        case fetch
        /// The command, started as the command executor does.
        case run
        /// Port, health check and files against the manifest.
        case probe
        /// SIGTERM, SIGKILL after the kill policy's grace period, sandbox removed.
        case stop
    }

    /// How a step ended.
    public enum Status: String, Encodable, Sendable {
        /// It worked.
        case pass = "PASS"
        /// It broke: see ``CheckStep/detail`` and ``CheckStep/hint``.
        case fail = "FAIL"
        /// It did not run (see ``CheckStep/detail`` for why).
        case skip = "SKIP"
    }

    /// Which step.
    public var name: Name
    /// How it ended.
    public var status: Status
    /// Wall time in seconds.
    public var seconds: Double
    /// What happened, in a line.
    public var detail: String
    /// What to change, on failure.
    public var hint: String?
    /// The last lines of the task's stderr, on failure once the task ran.
    public var stderrTail: [String]?
    /// False for a SKIP that does not count against the result (a step that does not apply to this
    /// source, e.g. `verify` for an artifact URL).
    public var counts: Bool

    enum CodingKeys: String, CodingKey {
        case name, status, seconds, detail, hint, counts
        case stderrTail = "stderr_tail"
    }

    /// A step result.
    public init(_ name: Name, _ status: Status, seconds: Double = 0, _ detail: String, hint: String? = nil,
                stderrTail: [String]? = nil, counts: Bool = true) {
        self.name = name
        self.status = status
        self.seconds = seconds
        self.detail = detail
        self.hint = hint
        self.stderrTail = stderrTail
        self.counts = counts
    }
}
