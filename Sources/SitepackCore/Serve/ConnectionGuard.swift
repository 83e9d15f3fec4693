import NIOCore

/// Sent down every connection's pipeline when the server begins a graceful shutdown.
struct ServerShutdownEvent: Sendable {}

/// The first handler of every connection: starts the header clock when a request's first bytes arrive,
/// and turns the server's shutdown event into "close when idle".
final class ConnectionGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let state: ConnectionState
    private let loop: LoopContext
    private let onClose: () -> Void

    init(state: ConnectionState, loop: LoopContext, onClose: @escaping () -> Void) {
        self.state = state
        self.loop = loop
        self.onClose = onClose
    }

    func channelActive(context: ChannelHandlerContext) {
        state.start()
        loop.connections[ObjectIdentifier(state)] = state
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        state.bytesArrived()
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        loop.connections[ObjectIdentifier(state)] = nil
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
