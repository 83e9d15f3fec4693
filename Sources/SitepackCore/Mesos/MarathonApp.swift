/// The Marathon app definition (`POST /v2/apps`) equivalent to the TaskInfo sitepack builds
/// (mesos.md §5). Marathon picks the offer and the host port itself and injects `PORT0`/`PORT`.
public struct MarathonApp: Encodable, Sendable, Equatable {
    /// `id`: `/sites/<name>`.
    public var id: String
    /// `cmd`: the shell command (with `$PORT0`); absent for the Docker runtime (image entrypoint).
    public var cmd: String?
    /// `cpus`.
    public var cpus: Double
    /// `mem` (MB).
    public var mem: Double
    /// `disk` (MB), when asked for.
    public var disk: Double?
    /// `instances`.
    public var instances = 1
    /// `fetch`: each item becomes a `CommandInfo.URI`.
    public var fetch: [Fetch]
    /// `portDefinitions` (host networking).
    public var portDefinitions: [PortDefinition]?
    /// `requirePorts`: true when a specific port was asked for.
    public var requirePorts: Bool?
    /// `container` (Docker runtime).
    public var container: Container?
    /// `networks` (Docker runtime: `container/bridge`).
    public var networks: [Network]?
    /// `healthChecks`: one `MESOS_HTTP` check, run by the Mesos executor.
    public var healthChecks: [HealthCheck]?
    /// `env`: the user's `--env` values (Marathon adds PORT0/PORT itself).
    public var env: [String: String]?
    /// `labels`.
    public var labels: [String: String]
    /// `constraints`: `[attribute, "LIKE", regex]` triples.
    public var constraints: [[String]]?
    /// `taskKillGracePeriodSeconds` → `KillPolicy.grace_period`.
    public var taskKillGracePeriodSeconds: Double

    /// One `fetch` entry: Marathon's spelling of a ``MesosURI`` (1:1, with the same defaults).
    public struct Fetch: Codable, Sendable, Equatable {
        /// `uri`.
        public var uri: String
        /// `extract`.
        public var extract: Bool
        /// `executable`.
        public var executable: Bool
        /// `cache`.
        public var cache: Bool
        /// `destPath` → `output_file`.
        public var destPath: String?

        /// The entry for a Mesos URI.
        public init(_ uri: MesosURI) {
            self.uri = uri.value
            self.extract = uri.extract
            self.executable = uri.executable
            self.cache = uri.cache
            self.destPath = uri.outputFile
        }

        /// Decodes an entry; absent fields take Marathon's defaults, which mirror mesos.proto's.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(MesosURI(
                value: try container.decode(String.self, forKey: .uri),
                extract: try container.decodeIfPresent(Bool.self, forKey: .extract) ?? true,
                executable: try container.decodeIfPresent(Bool.self, forKey: .executable) ?? false,
                cache: try container.decodeIfPresent(Bool.self, forKey: .cache) ?? false,
                outputFile: try container.decodeIfPresent(String.self, forKey: .destPath)
            ))
        }

        /// The `CommandInfo.URI` Marathon makes of this entry.
        public var mesosURI: MesosURI {
            MesosURI(value: uri, extract: extract, executable: executable, cache: cache, outputFile: destPath)
        }
    }

    /// One `portDefinitions` entry.
    public struct PortDefinition: Encodable, Sendable, Equatable {
        /// `port`: 0 lets Marathon choose from the offer.
        public var port: UInt64
        /// `protocol`.
        public var `protocol` = "tcp"
        /// `name`.
        public var name = "http"
    }

    /// `container` of type DOCKER.
    public struct Container: Encodable, Sendable, Equatable {
        /// `type`.
        public var type = "DOCKER"
        /// `docker`.
        public var docker: Docker
        /// `portMappings`.
        public var portMappings: [PortMapping]
        /// `volumes`.
        public var volumes: [Volume]

        /// `container.docker`.
        public struct Docker: Encodable, Sendable, Equatable {
            /// `image`.
            public var image: String
        }

        /// `container.portMappings` entry.
        public struct PortMapping: Encodable, Sendable, Equatable {
            /// `containerPort`.
            public var containerPort: UInt64
            /// `hostPort`: 0 lets Marathon choose.
            public var hostPort: UInt64
            /// `protocol`.
            public var `protocol` = "tcp"
            /// `name`.
            public var name = "http"
        }

        /// `container.volumes` entry.
        public struct Volume: Encodable, Sendable, Equatable {
            /// `containerPath`.
            public var containerPath: String
            /// `hostPath` (relative: inside the sandbox).
            public var hostPath: String
            /// `mode`.
            public var mode: String
        }
    }

    /// `networks` entry.
    public struct Network: Encodable, Sendable, Equatable {
        /// `mode`.
        public var mode: String
    }

    /// `healthChecks` entry.
    public struct HealthCheck: Encodable, Sendable, Equatable {
        /// `protocol`: `MESOS_HTTP`.
        public var `protocol` = "MESOS_HTTP"
        /// `portIndex`.
        public var portIndex = 0
        /// `path`.
        public var path: String
        /// `gracePeriodSeconds`.
        public var gracePeriodSeconds: Double
        /// `intervalSeconds`.
        public var intervalSeconds: Double
        /// `timeoutSeconds`.
        public var timeoutSeconds: Double
        /// `maxConsecutiveFailures`.
        public var maxConsecutiveFailures: Int
        /// `delaySeconds`.
        public var delaySeconds: Double
    }
}
