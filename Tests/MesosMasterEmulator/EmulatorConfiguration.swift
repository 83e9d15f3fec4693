public import SitepackCore

/// How a ``MesosMasterEmulator`` behaves: its agents, timings, and the protocol situations a test asks for.
public struct EmulatorConfiguration: Sendable {
    /// A synthetic agent: the resources it offers.
    public struct Agent: Sendable {
        /// `agent_id.value`.
        public var id: String
        /// The hostname offers carry (and launch prints in URLs).
        public var hostname: String
        /// CPUs.
        public var cpus: Double
        /// Memory in MB.
        public var mem: Double
        /// The ports it offers.
        public var ports: [ValueRange]

        /// Creates an agent.
        public init(id: String, hostname: String = "127.0.0.1", cpus: Double = 4, mem: Double = 4096, ports: [ValueRange]) {
            self.id = id
            self.hostname = hostname
            self.cpus = cpus
            self.mem = mem
            self.ports = ports
        }
    }

    /// The agents offers come from.
    public var agents: [Agent]
    /// Run launched tasks for real with check's LocalAgent (fetch into a sandbox, run, health-check);
    /// false reports them STARTING and RUNNING without running anything (for the memory measurement).
    public var runTasks = true
    /// With ``runTasks``: fetch each task's URIs as its agent would, then report it RUNNING (and healthy)
    /// without starting its command — for counting what a large launch downloads.
    public var fetchOnly = false
    /// When set, each agent keeps one fetcher cache, `<folder>/<agent id>`, for all its tasks (as a real
    /// agent does until it restarts); else every task gets a cache of its own in its work dir.
    public var agentCacheFolder: String?
    /// `heartbeat_interval_seconds` in SUBSCRIBED, and how often HEARTBEAT events are sent.
    public var heartbeatIntervalSeconds = 0.5
    /// How often unfiltered agents without an outstanding offer are offered.
    public var offerIntervalSeconds = 0.2
    /// How long an unacknowledged update waits before it is sent again (an agent retries after 10 s).
    public var updateRetrySeconds = 0.5
    /// Principal and secret the master requires (HTTP basic auth), nil for none (`--authenticate_http_frameworks`).
    public var credentials: Credentials?
    /// Roles whose use is not authorized: SUBSCRIBE with one is 403.
    public var forbiddenRoles: Set<String> = []
    /// Answer the first this many requests with 503 (a master still recovering).
    public var unavailableRequests = 0
    /// Not the leader: answer everything with 307 to the leader on 127.0.0.1 at this port.
    public var leaderPort: Int?
    /// Close the first subscription's stream after this many UPDATE events (a dropped connection).
    public var dropStreamAfterUpdates: Int?
    /// Send nothing more, not even heartbeats, on the first subscription after this many UPDATE events.
    public var silenceAfterUpdates: Int?
    /// Rescind the first offer right after sending it.
    public var rescindFirstOffer = false

    /// Principal and secret.
    public struct Credentials: Sendable {
        public var principal: String
        public var secret: String
        public init(principal: String, secret: String) {
            self.principal = principal
            self.secret = secret
        }
    }

    /// A configuration with these agents.
    public init(agents: [Agent]) {
        self.agents = agents
    }

    /// One agent on 127.0.0.1 offering `portCount` ports that are free on this machine now.
    public static func localAgent(portCount: Int = 3) throws -> EmulatorConfiguration {
        var ports: [ValueRange] = []
        for _ in 0..<portCount {
            let port = try TaskProbe.freePort()
            ports.append(ValueRange(begin: port, end: port))
        }
        return EmulatorConfiguration(agents: [Agent(id: "emulator-S0", ports: ports)])
    }
}
