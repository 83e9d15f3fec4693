import Foundation
/// One `CommandInfo.URI` (mesos.proto): what to fetch and what to do with it.
public struct FetchURI: Sendable, Equatable, Codable {
    /// The URI text (`value`).
    public var value: String
    /// Unpack archives (proto default true).
    public var extract: Bool
    /// chmod 0755 and never extract (proto default false).
    public var executable: Bool
    /// Use the fetcher cache (proto default false).
    public var cache: Bool
    /// The destination file name relative to the sandbox (`output_file`).
    public var outputFile: String?

    /// A URI with the proto defaults.
    public init(value: String, extract: Bool = true, executable: Bool = false, cache: Bool = false, outputFile: String? = nil) {
        self.value = value
        self.extract = extract
        self.executable = executable
        self.cache = cache
        self.outputFile = outputFile
    }
}

/// What the fetcher does with the file once it has it (mesos.md §1.5–§1.6).
public enum FetchAction: String, Sendable, Codable {
    /// Unpacked by libarchive into the sandbox root.
    case extract
    /// A bare `.gz`: inflated to the name without `.gz` in the sandbox root.
    case gunzip
    /// Left as fetched (`extract: false`).
    case copy
    /// Left as fetched, with Mesos's "does not seem to be an archive" warning.
    case copyNotArchive = "copy-not-archive"
    /// chmod 0755, never extracted.
    case executable
}

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
    public var uri: FetchURI
    /// Where the bytes come from.
    public var source: FetchSource
    /// The destination path relative to the sandbox (`output_file`, else the basename).
    public var destinationName: String
    /// What to do with the file.
    public var action: FetchAction
    /// Warnings to show the user (query strings, not-an-archive).
    public var warnings: [String]
    /// The site and digest when the source's path ends in `/sites/<name>/<sha256>/content.tar.gz`
    /// (read by ``ArtifactAddress/parse(urlPath:)``): such bytes can only ever have that digest, so
    /// the fetcher verifies them against it and keys the cache by it.
    public var contentAddress: ArtifactAddress?

    /// The suffixes Mesos hands to libarchive (fetcher.cpp, case-sensitive `endsWith`).
    public static let archiveSuffixes = [".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".zip"]

    /// Plans `uri` as Mesos would; `mode` only decides whether an `output_file` with `..` is refused.
    public init(_ uri: FetchURI, mode: ExtractionMode = .strict) throws {
        self.uri = uri
        let name: String
        if let output = uri.outputFile {
            try Self.validateOutputFile(output, mode: mode)
            _ = try Self.basename(uri.value)  // Mesos validates every URI first
            name = output
        } else {
            name = try Self.basename(uri.value)
        }
        self.destinationName = name
        self.source = try Self.source(of: uri.value)
        self.contentAddress = ArtifactAddress.parse(urlPath: Self.path(of: source))
        // With the cache, Mesos tests the suffix of the cache file, whose name always comes from the URI
        // (`c<serial>-<basename>`), never from output_file (fetcher.cpp F:378, FP:955-992).
        let suffixName = uri.cache ? try Self.basename(uri.value) : name
        var warnings: [String] = []
        if uri.executable {
            action = .executable
        } else if !uri.extract {
            action = .copy
        } else if Self.archiveSuffixes.contains(where: { suffixName.hasSuffix($0) }) {
            action = .extract
        } else if suffixName.hasSuffix(".gz") {
            action = .gunzip
        } else {
            action = .copyNotArchive
            warnings.append("Copying instead of extracting resource from URI with 'extract' flag, because it does not seem to be an archive: \(uri.value)")
        }
        if let query = suffixName.firstIndex(where: { $0 == "?" || $0 == "#" }), action == .copyNotArchive || action == .gunzip {
            let bare = String(suffixName[..<query])
            if Self.archiveSuffixes.contains(where: { bare.hasSuffix($0) }) || bare.hasSuffix(".gz") {
                let cacheNote = uri.cache ? " With cache: true the cache file name comes from the URI, so output_file does not help: drop the query string instead." : ""
                warnings.append("the file name '\(suffixName)' keeps the URI's query string, so Mesos will not extract it (MESOS-3367); set output_file (--output-file \(Self.lastComponent(bare))) or serve the archive at a URL without a query string.\(cacheNote)")
            }
        }
        self.warnings = warnings
    }

    /// `Fetcher::basename` (src/slave/containerizer/fetcher.cpp): illegal characters, the scheme's
    /// path part, the text after the last `/` with any query string kept; stout `Path::basename` for
    /// URIs without a scheme.
    public static func basename(_ uri: String) throws -> String {
        if uri.contains("\\") || uri.contains("'") || uri.utf8.contains(0) {
            throw SitepackError(.fetchBadURI, "Illegal characters in URI: \(uri) (Mesos refuses backslashes, single quotes and NUL)")
        }
        if let range = uri.range(of: "://"), uri.distance(from: uri.startIndex, to: range.lowerBound) > 1 {
            let path = uri[range.upperBound...]
            guard let slash = path.firstIndex(of: "/"), path.index(after: slash) < path.endIndex else {
                throw SitepackError(.fetchBadURI, "Malformed URI (missing path): \(uri)")
            }
            if let last = path.lastIndex(of: "/") { return String(path[path.index(after: last)...]) }
            return String(path)
        }
        return pathBasename(uri)
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

    /// stout's `Path::basename`: "." for "", "/" for all-slashes, trailing slashes ignored.
    static func pathBasename(_ value: String) -> String {
        if value.isEmpty { return "." }
        var end = value.endIndex
        while end > value.startIndex, value[value.index(before: end)] == "/" { end = value.index(before: end) }
        if end == value.startIndex { return "/" }
        let trimmed = value[..<end]
        if let slash = trimmed.lastIndex(of: "/") { return String(trimmed[trimmed.index(after: slash)...]) }
        return String(trimmed)
    }

    private static func lastComponent(_ name: String) -> String {
        name.split(separator: "/").last.map(String.init) ?? name
    }

    /// Mesos's `output_file` checks (not empty, not absolute); strict mode also refuses `..`, which
    /// Mesos forgets (the TODO at fetcher.cpp:157-158).
    static func validateOutputFile(_ output: String, mode: ExtractionMode) throws {
        if output.isEmpty { throw SitepackError(.fetchBadURI, "URI output file path cannot be empty") }
        if output.hasPrefix("/") { throw SitepackError(.fetchBadURI, "URI output file path '\(output)' must be relative to the sandbox") }
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
    /// A URI or output_file Mesos would refuse.
    public static let fetchBadURI = SitepackError.Code("fetch.bad-uri")
    /// A scheme other than http, https, file.
    public static let fetchUnsupportedScheme = SitepackError.Code("fetch.unsupported-scheme")
    /// The server answered with something other than 200.
    public static let fetchHTTPStatus = SitepackError.Code("fetch.http-status")
    /// The transfer failed (after retries).
    public static let fetchTransport = SitepackError.Code("fetch.transport")
    /// `--sha256` contradicts the digest a content-addressed URL carries (a usage error).
    public static let fetchDigestConflict = SitepackError.Code("fetch.digest-conflict", exitStatus: SitepackError.ExitStatus.usage)
}
