import Foundation

/// Where the bytes come from.
public enum FetchSource: Sendable, Equatable {
    /// `http://` or `https://`, downloaded with libcurl.
    case http(String)
    /// `file://` or an absolute path, copied.
    case local(String)
}

/// The decisions the Mesos fetcher makes for one URI before touching the network, reproduced:
/// source, destination name (`Fetcher::basename` / `output_file`), and action by case-sensitive suffix.
public struct FetchPlan: Sendable, Equatable {
    /// The URI.
    public var uri: MesosURI
    /// Where the bytes come from.
    public var source: FetchSource
    /// The destination path relative to the sandbox (`output_file`, else the basename).
    public var destinationName: String
    /// What to do with the file.
    public var action: MesosURI.Action
    /// Warnings to show the user (query strings, not-an-archive).
    public var warnings: [String]
    /// The site and digest when the source's path ends in `/sites/<name>/<sha256>/content.tar.gz`
    /// (read by ``ArtifactAddress/parse(urlPath:)``): such bytes can only ever have that digest, so
    /// the fetcher verifies them against it and keys the cache by it.
    public var contentAddress: ArtifactAddress?

    /// Plans `uri` as Mesos would; `mode` only decides whether an `output_file` with `..` is refused.
    public init(_ uri: MesosURI, mode: ExtractionMode = .strict) throws {
        self.uri = uri
        if let output = uri.outputFile {
            try MesosURI.checkOutputFile(output)
            try Self.refuseEscape(output, mode: mode)
        }
        self.destinationName = try uri.destinationName()
        self.source = try Self.source(of: uri.value)
        self.contentAddress = ArtifactAddress.parse(urlPath: Self.path(of: source))
        self.action = try uri.action()
        let suffixName = try uri.extractionTestedName()
        var warnings: [String] = []
        if action == .copyNotArchive {
            warnings.append("Copying instead of extracting resource from URI with 'extract' flag, because it does not seem to be an archive: \(uri.value)")
        }
        if let query = suffixName.firstIndex(where: { $0 == "?" || $0 == "#" }), action == .copyNotArchive || action == .gunzip {
            let bare = String(suffixName[..<query])
            if MesosURI.isArchiveName(bare) || bare.hasSuffix(".gz") {
                let cacheNote = uri.cache ? " With cache: true the cache file name comes from the URI, so output_file does not help: drop the query string instead." : ""
                warnings.append("the file name '\(suffixName)' keeps the URI's query string, so Mesos will not extract it (MESOS-3367); set output_file (--output-file \(Self.lastComponent(bare))) or serve the archive at a URL without a query string.\(cacheNote)")
            }
        }
        self.warnings = warnings
    }

    /// The path a source names: for http(s), from the `/` after the authority up to any `?` or `#`
    /// (empty when there is none); for a local file, its path.
    static func path(of source: FetchSource) -> String {
        switch source {
        case .local(let path):
            return path
        case .http(let url):
            guard let scheme = url.range(of: "://") else { return "" }
            let rest = url[scheme.upperBound...]
            guard let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }), rest[end] == "/" else { return "" }
            let path = rest[end...]
            return String(path[..<(path.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? path.endIndex)])
        }
    }

    private static func lastComponent(_ name: String) -> String {
        name.split(separator: "/").last.map(String.init) ?? name
    }

    /// Strict mode refuses an `output_file` with `..`, which Mesos accepts (the TODO at fetcher.cpp:157-158).
    static func refuseEscape(_ output: String, mode: ExtractionMode) throws {
        if mode == .strict, output.split(separator: "/").contains("..") {
            throw SitepackError(.unsafeInput, "output_file '\(output)' contains '..' and would write outside the sandbox; Mesos accepts it (fetcher.cpp TODO), strict mode refuses it. Use a name inside the sandbox")
        }
    }

    /// Scheme dispatch (fetcher.cpp `download()`): leading whitespace dropped, then http(s), file:// or
    /// an absolute path; anything else is refused.
    static func source(of value: String) throws -> FetchSource {
        let uri = String(value.drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }))
        if uri.hasPrefix("http://") || uri.hasPrefix("https://") { return .http(uri) }
        if uri.hasPrefix("file://") || !uri.contains("://") {
            var path = uri
            if path.hasPrefix("file://localhost") {
                path = String(path.dropFirst("file://localhost".count))
            } else if path.hasPrefix("file://") {
                path = String(path.dropFirst("file://".count))
                guard path.hasPrefix("/") else { throw SitepackError(.fetchBadURI, "File URI only supports absolute paths: \(value)") }
            }
            guard path.hasPrefix("/") else {
                throw SitepackError(.fetchBadURI, "'\(value)' is a relative path; Mesos needs --frameworks_home for those. Use an absolute path or a file:// URI")
            }
            return .local(path)
        }
        let scheme = uri.prefix(while: { $0 != ":" })
        throw SitepackError(.fetchUnsupportedScheme, "unsupported scheme '\(scheme)' in \(value): sitepack fetches http://, https://, file:// and absolute paths (Mesos hands other schemes to a Hadoop client)")
    }
}

extension SitepackError.Code {
    /// A scheme other than http, https, file.
    public static let fetchUnsupportedScheme = SitepackError.Code("fetch.unsupported-scheme")
    /// The server answered with something other than 200.
    public static let fetchHTTPStatus = SitepackError.Code("fetch.http-status")
    /// The transfer failed (after retries).
    public static let fetchTransport = SitepackError.Code("fetch.transport")
    /// `--sha256` contradicts the digest a content-addressed URL carries (a usage error).
    public static let fetchDigestConflict = SitepackError.Code("fetch.digest-conflict", exitStatus: SitepackError.ExitStatus.usage)
}
