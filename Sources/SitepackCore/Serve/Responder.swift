import Foundation
import NIOCore
import NIOHTTP1

/// A response ready to write: status, headers and where the body comes from.
struct Reply {
    enum Body {
        case none
        case buffer(ByteBuffer)
        /// A slice of an open file, sent with sendfile(2); the writer closes the handle when done if `owned`.
        case file(NIOFileHandle, Range<Int64>, owned: Bool)
    }

    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: Body
    var route: ServeRoute
    /// Body bytes this reply sends.
    var bodyLength: Int64 {
        switch body {
        case .none: 0
        case .buffer(let buffer): Int64(buffer.readableBytes)
        case .file(_, let range, _): range.upperBound - range.lowerBound
        }
    }
}

/// Decides the response to every request: routing, artifact lookup, files, conditionals and ranges.
/// It is shared by all event loops; what is per loop comes in through ``LoopContext``.
final class Responder: Sendable {
    static let immutable = "public, max-age=31536000, immutable"
    static let allow = "GET, HEAD"

    let folder: ServedFolder
    let catalog: ArtifactCatalog
    let metrics: ServerMetrics
    let origin: String
    let smallFileLimit: Int
    private let executable: ExecutableFile?

    /// The running binary, opened once at start and shared by every `/bin/sitepack` response.
    struct ExecutableFile: Sendable {
        let handle: NIOFileHandle
        let representation: RepresentationBox
    }

    /// `Representation` is not Sendable only for want of annotation; this box carries it across.
    struct RepresentationBox: @unchecked Sendable { let value: Representation }

    init(folder: ServedFolder, catalog: ArtifactCatalog, metrics: ServerMetrics, origin: String,
         smallFileLimit: Int, executable: ExecutableFile?) {
        self.folder = folder
        self.catalog = catalog
        self.metrics = metrics
        self.origin = origin
        self.smallFileLimit = smallFileLimit
        self.executable = executable
    }

    /// The response to one request.
    func respond(to head: HTTPRequestHead, loop: LoopContext, allocator: ByteBufferAllocator) -> Reply {
        let isGet = head.method == .GET
        guard isGet || head.method == .HEAD else {
            var reply = message(.methodNotAllowed, "Method Not Allowed: only GET and HEAD\n", route: .invalid, loop: loop, allocator: allocator, isHead: false)
            reply.headers.add(name: "Allow", value: Self.allow)
            return reply
        }
        let path: RequestPath
        do {
            path = try RequestPath(target: head.uri)
        } catch {
            return message(.badRequest, "Bad Request: unsafe or malformed path (\(error))\n", route: .invalid, loop: loop, allocator: allocator, isHead: !isGet)
        }
        let segments = path.segments
        switch segments.first {
        case "healthz" where segments.count == 1:
            var reply = message(.ok, "ok\n", route: .healthz, loop: loop, allocator: allocator, isHead: !isGet)
            reply.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
            return reply
        case "metrics" where segments.count == 1:
            var reply = message(.ok, metrics.render(), route: .metrics, loop: loop, allocator: allocator, isHead: !isGet,
                                contentType: "text/plain; version=0.0.4; charset=utf-8")
            reply.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
            return reply
        case "sites":
            if let reply = sitesRoute(segments, head: head, loop: loop, allocator: allocator) { return reply }
        case "bin" where segments == ["bin", "sitepack"]:
            if let executable {
                return fileReply(head: head, representation: executable.representation.value, source: .sharedHandle(executable.handle),
                                 route: .binary, loop: loop, allocator: allocator)
            }
        default:
            break
        }
        if path.hasHiddenSegment { return notFound(loop: loop, allocator: allocator, isHead: !isGet) }
        return staticFile(path, head: head, loop: loop, allocator: allocator)
    }

    // MARK: - Artifacts

    private func sitesRoute(_ segments: [String], head: HTTPRequestHead, loop: LoopContext, allocator: ByteBufferAllocator) -> Reply? {
        let isHead = head.method == .HEAD
        if segments.count == 1 {
            catalog.refresh()
            return listing(head: head, loop: loop, allocator: allocator)
        }
        guard segments.count == 4 else { return nil }
        let name = segments[1], version = segments[2], file = segments[3]
        let artifactFiles = ["content.tar.gz", "content.tar.gz.sha256", Manifest.fileName]
        guard artifactFiles.contains(file) else { return nil }
        if version == "latest" {
            guard let newest = catalog.latest(name: name) else { return notFound(loop: loop, allocator: allocator, isHead: isHead) }
            let location = "/sites/\(name)/\(newest.sha256)/\(file)"
            var reply = message(.temporaryRedirect, "Temporary Redirect: \(location)\n", route: .latest, loop: loop, allocator: allocator, isHead: isHead)
            reply.headers.add(name: "Location", value: location)
            reply.headers.replaceOrAdd(name: "Cache-Control", value: "no-cache")
            return reply
        }
        guard ArtifactAddress.isSHA256Hex(version) else { return nil }
        // An immutable-looking URL only ever answers verified bytes: a store file whose digest does not
        // match its folder or manifest is not served here or as a plain file.
        guard let artifact = catalog.artifact(name: name, sha256: version) else {
            return notFound(loop: loop, allocator: allocator, isHead: isHead)
        }
        switch file {
        case "content.tar.gz":
            guard case .file(let handle, let identity) = folder.openAbsolute(artifact.archivePath) else {
                return notFound(loop: loop, allocator: allocator, isHead: isHead)
            }
            guard identity == artifact.identity else {
                // Replaced since it was hashed: the digest in the URL no longer describes these bytes.
                try? handle.close()
                catalog.refresh(force: true)
                return notFound(loop: loop, allocator: allocator, isHead: isHead)
            }
            let representation = Representation(
                length: identity.size, etag: "\"sha256:\(artifact.sha256)\"", lastModified: identity.modifiedSeconds,
                lastModifiedText: HTTPDate.format(identity.modifiedSeconds), contentType: "application/gzip", cacheControl: Self.immutable)
            return fileReply(head: head, representation: representation, source: .ownedHandle(handle), route: .artifact, loop: loop, allocator: allocator)
        case "content.tar.gz.sha256":
            var body = allocator.buffer(capacity: 100)
            body.writeString(artifact.checksumLine)
            let representation = Representation(
                length: Int64(body.readableBytes), etag: "\"sha256:\(artifact.sha256).sha256\"", lastModified: artifact.identity.modifiedSeconds,
                lastModifiedText: HTTPDate.format(artifact.identity.modifiedSeconds), contentType: "text/plain; charset=utf-8", cacheControl: Self.immutable)
            return fileReply(head: head, representation: representation, source: .buffer(body), route: .artifact, loop: loop, allocator: allocator)
        default:
            guard case .file(let handle, let identity) = folder.openAbsolute(artifact.manifestPath) else {
                return notFound(loop: loop, allocator: allocator, isHead: isHead)
            }
            let representation = Representation(
                length: identity.size, etag: identity.cheapEntityTag, lastModified: identity.modifiedSeconds,
                lastModifiedText: HTTPDate.format(identity.modifiedSeconds), contentType: "application/json", cacheControl: Self.immutable)
            return fileReply(head: head, representation: representation, source: .ownedHandle(handle), route: .artifact, loop: loop, allocator: allocator)
        }
    }

    private func listing(head: HTTPRequestHead, loop: LoopContext, allocator: ByteBufferAllocator) -> Reply {
        let accept = head.headers.first(name: "accept") ?? ""
        let wantsHTML = accept.contains("text/html")
        let text = wantsHTML ? SitesListing.html(catalog.artifacts, origin: origin) : SitesListing.json(catalog.artifacts, origin: origin)
        var reply = message(.ok, text, route: .sites, loop: loop, allocator: allocator, isHead: head.method == .HEAD,
                            contentType: wantsHTML ? "text/html; charset=utf-8" : "application/json")
        reply.headers.replaceOrAdd(name: "Cache-Control", value: "no-cache")
        reply.headers.add(name: "Vary", value: "Accept")
        return reply
    }

    // MARK: - Plain files

    private func staticFile(_ path: RequestPath, head: HTTPRequestHead, loop: LoopContext, allocator: ByteBufferAllocator) -> Reply {
        let isHead = head.method == .HEAD
        let relative = path.relativePath
        let key = path.trailingSlash ? relative + "/" : relative
        let now = NIODeadline.now().uptimeNanoseconds
        if let entry = loop.cache.lookup(key, folder: folder, now: now) {
            return fileReply(head: head, representation: entry.representation, source: .buffer(entry.body), route: .file, loop: loop, allocator: allocator)
        }
        var served = relative
        var lookup = folder.open(relative)
        if case .directory = lookup {
            guard path.trailingSlash || relative.isEmpty else {
                let location = "/" + relative + "/" + (path.query.map { "?" + $0 } ?? "")
                var reply = message(.movedPermanently, "Moved Permanently: \(location)\n", route: .file, loop: loop, allocator: allocator, isHead: isHead)
                reply.headers.add(name: "Location", value: location)
                return reply
            }
            served = relative.isEmpty ? "index.html" : relative + "/index.html"
            lookup = folder.open(served)
            if relative.isEmpty, case .notFound = lookup {
                catalog.refresh()
                return listing(head: head, loop: loop, allocator: allocator)
            }
        } else if path.trailingSlash {
            if case .file(let handle, _) = lookup { try? handle.close() }
            return notFound(loop: loop, allocator: allocator, isHead: isHead)
        }
        guard case .file(let handle, let identity) = lookup else { return notFound(loop: loop, allocator: allocator, isHead: isHead) }
        let name = served.split(separator: "/").last.map(String.init) ?? served
        let representation = Representation(
            length: identity.size, etag: identity.cheapEntityTag, lastModified: identity.modifiedSeconds,
            lastModifiedText: HTTPDate.format(identity.modifiedSeconds), contentType: ContentType.forFile(named: name), cacheControl: nil)
        if identity.size <= Int64(smallFileLimit) {
            let body = ServedFolder.readAll(handle, size: Int(identity.size), allocator: allocator)
            try? handle.close()
            guard let body else { return notFound(loop: loop, allocator: allocator, isHead: isHead) }
            loop.cache.insert(key, CachedFile(relativePath: served, identity: identity, body: body, representation: representation, validatedAt: now))
            return fileReply(head: head, representation: representation, source: .buffer(body), route: .file, loop: loop, allocator: allocator)
        }
        return fileReply(head: head, representation: representation, source: .ownedHandle(handle), route: .file, loop: loop, allocator: allocator)
    }

    // MARK: - Building replies

    enum Source {
        case buffer(ByteBuffer)
        /// Closed by the writer after the body, or here when no body is sent.
        case ownedHandle(NIOFileHandle)
        /// Lives as long as the server; never closed per request.
        case sharedHandle(NIOFileHandle)
    }

    private func fileReply(head: HTTPRequestHead, representation: Representation, source: Source, route: ServeRoute,
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

    private func notFound(loop: LoopContext, allocator: ByteBufferAllocator, isHead: Bool) -> Reply {
        message(.notFound, "Not Found\n", route: .file, loop: loop, allocator: allocator, isHead: isHead)
    }

    /// A small text response with exact Content-Length (no body on HEAD).
    func message(_ status: HTTPResponseStatus, _ text: String, route: ServeRoute, loop: LoopContext, allocator: ByteBufferAllocator,
                 isHead: Bool, contentType: String = "text/plain; charset=utf-8") -> Reply {
        var buffer = allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        var headers = HTTPHeaders()
        headers.add(name: "Date", value: loop.date)
        headers.add(name: "Server", value: "sitepack")
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        return Reply(status: status, headers: headers, body: isHead ? .none : .buffer(buffer), route: route)
    }
}

extension ServedFolder {
    /// Opens an absolute path the catalog found under the root, with the same containment check.
    func openAbsolute(_ path: String) -> Lookup {
        let prefix = root == "/" ? "/" : root + "/"
        guard path.hasPrefix(prefix) else { return .notFound }
        return open(String(path.dropFirst(prefix.count)))
    }
}
