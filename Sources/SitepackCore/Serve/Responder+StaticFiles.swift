import NIOCore
import NIOHTTP1

/// Plain files under the served folder: `index.html` for folders, `301` to add a trailing slash, small
/// files from the per-loop cache, larger ones sent with sendfile(2).
extension Responder {
    func staticFile(_ path: RequestPath, head: HTTPRequestHead, loop: LoopContext, allocator: ByteBufferAllocator) -> Reply {
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
                return listing(head: head, path: path, loop: loop, allocator: allocator)
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
}
