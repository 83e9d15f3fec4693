/// The result of `sitepack verify`.
public struct VerifyReport: Encodable, Sendable {
    /// The archive path.
    public var archive: String
    /// sha256 of the archive's bytes.
    public var sha256: String
    /// Archive size.
    public var size: Int64
    /// The compression, as libarchive names it (`gzip`, `none`, …).
    public var filter: String
    /// The container format, as libarchive names it.
    public var format: String
    /// Whether it is sitepack's multi-member gzip (members located through `SP` fields, inflated in parallel).
    public var blockedGzip: Bool
    /// sha256 and size of the uncompressed stream (gzip only).
    public var tarSHA256: String?
    /// Entries read.
    public var entries: Int
    /// Regular files (hard links included).
    public var files: Int
    /// Their total size.
    public var bytes: Int64
    /// Whether a manifest was compared.
    public var manifestChecked: Bool
    /// Everything found, errors first.
    public var findings: [VerifyFinding]

    /// True when no finding is an error.
    public var ok: Bool { !findings.contains { $0.severity == .error } }

    /// The exit status: 0 ok, 4 integrity, 3 unsafe, 1 corrupt.
    public var exitStatus: Int32 {
        let errors = findings.filter { $0.severity == .error }
        if errors.isEmpty { return SitepackError.ExitStatus.ok }
        if errors.contains(where: { $0.kind == .integrity }) { return SitepackError.ExitStatus.integrity }
        if errors.contains(where: { $0.kind == .unsafe }) { return SitepackError.ExitStatus.unsafeInput }
        return SitepackError.ExitStatus.failure
    }

    enum CodingKeys: String, CodingKey {
        case archive, sha256, size, filter, format, entries, files, bytes, findings, ok
        case blockedGzip = "blocked_gzip", tarSHA256 = "tar_sha256", manifestChecked = "manifest_checked"
    }

    /// Encodes the report with snake_case keys and the computed `ok`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(archive, forKey: .archive)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(size, forKey: .size)
        try container.encode(filter, forKey: .filter)
        try container.encode(format, forKey: .format)
        try container.encode(blockedGzip, forKey: .blockedGzip)
        try container.encodeIfPresent(tarSHA256, forKey: .tarSHA256)
        try container.encode(entries, forKey: .entries)
        try container.encode(files, forKey: .files)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(manifestChecked, forKey: .manifestChecked)
        try container.encode(findings, forKey: .findings)
        try container.encode(ok, forKey: .ok)
    }
}
