#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// `sitepack verify`: gzip and tar integrity (``StreamIntegrity``), every entry against the manifest
/// (``ManifestComparison``), and a lint for what strict fetch would refuse and what trips Mesos's
/// fetcher (``SafetyLint``).
public enum ArchiveVerifier {
    /// Verifies `path`, against `manifest` when given. The lint judges the archive by `limits` when
    /// given; else by the manifest's exact extent (``ExtractionLimits/init(bounding:)``) when the
    /// archive's sha256 is the manifest's, as strict fetch would with that manifest at hand; else by the defaults.
    public static func verify(archive path: String, manifest: Manifest? = nil, limits: ExtractionLimits? = nil) throws -> VerifyReport {
        let fd = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        let size = Int64(lseek(fd.rawValue, 0, SEEK_END))
        // The two passes run at once: the raw bytes (digests, the gzip layer) on a thread of their own,
        // the entries here. sitepack's blocked gzip is inflated for the entries on every core (the gzip
        // layer itself is the first pass's to judge); any other file goes through libarchive's filters.
        let firstPass = BackgroundWork { try StreamIntegrity.check(OwnedFileDescriptor(path: path, flags: O_RDONLY)) }
        let source = try ArchiveSource.choose(for: .file(fd: fd.rawValue), path: path, inflation: .parallel(threads: ProcessInfo.processInfo.activeProcessorCount))
        // The lint is judged by the manifest's extent only when the archive is the manifest's: assumed
        // while both passes run, checked after (and the entries read again with the defaults if not).
        let assumed = limits ?? manifest.map { ExtractionLimits(bounding: $0) } ?? ExtractionLimits()
        var entryFindings: [VerifyFinding] = []
        var scan = try scanEntries(source, path: path, limits: assumed, findings: &entryFindings)
        let integrity = try firstPass.wait().get()
        if limits == nil, let manifest, manifest.archive.sha256.lowercased() != integrity.sha256 {
            entryFindings = []
            let again = try ArchiveSource.choose(for: .file(fd: fd.rawValue), path: path, inflation: .parallel(threads: ProcessInfo.processInfo.activeProcessorCount))
            scan = try scanEntries(again, path: path, limits: ExtractionLimits(), findings: &entryFindings)
        }
        if source.isBlockedGzip { scan.filter = "gzip" }
        var findings = integrity.findings + entryFindings
        if let manifest {
            findings += ManifestComparison.findings(manifest, integrity: integrity, size: size, inventory: scan.inventory)
        }
        findings.sort { $0.severity > $1.severity }
        return VerifyReport(archive: path, sha256: integrity.sha256, size: size, filter: scan.filter, format: scan.format,
                            blockedGzip: integrity.isGzip && source.isBlockedGzip, tarSHA256: integrity.tarSHA256,
                            entries: scan.lint.entryCount, files: scan.inventory.files, bytes: scan.inventory.bytes,
                            manifestChecked: manifest != nil, findings: findings)
    }

    /// What `sitepack verify PATH` reads: PATH itself when it is a file; for a folder holding an
    /// artifact (a store, whose top-level files are its newest version, or a version's own folder),
    /// its `content.tar.gz` and, when there, its `manifest.json`. A folder without one is an error
    /// naming what to give instead.
    public static func target(for path: String) throws -> (archive: String, manifest: String?) {
        guard let status = FileSystem.status(path), status.st_mode & S_IFMT == S_IFDIR else { return (path, nil) }
        let folder = path.hasSuffix("/") ? String(path.dropLast()) : path
        let archive = folder + "/" + ArtifactAddress.archiveFile
        guard FileSystem.status(archive) != nil else {
            throw SitepackError(.invalidInput, "\(path) is a folder without \(ArtifactAddress.archiveFile): give the archive itself, or a store (build -o DIR) or one of its version folders (DIR/\(ArtifactAddress.sitesSegment)/<name>/<sha256>)")
        }
        let manifest = folder + "/" + ArtifactAddress.manifestFile
        return (archive, FileSystem.status(manifest) != nil ? manifest : nil)
    }

    /// What the second pass learnt.
    struct EntryScan {
        var inventory = ArchiveInventory()
        var lint: SafetyLint
        var format = "unknown"
        var filter = "none"
    }

    /// The second pass: every entry through the lint and into the inventory, then the layout rules.
    /// An archive libarchive cannot read is a finding (`archive-unreadable`), not an error.
    static func scanEntries(_ source: ArchiveSource, path: String, limits: ExtractionLimits = ExtractionLimits(),
                            findings: inout [VerifyFinding]) throws -> EntryScan {
        var scan = EntryScan(lint: SafetyLint(limits: limits))
        try withUTF8CharacterLocale {
            do {
                var reader = try source.reader(displayName: path, warningsAreFatal: false)
                while let header = try reader.nextHeader() {
                    scan.format = reader.formatName
                    scan.filter = reader.filterName
                    let normalized = try scan.lint.check(header, into: &findings)
                    try scan.inventory.record(header, at: normalized, from: &reader)
                }
                scan.format = scan.lint.entryCount > 0 ? reader.formatName : scan.format
                scan.filter = reader.filterName
            } catch let error as SitepackError {
                findings.append(VerifyFinding(.error, .corrupt, "archive-unreadable", nil, "cannot read the archive: \(error.message)", "rebuild the artifact; an HTML error page saved as .tar.gz looks like this too"))
            }
        }
        scan.lint.checkTotal(bytes: scan.inventory.bytes, into: &findings)
        scan.lint.checkLayout(paths: Set(scan.inventory.entries.keys), into: &findings)
        return scan
    }
}
