import Foundation

/// One `CommandInfo.URI` (include/mesos/v1/mesos.proto): a file the agent's fetcher puts into the
/// sandbox before the task starts, and the fetcher's rules for it (mesos.md §1.4–§1.6) — the local
/// file name, and whether the file is extracted, gunzipped, made executable or left as fetched.
///
/// The one model of this message: `task` writes it into the TaskInfo (and maps Marathon's `fetch[]`
/// from it), `fetch` and `check` read it. JSON uses the proto's snake_case names; a decoded URI gets
/// the proto defaults for absent fields (`extract` true, `executable` and `cache` false).
public struct MesosURI: Codable, Sendable, Equatable {
    /// `value` (required): the URI text, exactly as the fetcher receives it.
    public var value: String
    /// `executable`: chmod 0755 (then `extract` is ignored).
    public var executable: Bool
    /// `extract`: unpack a recognised archive into the sandbox root (proto default true).
    public var extract: Bool
    /// `cache`: use the agent's fetcher cache (safe only for immutable URLs, mesos.md §1.7).
    public var cache: Bool
    /// `output_file`: the file's path relative to the sandbox, instead of the URI's basename.
    public var outputFile: String?

    enum CodingKeys: String, CodingKey {
        case value, executable, extract, cache
        case outputFile = "output_file"
    }

    /// A URI with the proto defaults.
    public init(value: String, extract: Bool = true, executable: Bool = false, cache: Bool = false, outputFile: String? = nil) {
        self.value = value
        self.extract = extract
        self.executable = executable
        self.cache = cache
        self.outputFile = outputFile
    }

    /// Decodes a URI; an absent or `null` optional field takes its proto default, as stout does.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            value: try container.decode(String.self, forKey: .value),
            extract: try container.decodeIfPresent(Bool.self, forKey: .extract) ?? true,
            executable: try container.decodeIfPresent(Bool.self, forKey: .executable) ?? false,
            cache: try container.decodeIfPresent(Bool.self, forKey: .cache) ?? false,
            outputFile: try container.decodeIfPresent(String.self, forKey: .outputFile)
        )
    }

    // MARK: - The fetcher's rules

    /// What the fetcher does with the file once it has it (mesos.md §1.5–§1.6).
    public enum Action: String, Sendable, Codable {
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

    /// The file name endings Mesos hands to libarchive (fetcher.cpp F:78-85, a case-sensitive `endsWith`).
    public static let archiveSuffixes = [".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".zip"]

    /// The endings of those that sitepack artifacts use (gzip'd tar): what `task` requires of an
    /// artifact's local name.
    public static let artifactSuffixes = [".tar.gz", ".tgz"]

    /// Whether the fetcher extracts a file of this local name with libarchive.
    public static func isArchiveName(_ name: String) -> Bool {
        archiveSuffixes.contains { name.hasSuffix($0) }
    }

    /// Whether a file of this local name is extracted and is a sitepack artifact (`.tar.gz`, `.tgz`).
    public static func isArtifactName(_ name: String) -> Bool {
        artifactSuffixes.contains { name.hasSuffix($0) }
    }

    /// `Fetcher::basename` (src/slave/containerizer/fetcher.cpp): illegal characters refused, then the
    /// text after the last `/` of the part after the scheme, with any query string or fragment kept;
    /// stout's `Path::basename` for URIs without a scheme.
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

    /// Mesos's own `output_file` checks (FP:146-164): not empty, not absolute. Mesos does not check
    /// for `..` (its TODO); callers that must stay inside the sandbox refuse that themselves.
    public static func checkOutputFile(_ output: String) throws {
        if output.isEmpty { throw SitepackError(.fetchBadURI, "URI output file path cannot be empty") }
        if output.hasPrefix("/") { throw SitepackError(.fetchBadURI, "URI output file path '\(output)' must be relative to the sandbox") }
    }

    /// The file's path relative to the sandbox: ``outputFile`` when set, else the basename of
    /// ``value``. Refuses what the fetcher refuses (it checks the URI even when `output_file` is set).
    public func destinationName() throws -> String {
        guard let outputFile else { return try Self.basename(value) }
        try Self.checkOutputFile(outputFile)
        _ = try Self.basename(value)
        return outputFile
    }

    /// The name whose ending decides extraction: the destination name, except with `cache`, where
    /// Mesos tests the cache file, named after the URI and never after `output_file` (F:378, FP:955-992).
    public func extractionTestedName() throws -> String {
        cache ? try Self.basename(value) : try destinationName()
    }

    /// What the fetcher does with the file: `executable` wins, `extract: false` copies, otherwise the
    /// case-sensitive suffix of ``extractionTestedName()`` picks libarchive, gunzip or a plain copy.
    public func action() throws -> Action {
        let name = try extractionTestedName()
        if executable { return .executable }
        if !extract { return .copy }
        if Self.isArchiveName(name) { return .extract }
        if name.hasSuffix(".gz") { return .gunzip }
        return .copyNotArchive
    }
}

extension SitepackError.Code {
    /// A URI or `output_file` the Mesos fetcher would refuse.
    public static let fetchBadURI = SitepackError.Code("fetch.bad-uri")
}
