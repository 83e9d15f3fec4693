import NIOCore
import NIOHTTP1

/// The running sitepack binary, for the `sitepack` task runtime: served only at its content-addressed
/// URL `/bin/<sha256>/sitepack` (strong ETag from the digest, immutable, ranges and conditionals as for
/// any file), with `/bin/sitepack` a `307` to it for people. The digest was computed at start, through
/// the descriptor every response sends from, before the server accepted a connection.
extension Responder {
    /// `/bin/sitepack` or `/bin/<64 hex>/sitepack`; nil for any other path (or with the route off).
    func binaryRoute(_ path: RequestPath, head: HTTPRequestHead, loop: LoopContext, allocator: ByteBufferAllocator) -> Reply? {
        guard let executable else { return nil }
        let isHead = head.method == .HEAD
        let segments = path.segments
        if segments.count == 2, segments[1] == BinaryAddress.fileName, !path.trailingSlash {
            let location = executable.address.urlPath
            var reply = message(.temporaryRedirect, "Temporary Redirect: \(location)\n", route: .binary, loop: loop, allocator: allocator, isHead: isHead)
            reply.headers.add(name: "Location", value: location)
            reply.headers.replaceOrAdd(name: "Cache-Control", value: "no-cache")
            return reply
        }
        guard let digest = BinaryAddress.requestedDigest(segments: segments) else { return nil }
        // Another build's digest (or this one's in capitals, or with a trailing slash): not a binary this server has.
        guard digest == executable.address.sha256, !path.trailingSlash else { return notFound(route: .binary, loop: loop, allocator: allocator, isHead: isHead) }
        return fileReply(head: head, representation: executable.representation.value, source: .sharedHandle(executable.handle),
                         route: .binary, loop: loop, allocator: allocator)
    }
}
