import NIOCore
import NIOHTTP1
import Synchronization

/// A plain answer: status, headers, body; the connection is closed after it.
struct EmulatorReply {
    var status: Int
    var headers: [(String, String)] = []
    var body: String = ""
}

/// Collects one request and hands it to the emulator; writes the reply unless the connection became
/// a SUBSCRIBE stream.
final class EmulatorHTTPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let box: EmulatorBox
    // Touched only on the channel's event loop.
    nonisolated(unsafe) private var head: HTTPRequestHead?
    nonisolated(unsafe) private var body: [UInt8] = []
    nonisolated(unsafe) private var streaming = false

    init(box: EmulatorBox) { self.box = box }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let value):
            head = value
            body = []
        case .body(let buffer):
            body += buffer.readableBytesView
        case .end:
            guard let head, !streaming, let emulator = box.emulator.withLock({ $0 }) else { return }
            guard let reply = emulator.respond(to: head, body: body, channel: context.channel) else {
                streaming = true
                return
            }
            var headers = HTTPHeaders()
            for (name, value) in reply.headers { headers.add(name: name, value: value) }
            headers.add(name: "Content-Length", value: String(reply.body.utf8.count))
            headers.add(name: "Connection", value: "close")
            if !reply.body.isEmpty { headers.add(name: "Content-Type", value: "text/plain; charset=utf-8") }
            let status = HTTPResponseStatus(statusCode: reply.status)
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            if !reply.body.isEmpty {
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: reply.body)))), promise: nil)
            }
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
