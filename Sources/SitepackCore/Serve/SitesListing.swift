/// `GET /sites`: every artifact as JSON for machines or a small HTML page for people; every URL in it
/// comes from the artifact's ``ArtifactAddress``.
enum SitesListing {
    /// `{"artifacts":[{name, sha256, size, url, sha256_url, manifest_url, latest}]}` with absolute URLs; `latest`
    /// is true for the first (newest) version of each name.
    static func json(_ artifacts: [Artifact], origin: String) -> String {
        var latestSeen = Set<String>()
        let items = artifacts.map { artifact -> String in
            let isLatest = latestSeen.insert(artifact.name).inserted
            var fields = [
                "\"name\":\(AccessLogBuffer.json(artifact.name))",
                "\"sha256\":\"\(artifact.sha256)\"",
                "\"size\":\(artifact.size)",
                "\"url\":\(AccessLogBuffer.json(origin + artifact.address.urlPath()))",
                "\"sha256_url\":\(AccessLogBuffer.json(origin + artifact.address.urlPath(ArtifactAddress.checksumFile)))",
                "\"manifest_url\":\(AccessLogBuffer.json(origin + artifact.address.urlPath(ArtifactAddress.manifestFile)))",
            ]
            fields.append("\"latest\":\(isLatest)")
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "{\"artifacts\":[" + items.joined(separator: ",") + "]}\n"
    }

    /// A plain HTML table of the same.
    static func html(_ artifacts: [Artifact], origin: String) -> String {
        var rows = ""
        for artifact in artifacts {
            let url = escape(origin + artifact.address.urlPath())
            rows += "<tr><td>\(escape(artifact.name))</td><td><a href=\"\(url)\">\(artifact.sha256)</a></td>"
            rows += "<td>\(artifact.size)</td><td><a href=\"\(escape(artifact.address.urlPath(ArtifactAddress.manifestFile)))\">manifest</a></td></tr>\n"
        }
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>sitepack artifacts</title></head>
            <body><h1>sitepack artifacts</h1>
            <table><tr><th>name</th><th>sha256 (immutable URL)</th><th>bytes</th><th></th></tr>
            \(rows)</table></body></html>

            """
    }

    private static func escape(_ text: String) -> String {
        text.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;").replacingAll("\"", "&quot;")
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
