public import Logging
public import ServiceLifecycle
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `sitepack serve`: the HTTP server Mesos agents download artifacts from, and a static site server.
///
/// Built by ``make(configuration:logger:)``, which checks the folder, scans its artifacts and binds the
/// port (read it back from ``port``, so tests can bind port 0); ``run()`` serves until the service group
/// shuts down gracefully, then stops accepting, lets in-flight responses finish within the grace period
/// and returns. One SwiftNIO event loop per core, one channel handler per connection, no concurrency hop
/// per request; catalog scans and hashing (the artifacts', and the served binary's once at start) run on
/// one scanner thread of the server's own, never on a loop.
public final class ArtifactServer: Service, Sendable {
    /// The port actually bound.
    public let port: Int
    /// The origin agents should use, e.g. `http://agent-reachable:9000`.
    public let origin: String
    /// The artifacts found at start.
    public let catalog: ArtifactCatalog
    /// Request and connection counters.
    public let metrics: ServerMetrics

    private let configuration: ServeConfiguration
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let connections: Mutex<Connections>
    private let loops: LoopContexts
    private let executableHandle: NIOFileHandle?
    private let scannerPool: NIOThreadPool

    private struct Connections: Sendable {
        var open: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
    }

    /// Per-loop state, each touched only on its own loop.
    private struct LoopContexts: @unchecked Sendable {
        let byLoop: [ObjectIdentifier: LoopContext]
    }

    /// Checks the folder, scans artifacts, opens and hashes the executable and binds; nothing is served
    /// until ``run()``, so no request ever finds the binary's digest missing.
    public static func make(configuration: ServeConfiguration, logger: Logger) async throws -> ArtifactServer {
        guard let real = realpath(configuration.root, nil) else {
            throw SitepackError(.serveRoot, "cannot serve \(configuration.root): the folder does not exist (build a site first: sitepack build SITE -o \(configuration.root))")
        }
        let root = String(cString: real)
        free(real)
        guard FileIdentity.of(path: root)?.isDirectory == true else {
            throw SitepackError(.serveRoot, "cannot serve \(configuration.root): it is not a folder")
        }
        raiseOpenFileLimit()
        let scannerPool = NIOThreadPool(numberOfThreads: 1)
        scannerPool.start()
        let catalog = ArtifactCatalog(root: root, logger: logger, threadPool: scannerPool, beforeHashing: configuration.beforeHashing)
        _ = try? await scannerPool.runIfActive { Self.cleanLeftovers(root, logger: logger) }
        await catalog.refresh()
        let executable: Responder.ExecutableFile?
        if let path = configuration.executablePath {
            executable = try? await scannerPool.runIfActive { Self.openExecutable(path, logger: logger) }
        } else {
            executable = nil
        }
        let threads = configuration.threads ?? System.coreCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        var contexts: [ObjectIdentifier: LoopContext] = [:]
        for loop in group.makeIterator() {
            contexts[ObjectIdentifier(loop)] = LoopContext(eventLoop: loop, cacheBytes: configuration.smallFileCacheBytes / max(1, threads),
                                                           accessLog: configuration.accessLog)
        }
        let sweepInterval = TimeAmount.milliseconds(min(250, max(10, Int64(TimeAmount(configuration.headerTimeout).nanoseconds / 4_000_000))))
        let sweeps = LoopContexts(byLoop: contexts)
        for loop in group.makeIterator() {
            let id = ObjectIdentifier(loop)
            loop.scheduleRepeatedTask(initialDelay: sweepInterval, delay: sweepInterval) { _ in sweeps.byLoop[id]?.sweep() }
        }
        let box = ServerBox()
        let metrics = ServerMetrics()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: CInt(TCP_USER_TIMEOUT))),
                                value: SocketOptionValue(clamping: TimeAmount(configuration.sendTimeout).nanoseconds / 1_000_000))
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                guard let server = box.server else { return channel.close() }
                return channel.eventLoop.makeCompletedFuture { try server.initialize(channel) }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            try? await group.shutdownGracefully()
            catalog.stop()
            try? await scannerPool.shutdownGracefully()
            try? executable?.handle.close()
            throw SitepackError(.serveBind, "cannot listen on \(configuration.host):\(configuration.port): \(error) (choose another --port or --host)")
        }
        let port = channel.localAddress?.port ?? configuration.port
        let origin = Self.origin(advertise: configuration.advertise, host: configuration.host, port: port)
        catalog.renderListings(origin: origin)
        var uploads: UploadDoor?
        if let token = configuration.publishToken {
            let uploadPool = NIOThreadPool(numberOfThreads: 2)
            uploadPool.start()
            uploads = UploadDoor(token: token, store: ArtifactStore(root: root), maxUpload: configuration.maxUpload,
                                 minFree: configuration.minFree, threadPool: uploadPool, catalog: catalog,
                                 visibleWait: TimeAmount(configuration.publishedVersionWait))
        }
        let responder = Responder(folder: ServedFolder(root: root), catalog: catalog, metrics: metrics, origin: origin,
                                  smallFileLimit: configuration.smallFileLimit,
                                  publishedVersionWait: TimeAmount(configuration.publishedVersionWait), executable: executable,
                                  uploads: uploads)
        let server = ArtifactServer(configuration: configuration, logger: logger, group: group, channel: channel, port: port,
                                    origin: origin, catalog: catalog, metrics: metrics, loops: LoopContexts(byLoop: contexts),
                                    responder: responder, executableHandle: executable?.handle, scannerPool: scannerPool)
        box.server = server
        return server
    }

    private let responder: Responder

    private init(configuration: ServeConfiguration, logger: Logger, group: MultiThreadedEventLoopGroup, channel: any Channel,
                 port: Int, origin: String, catalog: ArtifactCatalog, metrics: ServerMetrics, loops: LoopContexts,
                 responder: Responder, executableHandle: NIOFileHandle?, scannerPool: NIOThreadPool) {
        self.configuration = configuration
        self.logger = logger
        self.group = group
        self.serverChannel = channel
        self.port = port
        self.origin = origin
        self.catalog = catalog
        self.metrics = metrics
        self.loops = loops
        self.responder = responder
        self.executableHandle = executableHandle
        self.scannerPool = scannerPool
        self.connections = Mutex(Connections())
    }

    /// The URLs agents should use, one a line: each artifact's immutable URL, its `latest` alias, and
    /// `/content.tar.gz` when the folder is a build output (or a store, whose top level links the newest).
    public var advertisedURLs: [String] {
        var urls: [String] = []
        var named = Set<String>()
        for artifact in catalog.artifacts {
            urls.append(origin + artifact.address.urlPath())
            if named.insert(artifact.name).inserted { urls.append(origin + ArtifactAddress.latestPath(name: artifact.name)) }
        }
        if FileIdentity.of(path: catalog.root + "/" + ArtifactAddress.archiveFile)?.isRegularFile == true {
            urls.append(origin + "/" + ArtifactAddress.archiveFile)
        }
        return urls
    }

    /// The content-addressed URL of the sitepack binary this server offers, `<origin>/bin/<sha256>/sitepack`
    /// (what `sitepack task --runtime sitepack` puts in the TaskInfo); nil when the route is off.
    public var binaryURL: String? { responder.executable.map { $0.address.url(origin: origin) } }

    /// The size in bytes of the binary at ``binaryURL`` (what each agent fetches once, with the fetcher cache).
    public var binarySize: Int64? { responder.executable.map { $0.representation.value.length } }

    /// Serves until a graceful shutdown (SIGTERM/SIGINT in a `ServiceGroup`, or ``shutdown()``), then drains.
    public func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await serverChannel.closeFuture.get()
            } onGracefulShutdown: {
                self.shutdown()
            }
        } onCancel: {
            self.shutdown()
        }
        let deadline = ContinuousClock.now + configuration.gracePeriod
        var waited = false
        while openConnectionCount > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            if !waited {
                logger.info("waiting up to \(configuration.gracePeriod) for \(openConnectionCount) connection(s) to finish")
                waited = true
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let left = connections.withLock { Array($0.open.values) }
        if !left.isEmpty { logger.warning("grace period over: closing \(left.count) connection(s)") }
        for channel in left { channel.close(promise: nil) }
        for loop in group.makeIterator() {
            let loops = self.loops
            let id = ObjectIdentifier(loop)
            try? await loop.submit { loops.byLoop[id]?.accessLog.flush() }.get()
        }
        // Whoever still waits for a scan is answered before the loops stop; a scan in progress gives up.
        catalog.stop()
        try? await scannerPool.shutdownGracefully()
        // Uploads cut off by the grace period have been dropped with their connections; the pool finishes that.
        try? await responder.uploads?.threadPool.shutdownGracefully()
        try? executableHandle?.close()
        try await group.shutdownGracefully()
        logger.info("stopped")
    }

    /// Stops accepting and asks every connection to close once its current response is done.
    public func shutdown() {
        let open = connections.withLock { state -> [any Channel] in
            if state.shuttingDown { return [] }
            state.shuttingDown = true
            return Array(state.open.values)
        }
        serverChannel.close(promise: nil)
        for channel in open { channel.pipeline.fireUserInboundEventTriggered(ServerShutdownEvent()) }
    }

    private var openConnectionCount: Int { connections.withLock { $0.open.count } }

    /// Sets up one accepted connection (on its event loop).
    private func initialize(_ channel: any Channel) throws {
        let id = ObjectIdentifier(channel)
        let accepted = connections.withLock { state -> Bool in
            guard !state.shuttingDown, state.open.count < configuration.maxConnections else { return false }
            state.open[id] = channel
            return true
        }
        metrics.connectionOpened(accepted: accepted)
        guard accepted else {
            channel.close(promise: nil)
            return
        }
        guard let loop = loops.byLoop[ObjectIdentifier(channel.eventLoop)] else {
            throw SitepackError(.io, "connection on an event loop the server does not own")
        }
        let state = ConnectionState(channel: channel, idleTimeout: .init(configuration.idleTimeout),
                                    headerTimeout: .init(configuration.headerTimeout))
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = configuration.maxHeaderBytes
        limits.maxHeaderFieldSize = configuration.maxHeaderBytes
        limits.maxHeaderFieldCount = configuration.maxHeaderCount
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(ConnectionGuard(state: state, loop: loop) { [weak self] in
            self?.connectionClosed(id)
        })
        try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes,
                                                                    informationalResponseStrategy: .drop, limitConfiguration: limits)))
        try sync.addHandler(HTTPRequestHandler(responder: responder, loop: loop, state: state))
    }

    private func connectionClosed(_ id: ObjectIdentifier) {
        let removed = connections.withLock { $0.open.removeValue(forKey: id) != nil }
        if removed { metrics.connectionClosed() }
    }

    /// The advertised origin: `--advertise` as given (adding `http://` and the port when missing), else
    /// the bind address, with the host name standing in for a wildcard address.
    static func origin(advertise: String?, host: String, port: Int) -> String {
        if var advertise, !advertise.isEmpty {
            while advertise.hasSuffix("/") { advertise.removeLast() }
            if advertise.contains("://") { return advertise }
            if advertise.contains(":") && !advertise.hasPrefix("[") || advertise.hasSuffix("]") == false && advertise.contains("]:") {
                return "http://" + advertise
            }
            return "http://\(advertise):\(port)"
        }
        var name = host
        if host == "0.0.0.0" || host == "::" || host.isEmpty {
            var buffer = [UInt8](repeating: 0, count: 256)
            let ok = buffer.withUnsafeMutableBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { chars in chars.baseAddress.map { gethostname($0, 255) == 0 } ?? false }
            }
            name = ok ? String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self) : "127.0.0.1"
        }
        if name.contains(":") && !name.hasPrefix("[") { name = "[\(name)]" }
        return "http://\(name):\(port)"
    }

    /// Removes what interrupted builds, uploads and gc runs left in the store (``StoreLeftovers``), so a
    /// server restarted after a crash starts clean; entries live processes hold are left alone. Skipped
    /// for a folder this process may not write. Blocking: on the scanner thread.
    private static func cleanLeftovers(_ root: String, logger: Logger) {
        guard access(root, W_OK) == 0 else { return }
        let (cleaned, failures) = StoreLeftovers.cleanAll(ArtifactStore(root: root), nowNanoseconds: FileSystem.nowNanoseconds())
        if !cleaned.isEmpty {
            logger.notice("removed \(cleaned.count) leftover(s) of interrupted builds, uploads or gc runs", metadata: ["paths": "\(cleaned)"])
        }
        for failure in failures {
            logger.warning("cannot clean a leftover: \(failure)")
        }
    }

    /// Opens the binary to serve and hashes it through that descriptor (blocking: on the scanner
    /// thread); nil turns the route off.
    private static func openExecutable(_ path: String, logger: Logger) -> Responder.ExecutableFile? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard let identity = FileIdentity.of(descriptor: fd), identity.isRegularFile else {
            close(fd)
            return nil
        }
        let address: BinaryAddress
        do {
            address = try BinaryAddress.of(descriptor: fd, path: path)
        } catch {
            logger.warning("not serving the sitepack binary at /bin/: \(error)")
            close(fd)
            return nil
        }
        let representation = Representation(
            length: identity.size, etag: "\"sha256:\(address.sha256)\"", lastModified: identity.modifiedSeconds,
            lastModifiedText: HTTPDate.format(identity.modifiedSeconds), contentType: "application/octet-stream", cacheControl: Responder.immutable)
        return Responder.ExecutableFile(handle: NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd), address: address,
                                        representation: .init(value: representation))
    }

    /// Serving thousands of connections needs thousands of descriptors: lift the soft limit to the hard one.
    private static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// Lets the child channel initializer (created before the server exists) reach the server.
private final class ServerBox: @unchecked Sendable {
    // Written once before the first connection can be accepted… but accepts can race the write, so
    // the initializer closes a connection that arrives before it is set.
    private let storage = Mutex<ArtifactServer?>(nil)
    var server: ArtifactServer? {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

extension TimeAmount {
    /// A Swift `Duration` as a NIO time amount.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
