/// A launched site task as `launch` reports it: where it runs and its URL.
public struct SiteEndpoint: Sendable, Equatable, Codable {
    /// The task id.
    public var taskID: String
    /// The agent id.
    public var agentID: String
    /// The agent's hostname, from the offer.
    public var host: String
    /// The port taken from the offer.
    public var port: UInt64
    /// `http://<host>:<port>/`.
    public var url: String
    /// The last state, e.g. `TASK_RUNNING`.
    public var state: String
    /// The health check's verdict, nil without a health check.
    public var healthy: Bool?

    enum CodingKeys: String, CodingKey {
        case port, url, state, healthy, host
        case taskID = "task_id"
        case agentID = "agent_id"
    }
}
