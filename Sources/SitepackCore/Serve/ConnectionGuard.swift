import NIOCore

/// Sent down every connection's pipeline when the server begins a graceful shutdown.
struct ServerShutdownEvent: Sendable {}

/// Where a connection is in its request cycle, shared by ``ConnectionGuard`` and ``HTTPRequestHandler``
/// (both on the connection's event loop), and the one timer that enforces the matching limit:
/// an idle keep-alive connection gets `idleTimeout`, a request whose first bytes arrived gets
/// `headerTimeout` to finish its headers; a request being answered has no timer, however slow the
/// download, because the client is reading.
final class ConnectionState {
    enum Phase { case idle, readingHead, responding }

    private(set) var phase: Phase = .idle
    private(set) var shuttingDown = false
    private var timer: Scheduled<Void>?
    private let idleTimeout: TimeAmount
    private let headerTimeout: TimeAmount
    private let channel: any Channel

    init(channel: any Channel, idleTimeout: TimeAmount, headerTimeout: TimeAmount) {
        self.channel = channel
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
    }

    /// Bytes arrived; if the connection was idle a request has started and its header clock runs.
    func bytesArrived() {
        guard phase == .idle else { return }
        phase = .readingHead
        arm(headerTimeout)
    }

    /// A complete request head arrived: no timer while it is answered.
    func requestStarted() {
        phase = .responding
        timer?.cancel()
        timer = nil
    }

    /// The response was handed to the kernel; the connection is idle again (or closes if shutting down).
    func responseFinished() {
        phase = .idle
        if shuttingDown {
            channel.close(promise: nil)
        } else {
            arm(idleTimeout)
        }
    }

    /// The server is draining: idle connections close now, busy ones after their response.
    func beginShutdown() {
        shuttingDown = true
        if phase != .responding { channel.close(promise: nil) }
    }

    /// The connection went away.
    func closed() {
        timer?.cancel()
        timer = nil
    }

    /// Starts the idle clock for a new connection.
    func start() { arm(idleTimeout) }

    private func arm(_ amount: TimeAmount) {
        timer?.cancel()
        let channel = self.channel
        timer = channel.eventLoop.scheduleTask(in: amount) { channel.close(promise: nil) }
    }
}

/// The first handler of every connection: starts the header clock when a request's first bytes arrive,
/// and turns the server's shutdown event into "close when idle".
final class ConnectionGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let state: ConnectionState
    private let onClose: () -> Void

    init(state: ConnectionState, onClose: @escaping () -> Void) {
        self.state = state
        self.onClose = onClose
    }

    func channelActive(context: ChannelHandlerContext) {
        state.start()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        state.bytesArrived()
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.closed()
        onClose()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ServerShutdownEvent {
            state.beginShutdown()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
