import NIOCore
import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Answers the requests of one connection, in order, writing HTTP/1.1 responses itself.
///
/// NIO's request decoder parses; this handler renders the status line and headers straight into the
/// same buffer as a small body, so a cached 1 KiB response is one buffer and one `writev`, flushed once
/// per read burst (pipelined requests share the flush). Large bodies follow the head as a `FileRegion`,
/// sent with sendfile(2); while one is in flight, later requests wait in a queue and reading pauses, so
/// a pipelining client cannot make the server open files faster than it reads them. The same holds
/// while a request waits for the catalog to verify a just-published version (``Answer/afterScan(_:)``):
/// the loop goes on serving other connections, this one resumes when the scan finished or the
/// deadline passed, whichever comes first.
final class HTTPRequestHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let responder: Responder
    private let loop: LoopContext
    private let state: ConnectionState
    private var head: HTTPRequestHead?
    private var started: UInt64 = 0
    private var remote = "-"
    /// Complete requests waiting for a file body in flight to finish.
    private var waiting = CircularBuffer<(HTTPRequestHead, UInt64)>(initialCapacity: 2)
    private var fileInFlight = false
    /// A request waits for a catalog scan; its number, so a late callback cannot resume a later wait.
    private var catalogWait: UInt64?
    private var catalogWaits: UInt64 = 0
    private var readPending = false
    private var inputClosed = false
    private var closing = false
    private var unflushed = false
    /// The `PUT` whose body is being received into the store, if any.
    private var upload: UploadStream?
    /// The upload's body parts are still arriving (its `.end` has not).
    private var uploadBodyOpen = false
    /// Closing after a refusal may leave a request body unread: stop writing, read and drop a little,
    /// then close, so the client sees the answer instead of a reset.
    private var lingering = false

    init(responder: Responder, loop: LoopContext, state: ConnectionState) {
        self.responder = responder
        self.loop = loop
        self.state = state
    }

    func handlerAdded(context: ChannelHandlerContext) {
        remote = context.channel.remoteAddress?.ipAddress ?? "-"
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            state.requestStarted()
            started = NIODeadline.now().uptimeNanoseconds
            guard requestHead.version.major == 1, requestHead.version.minor <= 1 else {
                // HTTP/0.9 and versions this server does not speak: a 400 (never a 505), then close.
                if isBusy || !waiting.isEmpty { context.close(promise: nil) } else { refuseAndClose(.badRequest, context: context) }
                return
            }
            if requestHead.method != .GET, requestHead.method != .HEAD, !isBusy, waiting.isEmpty {
                // Decided before any body byte is read; pipelined behind other requests it is answered in order.
                startBody(requestHead, context: context)
                return
            }
            head = requestHead
        case .body(let buffer):
            // GET and HEAD carry no meaningful body; a refused one is dropped.
            if uploadBodyOpen { upload?.receive(buffer) }
        case .end:
            if uploadBodyOpen {
                uploadBodyOpen = false
                upload?.end()
                return
            }
            guard let requestHead = head else { return }
            head = nil
            if isBusy || !waiting.isEmpty {
                waiting.append((requestHead, started))
            } else {
                respond(to: requestHead, started: started, context: context)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    /// Holds reads while a file body is in flight or unsent responses pile up (a pipelining client that
    /// does not read what it asked for), so neither open files nor buffers grow without bound.
    func read(context: ChannelHandlerContext) {
        if let upload {
            // Reading the body: as fast as the disk takes it.
            if upload.wantsData { context.read() } else { readPending = true }
            return
        }
        if isBusy || !context.channel.isWritable {
            readPending = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, readPending, !isBusy || upload?.wantsData == true, !closing {
            readPending = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    /// A file body is in flight or a request waits for the catalog: later requests queue, reading pauses.
    private var isBusy: Bool { fileInFlight || catalogWait != nil || upload != nil }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        catalogWait = nil
        upload?.cancel()
        upload = nil
        context.fireChannelInactive()
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
    }

    private func respond(to requestHead: HTTPRequestHead, started: UInt64, context: ChannelHandlerContext, waited: CatalogWait? = nil) {
        state.requestStarted()
        switch responder.respond(to: requestHead, loop: loop, allocator: context.channel.allocator, waited: waited) {
        case .reply(let reply):
            send(reply, to: requestHead, started: started, context: context)
        case .afterScan(let scanned):
            waitForCatalog(scanned, requestHead: requestHead, started: started, context: context)
        }
    }

    /// Holds the request until the catalog's scan finished or ``Responder/publishedVersionWait`` passed,
    /// then asks the responder again. Responses already written go out now.
    private func waitForCatalog(_ scanned: EventLoopFuture<Void>, requestHead: HTTPRequestHead, started: UInt64,
                                context: ChannelHandlerContext) {
        catalogWaits += 1
        let number = catalogWaits
        catalogWait = number
        flushIfNeeded(context: context)
        let resume = { (outcome: CatalogWait) in
            guard self.catalogWait == number else { return }
            self.catalogWait = nil
            guard !self.closing else { return }
            self.respond(to: requestHead, started: started, context: context, waited: outcome)
            self.drainWaiting(context: context)
        }
        let deadline = context.eventLoop.assumeIsolated().scheduleTask(in: responder.publishedVersionWait) { resume(.timedOut) }
        scanned.assumeIsolated().whenComplete { _ in
            deadline.cancel()
            resume(.scanned)
        }
    }

    /// Starts receiving a request body, or refuses it at once.
    private func startBody(_ requestHead: HTTPRequestHead, context: ChannelHandlerContext) {
        let started = self.started
        switch responder.decideBody(requestHead, loop: loop, allocator: context.channel.allocator) {
        case .refuse(let reply):
            // Unless the client waits for 100 Continue, its body may be on the way: linger before closing.
            lingering = requestHead.headers.first(name: "expect") == nil
            send(reply, to: requestHead, started: started, context: context)
        case .upload(let target):
            let stream = UploadStream(target: target, eventLoop: context.eventLoop)
            upload = stream
            uploadBodyOpen = true
            state.receivingBody()
            stream.onOpened = {
                if target.expectsContinue, !self.closing {
                    var out = context.channel.allocator.buffer(capacity: 25)
                    out.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
                    context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(out)), promise: nil)
                }
                self.resumeReading(context: context)
            }
            stream.onDrained = { self.resumeReading(context: context) }
            stream.onSettled = { result, complete in
                self.upload = nil
                guard !self.closing else { return }
                self.state.requestStarted()
                let reply = self.responder.uploadReply(result, target: target, loop: self.loop, allocator: context.channel.allocator)
                self.lingering = !complete
                self.send(reply, to: requestHead, started: started, context: context, bodyComplete: complete)
                self.drainWaiting(context: context)
            }
            stream.start()
        }
    }

    private func resumeReading(context: ChannelHandlerContext) {
        guard readPending, !closing, upload?.wantsData == true else { return }
        readPending = false
        context.read()
    }

    private func send(_ reply: Reply, to requestHead: HTTPRequestHead, started: UInt64, context: ChannelHandlerContext,
                      bodyComplete: Bool = false) {
        // After the client half-closed, requests it already sent are still answered: only the last one closes.
        let keepAlive = requestHead.isKeepAlive && !state.shuttingDown && !(inputClosed && waiting.isEmpty)
            && (requestHead.method == .GET || requestHead.method == .HEAD || bodyComplete)
        var bodyBytes = 0
        if case .buffer(let body) = reply.body { bodyBytes = body.readableBytes }
        var out = context.channel.allocator.buffer(capacity: 320 + bodyBytes)
        Self.writeHead(status: reply.status, headers: reply.headers, keepAlive: keepAlive, http10: requestHead.version.minor == 0, into: &out)
        switch reply.body {
        case .none:
            context.write(wrapOutboundOut(.byteBuffer(out)), promise: nil)
        case .buffer(var body):
            if body.readableBytes > Self.copyLimit {
                // A large rendered body (the /sites listing) goes out as it is, gathered by writev, not copied.
                context.write(wrapOutboundOut(.byteBuffer(out)), promise: nil)
                context.write(wrapOutboundOut(.byteBuffer(body)), promise: nil)
            } else {
                out.writeBuffer(&body)
                context.write(wrapOutboundOut(.byteBuffer(out)), promise: nil)
            }
        case .file(let handle, let range, let owned):
            // Cork the socket for the file: the head and the first data leave in full segments, and no
            // partial segment is pushed after each sendfile call (what nginx's tcp_nopush does; worth ~5%
            // on loopback). Uncorked when the body is written, so small responses are never delayed.
            Self.setCork(true, context: context)
            context.write(wrapOutboundOut(.byteBuffer(out)), promise: nil)
            let region = FileRegion(fileHandle: handle, readerIndex: Int(range.lowerBound), endIndex: Int(range.upperBound))
            fileInFlight = true
            state.fileInFlight = (handle, range.upperBound)
            unflushed = false
            let promise = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.fileRegion(region)), promise: promise)
            let length = reply.bodyLength
            promise.futureResult.assumeIsolated().whenComplete { result in
                Self.setCork(false, context: context)
                self.state.fileInFlight = nil
                if owned { try? handle.close() }
                self.fileInFlight = false
                var succeeded = false
                if case .success = result { succeeded = true }
                self.finished(requestHead, reply: reply, started: started, bytes: succeeded ? length : 0,
                              keepAlive: keepAlive && succeeded, context: context)
                self.drainWaiting(context: context)
            }
            return
        }
        unflushed = true
        finished(requestHead, reply: reply, started: started, bytes: reply.bodyLength, keepAlive: keepAlive, context: context)
    }

    /// Bookkeeping after a response was handed to the channel: metrics, access log, the connection's next phase.
    private func finished(_ requestHead: HTTPRequestHead, reply: Reply, started: UInt64, bytes: Int64, keepAlive: Bool,
                          context: ChannelHandlerContext) {
        let elapsed = NIODeadline.now().uptimeNanoseconds &- started
        let status = Int(reply.status.code)
        responder.metrics.record(route: reply.route, status: status, bytes: bytes, nanoseconds: elapsed)
        if loop.accessLog.isEnabled {
            let entry = AccessLogEntry(
                remote: remote, method: requestHead.method.rawValue, target: requestHead.uri,
                version: "HTTP/\(requestHead.version.major).\(requestHead.version.minor)", status: status, bytes: bytes,
                nanoseconds: elapsed, referer: requestHead.headers.first(name: "referer"), userAgent: requestHead.headers.first(name: "user-agent"))
            if loop.accessLog.append(entry) {
                let log = NIOLoopBound(loop.accessLog, eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(100)) { log.value.flush() }
            }
        }
        if keepAlive {
            state.responseFinished()
        } else {
            closeAfterFlush(context: context)
        }
    }

    private func drainWaiting(context: ChannelHandlerContext) {
        while !isBusy, !closing, let (next, started) = waiting.popFirst() {
            respond(to: next, started: started, context: context)
        }
        flushIfNeeded(context: context)
        if !isBusy, !closing {
            if inputClosed && waiting.isEmpty {
                closeAfterFlush(context: context)
            } else if readPending, context.channel.isWritable {
                readPending = false
                context.read()
            }
        }
    }

    private func closeAfterFlush(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        unflushed = false
        let linger = lingering && !inputClosed
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(context.channel.allocator.buffer(capacity: 0)))).assumeIsolated()
            .whenComplete { _ in
                guard linger, context.channel.isActive else { return context.close(promise: nil) }
                // Half-close: the answer is complete for the client; what it still sends is read and dropped
                // (see channelRead's closing guard) until it closes, or for at most a second.
                context.close(mode: .output, promise: nil)
                context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { context.close(promise: nil) }
                if self.readPending {
                    self.readPending = false
                    context.read()
                }
            }
    }

    /// The client half-closed: answer what was asked, then close.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            inputClosed = true
            if closing {
                context.close(promise: nil)
                return
            }
            if !isBusy && waiting.isEmpty { closeAfterFlush(context: context) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let upload {
            // A body that cannot be completed (cut short, malformed chunks): nothing it wrote is kept.
            upload.cancel()
            self.upload = nil
            uploadBodyOpen = false
        }
        guard let parserError = error as? HTTPParserError, !isBusy, !closing else {
            context.close(promise: nil)
            return
        }
        // A malformed or oversized request: say so once, then close.
        refuseAndClose(parserError == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest, context: context)
    }

    /// Answers a request the server will not parse further with `status`, then closes.
    private func refuseAndClose(_ status: HTTPResponseStatus, context: ChannelHandlerContext) {
        let reply = responder.message(status, "\(status.reasonPhrase)\n", route: .invalid, loop: loop,
                                      allocator: context.channel.allocator, isHead: false)
        responder.metrics.record(route: .invalid, status: Int(status.code), bytes: reply.bodyLength, nanoseconds: 0)
        if loop.accessLog.isEnabled, loop.accessLog.append(AccessLogEntry(
            remote: remote, method: "-", target: "-", version: "-", status: Int(status.code), bytes: reply.bodyLength,
            nanoseconds: 0, referer: nil, userAgent: nil)) {
            loop.accessLog.flush()
        }
        var out = context.channel.allocator.buffer(capacity: 256)
        Self.writeHead(status: status, headers: reply.headers, keepAlive: false, http10: false, into: &out)
        if case .buffer(var body) = reply.body { out.writeBuffer(&body) }
        context.write(wrapOutboundOut(.byteBuffer(out)), promise: nil)
        closeAfterFlush(context: context)
    }

    /// Bodies up to this size are copied behind the head (one buffer, one write); larger ones are written as they are.
    private static let copyLimit = 32 * 1024

    private static let corkOption = ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: CInt(TCP_CORK)))

    private static func setCork(_ on: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        try? context.channel.syncOptions?.setOption(corkOption, value: on ? 1 : 0)
    }

    /// Renders `HTTP/1.1 <status>`, the headers and the blank line. Header values never hold CR or LF:
    /// request paths with control characters are refused before they can reach a `Location`.
    static func writeHead(status: HTTPResponseStatus, headers: HTTPHeaders, keepAlive: Bool, http10: Bool, into out: inout ByteBuffer) {
        switch status.code {
        case 200: out.writeStaticString("HTTP/1.1 200 OK\r\n")
        case 206: out.writeStaticString("HTTP/1.1 206 Partial Content\r\n")
        case 304: out.writeStaticString("HTTP/1.1 304 Not Modified\r\n")
        case 404: out.writeStaticString("HTTP/1.1 404 Not Found\r\n")
        default:
            out.writeStaticString("HTTP/1.1 ")
            out.writeString(String(status.code))
            out.writeStaticString(" ")
            out.writeString(status.reasonPhrase)
            out.writeStaticString("\r\n")
        }
        for (name, value) in headers {
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        if !keepAlive {
            out.writeStaticString("Connection: close\r\n")
        } else if http10 {
            out.writeStaticString("Connection: keep-alive\r\n")
        }
        out.writeStaticString("\r\n")
    }
}
