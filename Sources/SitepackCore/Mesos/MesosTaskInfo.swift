/// A `TaskInfo` (include/mesos/v1/mesos.proto) in Mesos's own JSON mapping: snake_case field
/// names, enums as their names, required proto2 fields always present, optional fields omitted
/// when unset (mesos.md §3.2, §4).
public struct MesosTaskInfo: Encodable, Sendable, Equatable {
    /// `name` (required).
    public var name: String
    /// `task_id` (required).
    public var taskID: ID
    /// `agent_id` (required): the offer's agent.
    public var agentID: ID
    /// `resources`: carved from the offer (kept as JSON so every offered member is copied).
    public var resources: [MesosJSON]
    /// `command`: the command executor runs it (exactly one of command/executor).
    public var command: CommandInfo
    /// `container`: set for the Docker runtime only.
    public var container: ContainerInfo?
    /// `health_check`, or nil with `--no-health-check`.
    public var healthCheck: HealthCheck?
    /// `kill_policy`.
    public var killPolicy: KillPolicy
    /// `labels`.
    public var labels: Labels
    /// `discovery`.
    public var discovery: DiscoveryInfo

    enum CodingKeys: String, CodingKey {
        case name, resources, command, container, labels, discovery
        case taskID = "task_id"
        case agentID = "agent_id"
        case healthCheck = "health_check"
        case killPolicy = "kill_policy"
    }

    /// Any `*ID` message: `{"value": …}`.
    public struct ID: Encodable, Sendable, Equatable {
        /// `value` (required).
        public var value: String
        /// Creates an ID.
        public init(_ value: String) { self.value = value }
    }

    /// `CommandInfo`.
    public struct CommandInfo: Encodable, Sendable, Equatable {
        /// `uris`: what the fetcher downloads into the sandbox first.
        public var uris: [MesosURI]
        /// `environment`.
        public var environment: Environment
        /// `shell`: true runs `/bin/sh -c value`; false with no value runs a Docker image's entrypoint.
        public var shell: Bool
        /// `value`: the shell command.
        public var value: String?
    }

    /// `Environment`.
    public struct Environment: Encodable, Sendable, Equatable {
        /// `variables`.
        public var variables: [Variable]

        /// `Environment.Variable` of type VALUE.
        public struct Variable: Encodable, Sendable, Equatable {
            /// `name` (required).
            public var name: String
            /// `type`: always `VALUE` (a plain string, never a secret).
            public var type = "VALUE"
            /// `value` (must be set for VALUE).
            public var value: String

            /// Creates a variable.
            public init(name: String, value: String) {
                self.name = name
                self.value = value
            }
        }
    }

    /// `HealthCheck` of type HTTP.
    public struct HealthCheck: Encodable, Sendable, Equatable {
        /// `type`: `HTTP` (optional in the proto, required by master validation).
        public var type = "HTTP"
        /// `http`.
        public var http: HTTPCheckInfo
        /// `delay_seconds`.
        public var delaySeconds: Double
        /// `interval_seconds`.
        public var intervalSeconds: Double
        /// `timeout_seconds`.
        public var timeoutSeconds: Double
        /// `consecutive_failures`.
        public var consecutiveFailures: Int
        /// `grace_period_seconds`.
        public var gracePeriodSeconds: Double

        enum CodingKeys: String, CodingKey {
            case type, http
            case delaySeconds = "delay_seconds"
            case intervalSeconds = "interval_seconds"
            case timeoutSeconds = "timeout_seconds"
            case consecutiveFailures = "consecutive_failures"
            case gracePeriodSeconds = "grace_period_seconds"
        }

        /// `HealthCheck.HTTPCheckInfo`.
        public struct HTTPCheckInfo: Encodable, Sendable, Equatable {
            /// `scheme`: `http`.
            public var scheme = "http"
            /// `port` (required): where the executor's curl connects on 127.0.0.1.
            public var port: UInt64
            /// `path`, starting with `/`.
            public var path: String
        }
    }

    /// `KillPolicy`.
    public struct KillPolicy: Encodable, Sendable, Equatable {
        /// `grace_period`: SIGTERM, then SIGKILL after this long.
        public var gracePeriod: Duration

        enum CodingKeys: String, CodingKey { case gracePeriod = "grace_period" }

        /// `DurationInfo`.
        public struct Duration: Encodable, Sendable, Equatable {
            /// `nanoseconds` (required).
            public var nanoseconds: Int64
        }
    }

    /// `Labels`.
    public struct Labels: Encodable, Sendable, Equatable {
        /// `labels`.
        public var labels: [Label]

        /// `Label`.
        public struct Label: Encodable, Sendable, Equatable {
            /// `key` (required).
            public var key: String
            /// `value`.
            public var value: String
            /// Creates a label.
            public init(key: String, value: String) {
                self.key = key
                self.value = value
            }
        }
    }

    /// `DiscoveryInfo`.
    public struct DiscoveryInfo: Encodable, Sendable, Equatable {
        /// `visibility` (required).
        public var visibility: String
        /// `name`.
        public var name: String
        /// `ports`.
        public var ports: Ports

        /// `Ports`.
        public struct Ports: Encodable, Sendable, Equatable {
            /// `ports`.
            public var ports: [Port]
        }

        /// `Port`.
        public struct Port: Encodable, Sendable, Equatable {
            /// `number` (required): the host port.
            public var number: UInt64
            /// `name`.
            public var name: String
            /// `protocol`.
            public var `protocol`: String
        }
    }

    /// `ContainerInfo` for the Docker containerizer.
    public struct ContainerInfo: Encodable, Sendable, Equatable {
        /// `type` (required): `DOCKER`.
        public var type: String
        /// `docker`.
        public var docker: DockerInfo
        /// `volumes`.
        public var volumes: [Volume]

        /// `ContainerInfo.DockerInfo`.
        public struct DockerInfo: Encodable, Sendable, Equatable {
            /// `image` (required).
            public var image: String
            /// `network`: `BRIDGE` (port mappings need it).
            public var network: String
            /// `port_mappings`.
            public var portMappings: [PortMapping]

            enum CodingKeys: String, CodingKey {
                case image, network
                case portMappings = "port_mappings"
            }
        }

        /// `ContainerInfo.DockerInfo.PortMapping`.
        public struct PortMapping: Encodable, Sendable, Equatable {
            /// `host_port` (required): must lie in the task's ports resource.
            public var hostPort: UInt64
            /// `container_port` (required).
            public var containerPort: UInt64
            /// `protocol`.
            public var `protocol`: String

            enum CodingKeys: String, CodingKey {
                case hostPort = "host_port"
                case containerPort = "container_port"
                case `protocol`
            }
        }

        /// `Volume`.
        public struct Volume: Encodable, Sendable, Equatable {
            /// `container_path` (required).
            public var containerPath: String
            /// `host_path`: relative paths are joined to the sandbox by the Docker containerizer.
            public var hostPath: String
            /// `mode` (required): `RO` or `RW`.
            public var mode: String

            enum CodingKeys: String, CodingKey {
                case mode
                case containerPath = "container_path"
                case hostPath = "host_path"
            }
        }
    }
}
