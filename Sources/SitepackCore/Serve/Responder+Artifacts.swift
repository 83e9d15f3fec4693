import NIOCore
import NIOHTTP1

/// The artifact routes: `/sites/<name>/<sha256>/<file>`, `/sites/<name>/latest/<file>` and the listing.
///
/// They answer from the catalog's current state and never scan or hash on the event loop. What the state
/// says is checked against the disk with one `lstat` or `open`, so a version `gc` removed answers `404`
/// (and drops out of `latest` and `/sites`) at once, while a download already in flight keeps its open
/// file. A store version published since the last scan makes its first request wait for the scan that
/// verifies it (``Answer/afterScan(_:)``), so it is found on that first request.
extension Responder {
    func artifactRoute(_ target: ArtifactAddress.Target, head: HTTPRequestHead, loop: LoopContext, allocator: ByteBufferAllocator,
                       waited: CatalogWait?) -> Answer {
        switch target {
        case .latest(let name, let file):
            return .reply(latestRedirect(name: name, file: file, head: head, loop: loop, allocator: allocator))
        case .version(let address, let file):
            guard let artifact = catalog.artifact(at: address) else {
                return unavailable(address, known: false, head: head, loop: loop, allocator: allocator, waited: waited)
            }
            if let reply = serve(file, of: artifact, head: head, loop: loop, allocator: allocator) { return .reply(reply) }
            // Removed or replaced since the scan: the digest in the URL no longer describes what is on disk.
            return unavailable(address, known: true, head: head, loop: loop, allocator: allocator, waited: waited)
        }
    }

    /// One file of a verified version, or nil when the disk no longer holds what the catalog verified.
    private func serve(_ file: String, of artifact: Artifact, head: HTTPRequestHead, loop: LoopContext,
                       allocator: ByteBufferAllocator) -> Reply? {
        switch file {
        case ArtifactAddress.archiveFile:
            guard case .file(let handle, let identity) = folder.openAbsolute(artifact.archivePath) else { return nil }
            guard identity.hasSameContent(as: artifact.identity) else {
                try? handle.close()
                return nil
            }
            let representation = Representation(
                length: identity.size, etag: "\"sha256:\(artifact.sha256)\"", lastModified: identity.modifiedSeconds,
                lastModifiedText: HTTPDate.format(identity.modifiedSeconds), contentType: "application/gzip", cacheControl: Self.immutable)
            return fileReply(head: head, representation: representation, source: .ownedHandle(handle), route: .artifact, loop: loop, allocator: allocator)
        case ArtifactAddress.checksumFile:
            guard artifact.isStillOnDisk else { return nil }
            var body = allocator.buffer(capacity: 100)
            body.writeString(artifact.checksumLine)
            let representation = Representation(
                length: Int64(body.readableBytes), etag: "\"sha256:\(artifact.sha256).sha256\"", lastModified: artifact.identity.modifiedSeconds,
                lastModifiedText: HTTPDate.format(artifact.identity.modifiedSeconds), contentType: "text/plain; charset=utf-8", cacheControl: Self.immutable)
            return fileReply(head: head, representation: representation, source: .buffer(body), route: .artifact, loop: loop, allocator: allocator)
        default:
            guard case .file(let handle, let identity) = folder.openAbsolute(artifact.manifestPath) else { return nil }
            // A plain build folder's manifest.json is replaced by the next build: never serve that one
            // under this version's immutable URL.
            guard identity.hasSameContent(as: artifact.manifestIdentity), artifact.isStillOnDisk else {
                try? handle.close()
                return nil
            }
            let representation = Representation(
                length: identity.size, etag: identity.cheapEntityTag, lastModified: identity.modifiedSeconds,
                lastModifiedText: HTTPDate.format(identity.modifiedSeconds), contentType: "application/json", cacheControl: Self.immutable)
            return fileReply(head: head, representation: representation, source: .ownedHandle(handle), route: .artifact, loop: loop, allocator: allocator)
        }
    }

    /// A version the current state cannot serve (`known`: the state lists it, but the disk disagrees).
    ///
    /// If the store holds a manifest for it that no scan has judged yet, it was just published: the
    /// first time, wait for a scan; after a scan, answer from it; after the deadline, `503` with
    /// `Retry-After` (the fetcher fails either way, but the message says what is going on). Anything
    /// else is `404`, and the state is brought up to date in the background.
    private func unavailable(_ address: ArtifactAddress, known: Bool, head: HTTPRequestHead, loop: LoopContext,
                             allocator: ByteBufferAllocator, waited: CatalogWait?) -> Answer {
        let isHead = head.method == .HEAD
        let published = catalog.hasUnscannedStoreVersion(address)
        if published, waited == nil {
            let promise = loop.eventLoop.makePromise(of: Void.self)
            catalog.requestScan { promise.succeed(()) }
            return .afterScan(promise.futureResult)
        }
        if known { catalog.requestScan() } else { catalog.refreshIfStale() }
        if published, waited == .timedOut {
            var reply = message(.serviceUnavailable, "Service Unavailable: \(address.urlPath()) was published a moment ago and is still being verified; retry in a few seconds\n",
                                route: .artifact, loop: loop, allocator: allocator, isHead: isHead)
            reply.headers.add(name: "Retry-After", value: "2")
            reply.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
            return .reply(reply)
        }
        return .reply(notFound(loop: loop, allocator: allocator, isHead: isHead))
    }

    /// `307` to the newest version still on disk; never the bytes, so `cache: true` stays safe.
    private func latestRedirect(name: String, file: String, head: HTTPRequestHead, loop: LoopContext, allocator: ByteBufferAllocator) -> Reply {
        let isHead = head.method == .HEAD
        catalog.refreshIfStale()
        let versions = catalog.snapshot.versions(of: name)
        let newest = versions.first { $0.isStillOnDisk }
        if newest?.address != versions.first?.address { catalog.requestScan() }
        guard let newest else { return notFound(loop: loop, allocator: allocator, isHead: isHead) }
        let location = newest.address.urlPath(file)
        var reply = message(.temporaryRedirect, "Temporary Redirect: \(location)\n", route: .latest, loop: loop, allocator: allocator, isHead: isHead)
        reply.headers.add(name: "Location", value: location)
        reply.headers.replaceOrAdd(name: "Cache-Control", value: "no-cache")
        return reply
    }

    /// `/sites` (and `/` of a folder without `index.html`): every version still on disk, JSON or HTML;
    /// `?name=` keeps one site's versions, `?offset=&limit=` pages through them (the JSON then says
    /// `"next"`). Answered from the rendering of the current snapshot when the folders it depends on are
    /// unchanged (a few `lstat`s), else built from a check of every version (one `lstat` each) while a
    /// rescan renders a fresh one.
    func listing(head: HTTPRequestHead, path: RequestPath, loop: LoopContext, allocator: ByteBufferAllocator) -> Reply {
        let isHead = head.method == .HEAD
        guard let query = SitesQuery(query: path.query) else {
            return message(.badRequest, "Bad Request: /sites takes name=<site>, offset=<n ≥ 0> and limit=<1…\(SitesQuery.maximumLimit)>\n",
                           route: .sites, loop: loop, allocator: allocator, isHead: isHead)
        }
        catalog.refreshIfStale()
        let snapshot = catalog.snapshot
        let accept = head.headers.first(name: "accept") ?? ""
        let wantsHTML = accept.contains("text/html")
        let body: ByteBuffer
        if let rendered = snapshot.listing, rendered.origin == origin, rendered.isCurrent {
            let all = query.name.map { snapshot.versions(of: $0).indices } ?? snapshot.artifacts.indices
            let (page, next) = Self.page(all, query: query)
            body = rendered.body(html: wantsHTML, items: page, whole: page == snapshot.artifacts.indices,
                                 next: next.map { query.next(after: $0, origin: origin) }, allocator: allocator)
        } else {
            let known = query.name.map { Array(snapshot.versions(of: $0)) } ?? snapshot.artifacts
            let present = known.filter(\.isStillOnDisk)
            catalog.requestScan()
            var firstSeen = Set<String>()
            let latest = Dictionary(present.filter { firstSeen.insert($0.name).inserted }.map { ($0.address, true) }) { a, _ in a }
            let (page, next) = Self.page(present.indices, query: query)
            body = SitesListing.render(present[page], latest: { latest[$0.address] ?? false }, html: wantsHTML,
                                       next: next.map { query.next(after: $0, origin: origin) }, origin: origin, allocator: allocator)
        }
        var headers = HTTPHeaders()
        headers.add(name: "Date", value: loop.date)
        headers.add(name: "Server", value: "sitepack")
        headers.add(name: "Content-Type", value: wantsHTML ? "text/html; charset=utf-8" : "application/json")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Cache-Control", value: "no-cache")
        headers.add(name: "Vary", value: "Accept")
        return Reply(status: .ok, headers: headers, body: isHead ? .none : .buffer(body), route: .sites)
    }

    /// The items of one page of `all`, and how many it shows when another page follows.
    private static func page(_ all: Range<Int>, query: SitesQuery) -> (Range<Int>, Int?) {
        // The offset is clamped before it is added: `?name=<a later site>&offset=<Int.max>` overflowed and killed serve.
        let start = all.lowerBound + min(query.offset, all.count)
        let end = query.limit.map { min(all.upperBound, start + $0) } ?? all.upperBound
        return (start..<end, end < all.upperBound ? end - start : nil)
    }
}
