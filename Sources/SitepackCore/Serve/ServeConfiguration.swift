/// Everything `sitepack serve` can be told: what to serve, where to listen, how to log and the limits.
public struct ServeConfiguration: Sendable {
    /// The folder whose files and artifacts are served.
    public var root: String
    /// The address to bind (`0.0.0.0` for every interface).
    public var host: String
    /// The TCP port; 0 picks a free one (read it back from ``ArtifactServer/port``).
    public var port: Int
    /// The origin agents should use (`http://host:port`, `host:port` or `host`); `nil` derives it from the bind address.
    public var advertise: String?
    /// The access log format written to standard error.
    public var accessLog: AccessLogFormat
    /// How long in-flight responses may continue after SIGTERM/SIGINT before connections are closed.
    public var gracePeriod: Duration
    /// Number of event loop threads; `nil` uses one per core.
    public var threads: Int?
    /// Connections beyond this are closed as soon as they are accepted.
    public var maxConnections: Int
    /// How long a kept-alive connection may sit without a request.
    public var idleTimeout: Duration
    /// How long a client may take to send a request's headers once it started sending them.
    public var headerTimeout: Duration
    /// How long sent data may stay unacknowledged — including a client that stopped reading (zero window) —
    /// before the kernel drops the connection (`TCP_USER_TIMEOUT`); 0 leaves the kernel default.
    public var sendTimeout: Duration
    /// Largest total size of a request's header fields in bytes.
    public var maxHeaderBytes: Int
    /// Largest number of header fields in a request.
    public var maxHeaderCount: Int
    /// Files up to this size are kept in memory (revalidated by `stat` at most once a second).
    public var smallFileLimit: Int
    /// Memory each event loop may spend on cached small files.
    public var smallFileCacheBytes: Int
    /// The executable served at `/bin/<sha256>/sitepack` (`/proc/self/exe`, hashed once at start;
    /// `/bin/sitepack` redirects there); `nil` turns the route off.
    public var executablePath: String?
    /// How long the first request for a store version published since the last scan may wait for the
    /// scan that verifies it (hashing a large archive takes a while) before it is answered `503`.
    public var publishedVersionWait: Duration = .seconds(20)
    /// The token `sitepack publish` must send to `PUT` versions into the store; `nil` (the default) takes
    /// no uploads: `PUT` and `DELETE` are `405`.
    public var publishToken: PublishToken?
    /// The largest upload body in bytes (`413` beyond, checked against `Content-Length` and while streaming).
    public var maxUpload: Int64 = 8 << 30
    /// Uploads are refused (`507`) when they would leave less than this many bytes free on the store's disk.
    public var minFree: Int64 = 1 << 30
    /// Called on the scanner thread with each archive path about to be hashed (tests hold a scan there).
    var beforeHashing: (@Sendable (String) -> Void)?

    /// Creates a configuration with the documented defaults.
    public init(root: String = "dist", host: String = "0.0.0.0", port: Int = 9000, advertise: String? = nil,
                accessLog: AccessLogFormat = .combined, gracePeriod: Duration = .seconds(30), threads: Int? = nil,
                maxConnections: Int = 10_000, idleTimeout: Duration = .seconds(60), headerTimeout: Duration = .seconds(10),
                sendTimeout: Duration = .seconds(120), maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100, smallFileLimit: Int = 64 * 1024,
                smallFileCacheBytes: Int = 8 * 1024 * 1024, executablePath: String? = "/proc/self/exe") {
        self.root = root
        self.host = host
        self.port = port
        self.advertise = advertise
        self.accessLog = accessLog
        self.gracePeriod = gracePeriod
        self.threads = threads
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.sendTimeout = sendTimeout
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.smallFileLimit = smallFileLimit
        self.smallFileCacheBytes = smallFileCacheBytes
        self.executablePath = executablePath
    }
}

/// How each request is logged to standard error.
public enum AccessLogFormat: String, Sendable, CaseIterable {
    /// The NCSA combined log format nginx and Apache write.
    case combined
    /// One JSON object a line.
    case json
    /// No access log.
    case off
}
