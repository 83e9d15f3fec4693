import NIOCore
import NIOHTTP1

/// Answers the requests of one connection, in order (NIO's pipelining handler in front holds later
/// requests until each response is written). Bodies of large files go out with sendfile(2) through a
/// `FileRegion`; small ones from memory.
final class HTTPRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: Responder
    private let loop: LoopContext
    private let state: ConnectionState
    private var head: HTTPRequestHead?
    private var started: NIODeadline = .now()
    private var responding = false
    private var remote = "-"
    private var inputClosed = false

    init(responder: Responder, loop: LoopContext, state: ConnectionState) {
        self.responder = responder
        self.loop = loop
        self.state = state
    }

    func handlerAdded(context: ChannelHandlerContext) {
        remote = context.channel.remoteAddress?.ipAddress ?? "-"
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            state.requestStarted()
            head = requestHead
            started = .now()
        case .body:
            break  // GET and HEAD carry no meaningful body; anything else is answered 405.
        case .end:
            guard let requestHead = head else { return }
            head = nil
            respond(to: requestHead, context: context)
        }
    }

    private func respond(to requestHead: HTTPRequestHead, context: ChannelHandlerContext) {
        let reply = responder.respond(to: requestHead, loop: loop, allocator: context.channel.allocator)
        var headers = reply.headers
        let keepAlive = requestHead.isKeepAlive && !state.shuttingDown
            && (requestHead.method == .GET || requestHead.method == .HEAD)
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if requestHead.version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        responding = true
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: reply.status, headers: headers))), promise: nil)
        var closeAfter: NIOFileHandle?
        switch reply.body {
        case .none:
            break
        case .buffer(let buffer):
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .file(let handle, let range, let owned):
            let region = FileRegion(fileHandle: handle, readerIndex: Int(range.lowerBound), endIndex: Int(range.upperBound))
            context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: nil)
            if owned { closeAfter = handle }
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
        let length = reply.bodyLength
        let status = Int(reply.status.code)
        let route = reply.route
        let started = self.started
        promise.futureResult.assumeIsolated().whenComplete { result in
            try? closeAfter?.close()
            self.responding = false
            let elapsed = NIODeadline.now().uptimeNanoseconds &- started.uptimeNanoseconds
            var sent: Int64 = 0
            if case .success = result { sent = length }
            self.responder.metrics.record(route: route, status: status, bytes: sent, nanoseconds: elapsed)
            guard self.loop.accessLog.isEnabled else {
                if keepAlive, !self.inputClosed, case .success = result { self.state.responseFinished() } else { context.close(promise: nil) }
                return
            }
            let entry = AccessLogEntry(
                remote: self.remote, method: requestHead.method.rawValue, target: requestHead.uri,
                version: "HTTP/\(requestHead.version.major).\(requestHead.version.minor)", status: status, bytes: sent,
                nanoseconds: elapsed, referer: requestHead.headers.first(name: "referer"), userAgent: requestHead.headers.first(name: "user-agent"))
            if self.loop.accessLog.append(entry) {
                let log = NIOLoopBound(self.loop.accessLog, eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(100)) { log.value.flush() }
            }
            if keepAlive, !self.inputClosed, case .success = result {
                self.state.responseFinished()
            } else {
                context.close(promise: nil)
            }
        }
    }

    /// The client half-closed: answer what was asked (the pipelining handler delivers it first), then close.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            inputClosed = true
            if !responding { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError, !responding {
            // A malformed or oversized request: say so once, then close.
            let status: HTTPResponseStatus = parserError == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
            var reply = responder.message(status, "\(status.reasonPhrase)\n", route: .invalid, loop: loop,
                                          allocator: context.channel.allocator, isHead: false)
            reply.headers.add(name: "Connection", value: "close")
            responder.metrics.record(route: .invalid, status: Int(status.code), bytes: reply.bodyLength, nanoseconds: 0)
            responding = true
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: reply.headers))), promise: nil)
            if case .buffer(let buffer) = reply.body { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        context.close(promise: nil)
    }
}
