import Foundation

/// `sitepack verify --manifest`: the archive against the manifest built with it, first as a whole
/// (its sha256, size and tar sha256), then path by path both ways. Every difference is an
/// `integrity` error.
enum ManifestComparison {
    static let rebuild = "rebuild the artifact and its manifest together (sitepack build), or fetch the manifest that belongs to this archive"

    /// Everything in which the archive (`integrity` from the first pass, `inventory` from the second) differs from `manifest`.
    static func findings(_ manifest: Manifest, integrity: StreamIntegrity, size: Int64, inventory: ArchiveInventory) -> [VerifyFinding] {
        var findings = archiveFindings(manifest, integrity: integrity, size: size)
        var listed: Set<String> = []
        for entry in manifest.files {
            let path = (try? ExtractionPolicy.normalize(entry.path, entry: entry.path, what: "path")) ?? entry.path
            listed.insert(path)
            findings += entryFindings(entry, actual: inventory.entries[path])
        }
        for path in inventory.order where !listed.contains(path) {
            findings.append(VerifyFinding(.error, .integrity, "manifest-extra", path, "the archive holds it but the manifest does not list it", rebuild))
        }
        return findings
    }

    /// The archive's own digests and size against the manifest's.
    static func archiveFindings(_ manifest: Manifest, integrity: StreamIntegrity, size: Int64) -> [VerifyFinding] {
        var findings: [VerifyFinding] = []
        let sha256 = integrity.sha256
        if manifest.archive.sha256.lowercased() != sha256 {
            findings.append(VerifyFinding(.error, .integrity, "manifest-sha256", nil, "the archive's sha256 is \(sha256), the manifest says \(manifest.archive.sha256)", rebuild))
        }
        if manifest.archive.size != size {
            findings.append(VerifyFinding(.error, .integrity, "manifest-size", nil, "the archive has \(size) bytes, the manifest says \(manifest.archive.size)", rebuild))
        }
        if let tarSHA256 = integrity.tarSHA256, manifest.tar.sha256.lowercased() != tarSHA256 {
            findings.append(VerifyFinding(.error, .integrity, "manifest-tar-sha256", nil, "the uncompressed tar's sha256 is \(tarSHA256), the manifest says \(manifest.tar.sha256)", rebuild))
        }
        return findings
    }

    /// One manifest entry against what the archive holds at its path (nil: nothing).
    static func entryFindings(_ entry: Manifest.Entry, actual: ArchiveInventory.Entry?) -> [VerifyFinding] {
        guard let actual else {
            return [VerifyFinding(.error, .integrity, "manifest-missing", entry.path, "the manifest lists it but the archive does not hold it", rebuild)]
        }
        if actual.type != entry.type {
            return [VerifyFinding(.error, .integrity, "manifest-type", entry.path, "it is a \(actual.type.rawValue) in the archive, a \(entry.type.rawValue) in the manifest", rebuild)]
        }
        var findings: [VerifyFinding] = []
        if entry.type != .symlink, actual.mode & 0o7777 != entry.modeBits {
            findings.append(VerifyFinding(.error, .integrity, "manifest-mode", entry.path, String(format: "mode %04o in the archive, %@ in the manifest", actual.mode, entry.mode), rebuild))
        }
        if entry.type == .file {
            if let expected = entry.size, expected != actual.size {
                findings.append(VerifyFinding(.error, .integrity, "manifest-file-size", entry.path, "\(actual.size) bytes in the archive, \(expected) in the manifest", rebuild))
            }
            if let expected = entry.sha256, expected.lowercased() != actual.sha256 {
                findings.append(VerifyFinding(.error, .integrity, "manifest-file-sha256", entry.path, "its content's sha256 is \(actual.sha256 ?? "?"), the manifest says \(expected)", rebuild))
            }
        }
        if entry.type == .symlink, let target = entry.target, target != actual.target {
            findings.append(VerifyFinding(.error, .integrity, "manifest-symlink", entry.path, "it points to \(actual.target ?? "?") in the archive, \(target) in the manifest", rebuild))
        }
        return findings
    }
}
