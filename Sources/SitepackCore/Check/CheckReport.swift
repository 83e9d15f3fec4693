/// What `sitepack check` found: each step with its time, and the exit status.
public struct CheckReport: Encodable, Sendable {
    /// What was checked (a store version, a URL or a task file).
    public var target: String
    /// The task id that ran, once known.
    public var taskID: String?
    /// The sandbox folder (removed unless `--keep`).
    public var sandbox: String?
    /// Whether the sandbox was kept.
    public var kept: Bool
    /// The steps, in order.
    public var steps: [CheckStep]

    /// Exit status when a step could not run on this machine (a runtime's program is missing) and none failed.
    public static let skippedExitStatus: Int32 = 77

    /// True when every step passed (a SKIP that does not apply counts as passed).
    public var passed: Bool { steps.allSatisfy { $0.status == .pass || ($0.status == .skip && !$0.counts) } }

    /// The first failed step, if any.
    public var failedStep: CheckStep? { steps.first { $0.status == .fail } }

    /// 0 every step passed; 1 a step failed; 77 a step could not run here (runtime missing).
    public var exitStatus: Int32 {
        if passed { return SitepackError.ExitStatus.ok }
        if failedStep != nil { return SitepackError.ExitStatus.failure }
        return Self.skippedExitStatus
    }

    enum CodingKeys: String, CodingKey {
        case target, sandbox, kept, steps, passed
        case taskID = "task_id", exitStatus = "exit_status"
    }

    /// Encodes the report with the computed `passed` and `exit_status`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(target, forKey: .target)
        try container.encodeIfPresent(taskID, forKey: .taskID)
        try container.encodeIfPresent(sandbox, forKey: .sandbox)
        try container.encode(kept, forKey: .kept)
        try container.encode(steps, forKey: .steps)
        try container.encode(passed, forKey: .passed)
        try container.encode(exitStatus, forKey: .exitStatus)
    }
}
