import NIOCore
import NIOHTTP1

/// Requests with other methods than GET and HEAD, decided as soon as their head arrives (before any
/// body byte is read): `PUT /sites/<name>/<sha256>/<file>` with the right bearer token starts an upload;
/// everything else is refused at once, so a refused body is never read, let alone stored.
extension Responder {
    /// A `PUT` the server will take.
    struct UploadTarget {
        let address: ArtifactAddress
        let file: String
        /// `Content-Length`, when the body has one (else it is chunked).
        let expectedLength: Int64?
        /// The client sent `Expect: 100-continue` and waits for `100 Continue` before the body.
        let expectsContinue: Bool
        let door: UploadDoor
    }

    /// What to do with a request that may carry a body.
    enum BodyDecision {
        /// Answer now and close the connection without reading the body.
        case refuse(Reply)
        /// Receive the body into the store.
        case upload(UploadTarget)
    }

    /// The methods the server answers, for `Allow`.
    var allowedMethods: String { uploads == nil ? Self.allow : Self.allow + ", PUT" }

    /// Decides a request that is not GET or HEAD, from its head alone. The checks run in an order that
    /// tells an unauthenticated client nothing about the store: method and route, then the token, then
    /// the size. Free space is checked when the upload opens its file (off the event loop).
    func decideBody(_ head: HTTPRequestHead, loop: LoopContext, allocator: ByteBufferAllocator) -> BodyDecision {
        func refuse(_ status: HTTPResponseStatus, _ text: String) -> BodyDecision {
            var reply = message(status, text + "\n", route: .publish, loop: loop, allocator: allocator, isHead: false)
            reply.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
            if status == .methodNotAllowed { reply.headers.add(name: "Allow", value: allowedMethods) }
            if status == .unauthorized { reply.headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"sitepack publish\"") }
            return .refuse(reply)
        }
        guard head.method == .PUT, let door = uploads else {
            let what = uploads == nil ? "only GET and HEAD (this server takes no uploads: start it with --publish-token-file to publish into it)"
                : "only GET, HEAD, and PUT of a version's files"
            return refuse(.methodNotAllowed, "Method Not Allowed: \(what)")
        }
        guard let path = try? RequestPath(target: head.uri) else {
            return refuse(.badRequest, "Bad Request: unsafe or malformed path")
        }
        guard path.query == nil, case .version(let address, let file)? = ArtifactAddress.target(segments: path.segments) else {
            return refuse(.methodNotAllowed, "Method Not Allowed: PUT goes to /sites/<name>/<sha256>/content.tar.gz, then its .sha256 and manifest.json")
        }
        switch door.token.judge(authorization: head.headers.first(name: "authorization")) {
        case .missing:
            return refuse(.unauthorized, "Unauthorized: send Authorization: Bearer <token> (sitepack publish --token-file FILE)")
        case .refused:
            return refuse(.forbidden, "Forbidden: the token is not the one this server was started with (--publish-token-file)")
        case .accepted:
            break
        }
        let lengths = head.headers[canonicalForm: "content-length"]
        var expectedLength: Int64?
        if let first = lengths.first {
            guard lengths.count == 1, let length = Int64(first), length >= 0 else {
                return refuse(.badRequest, "Bad Request: invalid Content-Length")
            }
            expectedLength = length
        }
        let chunked = head.headers[canonicalForm: "transfer-encoding"].contains { $0.lowercased() == "chunked" }
        if expectedLength != nil && chunked { return refuse(.badRequest, "Bad Request: both Content-Length and Transfer-Encoding") }
        if let expectedLength, expectedLength > door.maxUpload {
            return refuse(.payloadTooLarge, "Payload Too Large: \(expectedLength) bytes is more than this server takes (--max-upload \(door.maxUpload))")
        }
        let expect = head.headers.first(name: "expect")?.lowercased()
        if let expect, expect != "100-continue" { return refuse(.expectationFailed, "Expectation Failed: only 100-continue") }
        return .upload(UploadTarget(address: address, file: file, expectedLength: chunked ? nil : (expectedLength ?? 0),
                                    expectsContinue: expect != nil, door: door))
    }

    /// The answer to a finished (or failed) upload.
    func uploadReply(_ result: UploadDoor.Result, target: UploadTarget, loop: LoopContext, allocator: ByteBufferAllocator) -> Reply {
        let path = target.address.urlPath(target.file)
        var status: HTTPResponseStatus
        var text: String
        var location: String?
        switch result {
        case .done(.accepted):
            status = .created
            text = target.file == ArtifactAddress.archiveFile
                ? "Created: \(path) received and checked; PUT its manifest.json to publish the version"
                : "Created: \(path) accepted"
        case .done(.alreadyStored):
            status = .ok
            text = target.file == ArtifactAddress.manifestFile ? origin + target.address.urlPath() : "OK: \(path) is already stored"
            if target.file == ArtifactAddress.manifestFile { location = origin + target.address.urlPath() }
        case .done(.published(let version)):
            status = .created
            text = origin + version.address.urlPath()
            location = text
        case .refused(let refusal):
            switch refusal.kind {
            case .mismatch, .invalid: status = .unprocessableEntity
            case .tooLarge: status = .payloadTooLarge
            case .conflict: status = .conflict
            case .insufficientStorage: status = .insufficientStorage
            case .io: status = .internalServerError
            }
            text = "\(status.reasonPhrase): \(refusal.message)"
        }
        var reply = message(status, text + "\n", route: .publish, loop: loop, allocator: allocator, isHead: false)
        reply.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        if let location { reply.headers.add(name: "Location", value: location) }
        return reply
    }
}
