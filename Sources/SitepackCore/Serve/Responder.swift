import NIOCore
import NIOHTTP1

/// Decides the response to every request: routing, artifact lookup, files, conditionals and ranges.
/// It is shared by all event loops; what is per loop comes in through ``LoopContext``. It never scans
/// or hashes: artifact routes read the catalog's current state and at most ask it for a scan
/// (`Responder+Artifacts.swift`); plain files are opened under the folder (`Responder+StaticFiles.swift`);
/// validators and ranges decide the status (`Responder+FileReply.swift`).
final class Responder: Sendable {
    static let immutable = "public, max-age=31536000, immutable"
    static let allow = "GET, HEAD"

    let folder: ServedFolder
    let catalog: ArtifactCatalog
    let metrics: ServerMetrics
    let origin: String
    let smallFileLimit: Int
    /// How long the first request for a just-published store version may wait for its verification.
    let publishedVersionWait: TimeAmount
    let executable: ExecutableFile?
    /// Where `PUT`s go; nil when the server takes no uploads.
    let uploads: UploadDoor?

    /// The running binary, opened and hashed once at start and shared by every `/bin/<sha256>/sitepack` response.
    struct ExecutableFile: Sendable {
        let handle: NIOFileHandle
        /// `/bin/<sha256>/sitepack`, the digest of the bytes `handle` sends.
        let address: BinaryAddress
        let representation: RepresentationBox
    }

    /// `Representation` is not Sendable only for want of annotation; this box carries it across.
    struct RepresentationBox: @unchecked Sendable { let value: Representation }

    init(folder: ServedFolder, catalog: ArtifactCatalog, metrics: ServerMetrics, origin: String,
         smallFileLimit: Int, publishedVersionWait: TimeAmount, executable: ExecutableFile?, uploads: UploadDoor? = nil) {
        self.folder = folder
        self.catalog = catalog
        self.metrics = metrics
        self.origin = origin
        self.smallFileLimit = smallFileLimit
        self.publishedVersionWait = publishedVersionWait
        self.executable = executable
        self.uploads = uploads
    }

    /// The answer to one request; `waited` says how the wait ended when the request is asked again
    /// after an ``Answer/afterScan(_:)`` (a request is never made to wait twice).
    func respond(to head: HTTPRequestHead, loop: LoopContext, allocator: ByteBufferAllocator, waited: CatalogWait? = nil) -> Answer {
        let isGet = head.method == .GET
        guard isGet || head.method == .HEAD else {
            // Pipelined behind other requests (a request with a body on its own is decided by decideBody at its head).
            switch decideBody(head, loop: loop, allocator: allocator) {
            case .refuse(let reply):
                return .reply(reply)
            case .upload:
                return .reply(message(.badRequest, "Bad Request: a PUT pipelined behind other requests; send it once their responses arrived\n",
                                      route: .publish, loop: loop, allocator: allocator, isHead: false))
            }
        }
        let path: RequestPath
        do {
            path = try RequestPath(target: head.uri)
        } catch {
            return .reply(message(.badRequest, "Bad Request: unsafe or malformed path (\(error))\n", route: .invalid, loop: loop, allocator: allocator, isHead: !isGet))
        }
        let segments = path.segments
        switch segments.first {
        case "healthz" where segments.count == 1:
            var reply = message(.ok, "ok\n", route: .healthz, loop: loop, allocator: allocator, isHead: !isGet)
            reply.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
            return .reply(reply)
        case "metrics" where segments.count == 1:
            var reply = message(.ok, metrics.render(), route: .metrics, loop: loop, allocator: allocator, isHead: !isGet,
                                contentType: "text/plain; version=0.0.4; charset=utf-8")
            reply.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
            return .reply(reply)
        case ArtifactAddress.sitesSegment where segments.count == 1:
            return .reply(listing(head: head, path: path, loop: loop, allocator: allocator))
        case ArtifactAddress.sitesSegment:
            if let target = ArtifactAddress.target(segments: segments) {
                return artifactRoute(target, head: head, loop: loop, allocator: allocator, waited: waited)
            }
        case BinaryAddress.binSegment:
            if let reply = binaryRoute(path, head: head, loop: loop, allocator: allocator) { return .reply(reply) }
        default:
            break
        }
        if path.hasHiddenSegment { return .reply(notFound(loop: loop, allocator: allocator, isHead: !isGet)) }
        return .reply(staticFile(path, head: head, loop: loop, allocator: allocator))
    }

    func notFound(route: ServeRoute = .file, loop: LoopContext, allocator: ByteBufferAllocator, isHead: Bool) -> Reply {
        message(.notFound, "Not Found\n", route: route, loop: loop, allocator: allocator, isHead: isHead)
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
