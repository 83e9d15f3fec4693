import NIOCore
import NIOHTTP1

/// Building a file's reply: conditionals (RFC 9110 §13.2.2), ranges, validators and the body's source.
extension Responder {
    enum Source {
        case buffer(ByteBuffer)
        /// Closed by the writer after the body, or here when no body is sent.
        case ownedHandle(NIOFileHandle)
        /// Lives as long as the server; never closed per request.
        case sharedHandle(NIOFileHandle)
    }

    func fileReply(head: HTTPRequestHead, representation: Representation, source: Source, route: ServeRoute,
                           loop: LoopContext, allocator: ByteBufferAllocator) -> Reply {
        let isGet = head.method == .GET
        let headers = head.headers
        let request = ConditionalOutcome.Request(
            isGet: isGet, ifMatch: headers.first(name: "if-match"), ifNoneMatch: headers.first(name: "if-none-match"),
            ifModifiedSince: headers.first(name: "if-modified-since"), ifUnmodifiedSince: headers.first(name: "if-unmodified-since"),
            ifRange: headers.first(name: "if-range"), range: headers.first(name: "range"))
        let outcome = ConditionalOutcome(request: request, etag: representation.etag, lastModified: representation.lastModified,
                                         length: representation.length)
        var out = HTTPHeaders()
        out.reserveCapacity(10)
        out.add(name: "Date", value: loop.date)
        out.add(name: "Server", value: "sitepack")
        func validators() {
            out.add(name: "ETag", value: representation.etag)
            out.add(name: "Last-Modified", value: representation.lastModifiedText)
            if let cacheControl = representation.cacheControl { out.add(name: "Cache-Control", value: cacheControl) }
        }
        func dropSource() { if case .ownedHandle(let handle) = source { try? handle.close() } }
        func body(_ range: Range<Int64>) -> Reply.Body {
            guard isGet else { dropSource(); return .none }
            switch source {
            case .buffer(let buffer):
                return .buffer(buffer.getSlice(at: buffer.readerIndex + Int(range.lowerBound), length: Int(range.upperBound - range.lowerBound)) ?? buffer)
            case .ownedHandle(let handle):
                return .file(handle, range, owned: true)
            case .sharedHandle(let handle):
                return .file(handle, range, owned: false)
            }
        }
        switch outcome {
        case .whole:
            out.add(name: "Content-Type", value: representation.contentType)
            out.add(name: "Content-Length", value: String(representation.length))
            validators()
            out.add(name: "Accept-Ranges", value: "bytes")
            return Reply(status: .ok, headers: out, body: body(0..<representation.length), route: route)
        case .partial(let range):
            out.add(name: "Content-Type", value: representation.contentType)
            out.add(name: "Content-Length", value: String(range.upperBound - range.lowerBound))
            out.add(name: "Content-Range", value: "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(representation.length)")
            validators()
            out.add(name: "Accept-Ranges", value: "bytes")
            return Reply(status: .partialContent, headers: out, body: body(range), route: route)
        case .notModified:
            dropSource()
            validators()
            return Reply(status: .notModified, headers: out, body: .none, route: route)
        case .preconditionFailed:
            dropSource()
            return message(.preconditionFailed, "Precondition Failed\n", route: route, loop: loop, allocator: allocator, isHead: !isGet)
        case .unsatisfiable:
            dropSource()
            var reply = message(.rangeNotSatisfiable, "Range Not Satisfiable\n", route: route, loop: loop, allocator: allocator, isHead: !isGet)
            reply.headers.add(name: "Content-Range", value: "bytes */\(representation.length)")
            return reply
        }
    }

}
