#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation

/// One thing `sitepack verify` found.
public struct VerifyFinding: Codable, Sendable, Equatable {
    /// How bad it is.
    public enum Severity: String, Codable, Sendable, Comparable {
        /// For information.
        case info
        /// Works, but worth fixing.
        case warning
        /// Fails the verification.
        case error

        private var rank: Int {
            switch self {
            case .info: 0
            case .warning: 1
            case .error: 2
            }
        }

        /// Orders info < warning < error.
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }
    /// What kind of failure an error-level finding is (decides the exit status).
    public enum Kind: String, Codable, Sendable {
        /// The bytes cannot be read (exit 1).
        case corrupt
        /// Strict mode would refuse it or Mesos would fail on it (exit 3).
        case unsafe
        /// The archive does not match its manifest (exit 4).
        case integrity
        /// Advice.
        case lint
    }
    /// Severity.
    public var severity: Severity
    /// Its kind.
    public var kind: Kind
    /// A stable rule name, e.g. `symlink-escape`, `non-ascii-name`, `manifest-sha256`.
    public var rule: String
    /// The entry concerned, if any.
    public var entry: String?
    /// What is wrong.
    public var message: String
    /// How to fix it.
    public var fix: String
}

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

/// `sitepack verify`: gzip and tar integrity, every entry against the manifest, and a lint for what
/// strict fetch would refuse and what trips Mesos's fetcher.
public enum ArchiveVerifier {
    private struct Seen {
        var type: Manifest.Entry.Kind
        var mode: UInt32
        var size: Int64
        var sha256: String?
        var target: String?
    }

    /// Verifies `path`, against `manifest` when given.
    public static func verify(archive path: String, manifest: Manifest? = nil) throws -> VerifyReport {
        var findings: [VerifyFinding] = []
        func add(_ severity: VerifyFinding.Severity, _ kind: VerifyFinding.Kind, _ rule: String, _ entry: String?, _ message: String, _ fix: String) {
            findings.append(VerifyFinding(severity: severity, kind: kind, rule: rule, entry: entry, message: message, fix: fix))
        }
        let fd = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        let size = Int64(lseek(fd.rawValue, 0, SEEK_END))

        // Pass 1: the bytes, and the gzip layer.
        _ = lseek(fd.rawValue, 0, SEEK_SET)
        var fileHasher = SHA256()
        var tarHasher = SHA256()
        var inflater = try GzipStreamInflater()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var isGzip = false
        var gzipOK = true
        var atMemberEnd = true
        var first = true
        while true {
            let got = try buffer.withUnsafeMutableBytes { try fd.read(into: $0) }
            if got == 0 { break }
            let chunk = buffer.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[0..<got]) }
            if first {
                isGzip = got >= 2 && chunk[0] == 0x1f && chunk[1] == 0x8b
                first = false
            }
            fileHasher.update(bufferPointer: chunk)
            if isGzip && gzipOK {
                do {
                    atMemberEnd = try inflater.inflate(chunk) { tarHasher.update(bufferPointer: $0) }
                } catch {
                    gzipOK = false
                    add(.error, .corrupt, "gzip-corrupt", nil, "the gzip data is corrupt: \(error)", "rebuild the artifact; if it came over HTTP, check that the server sends the bytes unchanged (no Content-Encoding)")
                }
            }
        }
        if isGzip && gzipOK && !atMemberEnd {
            gzipOK = false
            add(.error, .corrupt, "gzip-truncated", nil, "the gzip stream ends in the middle of a member (truncated file)", "download or build the artifact again")
        }
        if !isGzip {
            add(.warning, .lint, "not-gzip", nil, "the archive is not gzip-compressed; sitepack artifacts are content.tar.gz", "build it with sitepack build")
        }
        let source = try ArchiveSource.choose(for: .file(fd: fd.rawValue), path: path, inflation: .libarchiveFilter)
        let blocked = isGzip && source.isBlockedGzip

        // Pass 2: the entries.
        _ = lseek(fd.rawValue, 0, SEEK_SET)
        var seen: [String: Seen] = [:]
        var order: [String] = []
        var entries = 0
        var files = 0
        var bytes: Int64 = 0
        var format = "unknown"
        var filter = "none"
        var topFolders: Set<String> = []
        var rootEntries: [String] = []
        var limits = ExtractionLimits()
        limits.maxEntries = Int.max
        var policy = ExtractionPolicy(limits: limits)
        try withUTF8CharacterLocale {
            do {
                var reader = try source.reader(displayName: path, warningsAreFatal: false)
                while let header = try reader.nextHeader() {
                    entries += 1
                    format = reader.formatName
                    filter = reader.filterName
                    let name = header.path
                    if entries == ExtractionLimits().maxEntries + 1 {
                        add(.error, .unsafe, "too-many-entries", name, "the archive has more than \(ExtractionLimits().maxEntries) entries, strict fetch's default limit", "pack fewer files, or fetch with --max-files")
                    }
                    if !name.unicodeScalars.allSatisfy(\.isASCII) {
                        add(.error, .unsafe, "non-ascii-name", name, "the name is not ASCII; Mesos's fetcher runs libarchive in the C locale and fails on it (MESOS-9393)", "rename the file to ASCII")
                    }
                    if name == "." || name == "./" {
                        add(.warning, .lint, "dot-entry", name, "a '.' entry makes Mesos apply its mode and mtime to the sandbox folder itself", "pack the folder's contents by name (tar -C dir -czf x.tgz site), or use sitepack build")
                    }
                    var normalized = ""
                    do {
                        let accepted = try policy.check(header)
                        normalized = accepted.path
                        if accepted.droppedSpecialBits {
                            add(.warning, .lint, "special-bits", name, String(format: "mode %04o has setuid/setgid/sticky bits; they are never restored", header.permissions), "chmod the file to 0644 or 0755 before packing")
                        }
                    } catch let violation as ExtractionViolation {
                        add(.error, .unsafe, violation.rule, name, "strict fetch refuses it: \(violation.reason)", fix(for: violation.rule))
                        normalized = (try? ExtractionPolicy.normalize(name, entry: name, what: "name")) ?? ""
                    }
                    if !normalized.isEmpty {
                        let parts = normalized.split(separator: "/")
                        if parts.count == 1 && header.kind != .directory { rootEntries.append(name) }
                        if let top = parts.first { topFolders.insert(String(top)) }
                    }
                    var record = Seen(type: .file, mode: header.permissions, size: header.size)
                    switch header.kind {
                    case .file, .hardlink:
                        var hasher = SHA256()
                        var fileSize: Int64 = 0
                        while let (block, _) = try reader.readBlock() {
                            hasher.update(bufferPointer: block)
                            fileSize += Int64(block.count)
                        }
                        files += 1
                        bytes += fileSize
                        record.size = fileSize
                        record.sha256 = hasher.finalize().hex
                        if case .hardlink(let target) = header.kind, let original = seen[(try? ExtractionPolicy.normalize(target, entry: name, what: "target")) ?? target] {
                            record.size = original.size
                            record.sha256 = original.sha256
                        }
                    case .directory:
                        record.type = .directory
                        record.size = 0
                    case .symlink(let target):
                        record.type = .symlink
                        record.size = 0
                        record.target = target
                    default:
                        try reader.skipData()
                    }
                    if !normalized.isEmpty {
                        if seen[normalized] == nil { order.append(normalized) }
                        seen[normalized] = record
                    }
                }
                format = entries > 0 ? reader.formatName : format
                filter = reader.filterName
            } catch let error as SitepackError {
                add(.error, .corrupt, "archive-unreadable", nil, "cannot read the archive: \(error.message)", "rebuild the artifact; an HTML error page saved as .tar.gz looks like this too")
            }
        }
        if entries > 0 {
            if topFolders.count > 1 || !rootEntries.isEmpty {
                let list = topFolders.sorted().prefix(5).joined(separator: ", ")
                add(.warning, .lint, "outside-top-folder", rootEntries.first, "entries are not all under one top folder (found: \(list)); Mesos extracts them straight into the sandbox root, beside stdout and stderr", "put the site under one folder, e.g. site/ (sitepack build --prefix site)")
            }
            if let top = topFolders.sorted().first, topFolders.count == 1, seen["\(top)/index.html"] == nil {
                add(.warning, .lint, "no-index", nil, "there is no \(top)/index.html, so the site's root URL will not answer", "add an index.html at the top of the site")
            }
        }

        let sha = fileHasher.finalize().hex
        let tarSHA = isGzip && gzipOK ? tarHasher.finalize().hex : nil
        if let manifest {
            compare(manifest, sha256: sha, size: size, tarSHA256: tarSHA, seen: seen, order: order, add: add)
        }
        findings.sort { $0.severity > $1.severity }
        return VerifyReport(archive: path, sha256: sha, size: size, filter: filter, format: format, blockedGzip: blocked,
                            tarSHA256: tarSHA, entries: entries, files: files, bytes: bytes,
                            manifestChecked: manifest != nil, findings: findings)
    }

    private static func compare(_ manifest: Manifest, sha256: String, size: Int64, tarSHA256: String?, seen: [String: Seen], order: [String],
                                add: (VerifyFinding.Severity, VerifyFinding.Kind, String, String?, String, String) -> Void) {
        let rebuild = "rebuild the artifact and its manifest together (sitepack build), or fetch the manifest that belongs to this archive"
        if manifest.archive.sha256.lowercased() != sha256 {
            add(.error, .integrity, "manifest-sha256", nil, "the archive's sha256 is \(sha256), the manifest says \(manifest.archive.sha256)", rebuild)
        }
        if manifest.archive.size != size {
            add(.error, .integrity, "manifest-size", nil, "the archive has \(size) bytes, the manifest says \(manifest.archive.size)", rebuild)
        }
        if let tarSHA256, manifest.tar.sha256.lowercased() != tarSHA256 {
            add(.error, .integrity, "manifest-tar-sha256", nil, "the uncompressed tar's sha256 is \(tarSHA256), the manifest says \(manifest.tar.sha256)", rebuild)
        }
        var listed: Set<String> = []
        for entry in manifest.files {
            let path = (try? ExtractionPolicy.normalize(entry.path, entry: entry.path, what: "path")) ?? entry.path
            listed.insert(path)
            guard let actual = seen[path] else {
                add(.error, .integrity, "manifest-missing", entry.path, "the manifest lists it but the archive does not hold it", rebuild)
                continue
            }
            if actual.type != entry.type {
                add(.error, .integrity, "manifest-type", entry.path, "it is a \(actual.type.rawValue) in the archive, a \(entry.type.rawValue) in the manifest", rebuild)
                continue
            }
            if entry.type != .symlink, actual.mode & 0o7777 != entry.modeBits {
                add(.error, .integrity, "manifest-mode", entry.path, String(format: "mode %04o in the archive, %@ in the manifest", actual.mode, entry.mode), rebuild)
            }
            if entry.type == .file {
                if let expected = entry.size, expected != actual.size {
                    add(.error, .integrity, "manifest-file-size", entry.path, "\(actual.size) bytes in the archive, \(expected) in the manifest", rebuild)
                }
                if let expected = entry.sha256, expected.lowercased() != actual.sha256 {
                    add(.error, .integrity, "manifest-file-sha256", entry.path, "its content's sha256 is \(actual.sha256 ?? "?"), the manifest says \(expected)", rebuild)
                }
            }
            if entry.type == .symlink, let target = entry.target, target != actual.target {
                add(.error, .integrity, "manifest-symlink", entry.path, "it points to \(actual.target ?? "?") in the archive, \(target) in the manifest", rebuild)
            }
        }
        for path in order where !listed.contains(path) {
            add(.error, .integrity, "manifest-extra", path, "the archive holds it but the manifest does not list it", rebuild)
        }
    }

    private static func fix(for rule: String) -> String {
        switch rule {
        case "absolute-path", "dot-dot", "backslash", "empty-name", "nul", "name-too-long":
            return "pack files by relative names under one folder (sitepack build does)"
        case "symlink-escape":
            return "replace the symlink by a copy of its target, or point it to a relative path inside the site"
        case "hardlink-outside":
            return "store the file itself instead of a hard link"
        case "special-file", "sparse":
            return "remove devices, FIFOs, sockets and sparse files from the site folder"
        case "duplicate-path":
            return "pack each path once"
        case "file-too-large", "too-many-bytes", "too-many-entries", "compression-ratio":
            return "pack less, or fetch with higher --max-files/--max-bytes/--max-file-bytes/--max-ratio"
        default:
            return "rebuild the archive with sitepack build"
        }
    }
}
