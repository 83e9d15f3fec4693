import NIOCore

/// `GET /sites`: every artifact as JSON for machines or a small HTML page for people; every URL in it
/// comes from the artifact's ``ArtifactAddress``.
///
/// Rendered once per catalog scan, on the scanner thread (``ArtifactCatalog`` attaches it to the
/// snapshot), as one JSON document and one HTML page whose items sit at known byte offsets, in the
/// snapshot's order (by name, newest first). A request then costs a few `lstat`s and at most one copy:
/// the whole document is sent as rendered, `?name=` and `?offset=&limit=` take a contiguous run of items.
/// The `lstat`s are of the folders whose entries change when a version is added or removed (each
/// site's `sites/<name>/` and each plain build folder), taken before the scan read them: if any changed,
/// the rendering may be stale, and the listing is built from the per-version check instead
/// (``Responder/listing(head:path:loop:allocator:)``) while a rescan renders a fresh one.
struct SitesListing: Sendable {
    /// The origin the URLs were rendered with.
    let origin: String
    /// The whole JSON document and the byte range of each artifact's object in it.
    let json: ByteBuffer
    let jsonItems: [Range<Int>]
    /// The whole HTML page and the byte range of each artifact's table row in it.
    let html: ByteBuffer
    let htmlRows: [Range<Int>]
    /// Folders whose identity must still be the scan's for the rendering to describe the disk.
    let folders: [(path: String, identity: FileIdentity)]

    static let jsonHead = "{\"artifacts\":["
    static let htmlHead = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>sitepack artifacts</title></head>
        <body><h1>sitepack artifacts</h1>
        <table><tr><th>name</th><th>sha256 (immutable URL)</th><th>bytes</th><th></th></tr>

        """
    static let htmlTail = "</table></body></html>\n"

    /// Renders `artifacts` (a snapshot's, in its order); `folders` as the scan saw them.
    init(_ artifacts: [Artifact], folders: [(path: String, identity: FileIdentity)], origin: String) {
        self.origin = origin
        self.folders = folders
        var json = ByteBuffer()
        var html = ByteBuffer()
        var jsonItems: [Range<Int>] = []
        var htmlRows: [Range<Int>] = []
        jsonItems.reserveCapacity(artifacts.count)
        htmlRows.reserveCapacity(artifacts.count)
        json.writeString(Self.jsonHead)
        html.writeString(Self.htmlHead)
        for (index, artifact) in artifacts.enumerated() {
            let isLatest = index == 0 || artifacts[index - 1].name != artifact.name
            if index > 0 { json.writeStaticString(",") }
            let start = json.writerIndex
            json.writeString(Self.jsonItem(artifact, latest: isLatest, origin: origin))
            jsonItems.append(start..<json.writerIndex)
            let rowStart = html.writerIndex
            html.writeString(Self.htmlRow(artifact, origin: origin))
            htmlRows.append(rowStart..<html.writerIndex)
        }
        json.writeString("]}\n")
        html.writeString(Self.htmlTail)
        self.json = json
        self.html = html
        self.jsonItems = jsonItems
        self.htmlRows = htmlRows
    }

    /// Whether every folder the rendering depends on is as the scan saw it (one `lstat` each).
    var isCurrent: Bool {
        folders.allSatisfy { FileIdentity.ofLink(path: $0.path) == $0.identity }
    }

    /// The document for items `range` (indices into the snapshot's artifacts); `next` (a URL) is added to
    /// the JSON when a page leaves more. The whole document is the rendered buffer itself, not a copy.
    func body(html wantsHTML: Bool, items range: Range<Int>, whole: Bool, next: String?, allocator: ByteBufferAllocator) -> ByteBuffer {
        if whole && next == nil { return wantsHTML ? html : json }
        let ranges = wantsHTML ? htmlRows : jsonItems
        let source = wantsHTML ? html : json
        var out: ByteBuffer
        if range.isEmpty {
            out = allocator.buffer(capacity: 256)
            out.writeString(wantsHTML ? Self.htmlHead : Self.jsonHead)
        } else {
            let bytes = ranges[range.upperBound - 1].upperBound - ranges[range.lowerBound].lowerBound
            out = allocator.buffer(capacity: bytes + 512)
            out.writeString(wantsHTML ? Self.htmlHead : Self.jsonHead)
            if let slice = source.getSlice(at: ranges[range.lowerBound].lowerBound, length: bytes) {
                var slice = slice
                out.writeBuffer(&slice)
            }
        }
        Self.finish(&out, html: wantsHTML, next: next)
        return out
    }

    /// The tail of a document: `]}` with the `next` page's URL, or the HTML page's end.
    static func finish(_ out: inout ByteBuffer, html: Bool, next: String?) {
        if html {
            if let next { out.writeString("<tr><td colspan=\"4\"><a href=\"\(escape(next))\">next page</a></td></tr>\n") }
            out.writeString(htmlTail)
        } else {
            out.writeString("]")
            if let next { out.writeString(",\"next\":\(AccessLogBuffer.json(next))") }
            out.writeString("}\n")
        }
    }

    /// Renders artifacts without a cached rendering (when the disk changed since the scan).
    static func render(_ artifacts: some Collection<Artifact>, latest: (Artifact) -> Bool, html: Bool, next: String?, origin: String,
                       allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: 256 + artifacts.count * 512)
        out.writeString(html ? htmlHead : jsonHead)
        var first = true
        for artifact in artifacts {
            if html {
                out.writeString(htmlRow(artifact, origin: origin))
            } else {
                if !first { out.writeStaticString(",") }
                out.writeString(jsonItem(artifact, latest: latest(artifact), origin: origin))
            }
            first = false
        }
        finish(&out, html: html, next: next)
        return out
    }

    /// `{name, sha256, size, url, sha256_url, manifest_url, latest}` with absolute URLs; `latest` is true
    /// for the first (newest) version of each name.
    static func jsonItem(_ artifact: Artifact, latest: Bool, origin: String) -> String {
        let fields = [
            "\"name\":\(AccessLogBuffer.json(artifact.name))",
            "\"sha256\":\"\(artifact.sha256)\"",
            "\"size\":\(artifact.size)",
            "\"url\":\(AccessLogBuffer.json(origin + artifact.address.urlPath()))",
            "\"sha256_url\":\(AccessLogBuffer.json(origin + artifact.address.urlPath(ArtifactAddress.checksumFile)))",
            "\"manifest_url\":\(AccessLogBuffer.json(origin + artifact.address.urlPath(ArtifactAddress.manifestFile)))",
            "\"latest\":\(latest)",
        ]
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// One row of the HTML table.
    static func htmlRow(_ artifact: Artifact, origin: String) -> String {
        let url = escape(origin + artifact.address.urlPath())
        return "<tr><td>\(escape(artifact.name))</td><td><a href=\"\(url)\">\(artifact.sha256)</a></td>"
            + "<td>\(artifact.size)</td><td><a href=\"\(escape(artifact.address.urlPath(ArtifactAddress.manifestFile)))\">manifest</a></td></tr>\n"
    }

    private static func escape(_ text: String) -> String {
        text.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;").replacingAll("\"", "&quot;")
    }
}

/// What `/sites?name=…&offset=…&limit=…` asks for.
struct SitesQuery: Equatable {
    /// Only this site's versions.
    var name: String?
    /// Skip this many items (of the filtered list).
    var offset = 0
    /// At most this many items; nil for all.
    var limit: Int?

    /// The largest page.
    static let maximumLimit = 10_000

    /// Parses the query string; nil for a malformed value (unknown parameters are ignored).
    init?(query: String?) {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = parts[0]
            let value = parts.count > 1 ? String(parts[1]) : ""
            switch key {
            case "name":
                guard SiteName.isValid(value) else { return nil }
                name = value
            case "offset":
                guard let number = Int(value), number >= 0 else { return nil }
                offset = number
            case "limit":
                guard let number = Int(value), number >= 1, number <= Self.maximumLimit else { return nil }
                limit = number
            default:
                continue
            }
        }
    }

    init() {}

    /// The page after `count` items were shown from ``offset``, as a `/sites` URL.
    func next(after count: Int, origin: String) -> String {
        var parts: [String] = []
        if let name { parts.append("name=\(name)") }
        parts.append("offset=\(offset + count)")
        if let limit { parts.append("limit=\(limit)") }
        return origin + "/" + ArtifactAddress.sitesSegment + "?" + parts.joined(separator: "&")
    }
}

extension String {
    /// Every occurrence of `target` replaced (Foundation-free).
    func replacingAll(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
