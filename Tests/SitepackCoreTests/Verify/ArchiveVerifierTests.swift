import Foundation
import SitepackTestSupport
import Testing
@testable import SitepackCore

/// The rule groups together, on artifacts sitepack builds and on archives it did not.
@Suite("ArchiveVerifier")
struct ArchiveVerifierTests {
    static func build(in dir: TemporaryDirectory) throws -> BuildResult {
        try dir.write("src/index.html", "<h1>hi</h1>\n")
        try dir.write("src/css/style.css", "body{}\n")
        var options = BuildOptions(siteDirectory: dir.join("src"))
        options.outputDirectory = dir.join("dist")
        options.name = "demo"
        options.sourceDateEpoch = 1_700_000_000
        options.environment = [:]
        return try SiteBuilder(options: options).build()
    }

    @Test("a sitepack artifact verifies against its own manifest: blocked gzip, digests and counts as built")
    func builtArtifactIsClean() throws {
        let dir = try TemporaryDirectory("sitepack-verifier")
        defer { dir.remove() }
        let built = try Self.build(in: dir)
        let manifest = try built.loadManifest()
        let report = try ArchiveVerifier.verify(archive: built.archivePath, manifest: manifest)
        #expect(report.ok && report.exitStatus == 0 && report.findings.isEmpty)
        #expect(report.blockedGzip && report.filter == "gzip" && report.manifestChecked)
        #expect(report.sha256 == manifest.archive.sha256)
        #expect(report.tarSHA256 == manifest.tar.sha256)
        #expect(report.files == 2 && report.entries == manifest.files.count)
    }

    @Test("with its own manifest an artifact is linted under exactly the manifest's counts; with another, under the defaults")
    func manifestBoundsTheLint() throws {
        let dir = try TemporaryDirectory("sitepack-verifier")
        defer { dir.remove() }
        let built = try Self.build(in: dir)
        var manifest = try built.loadManifest()
        manifest.files.removeAll { $0.path == "site/css/style.css" }
        manifest.totalBytes -= 7
        let bounded = try ArchiveVerifier.verify(archive: built.archivePath, manifest: manifest)
        #expect(bounded.findings.map(\.rule).sorted() == ["manifest-extra", "too-deep", "too-many-bytes", "too-many-entries"])
        manifest.archive.sha256 = String(repeating: "0", count: 64)
        let other = try ArchiveVerifier.verify(archive: built.archivePath, manifest: manifest)
        #expect(!other.findings.contains { $0.rule == "too-many-entries" || $0.rule == "too-many-bytes" })
        var limits = ExtractionLimits()
        limits.maxEntries = 2
        let explicit = try ArchiveVerifier.verify(archive: built.archivePath, limits: limits)
        #expect(explicit.findings.map(\.rule) == ["too-many-entries"])
        #expect(explicit.exitStatus == 3)
    }

    @Test("a manifest of other bytes is an integrity failure (exit 4), listed before the lint's warnings")
    func wrongManifest() throws {
        let dir = try TemporaryDirectory("sitepack-verifier")
        defer { dir.remove() }
        let built = try Self.build(in: dir)
        var manifest = try built.loadManifest()
        manifest.archive.sha256 = String(repeating: "0", count: 64)
        manifest.files.removeAll { $0.path == "site/index.html" }
        let report = try ArchiveVerifier.verify(archive: built.archivePath, manifest: manifest)
        #expect(report.exitStatus == 4)
        #expect(report.findings.map(\.rule) == ["manifest-sha256", "manifest-extra"])
    }

    @Test("an HTML page saved as .tar.gz is corrupt (exit 1): not gzip, unreadable")
    func notAnArchive() throws {
        let dir = try TemporaryDirectory("sitepack-verifier")
        defer { dir.remove() }
        let page = try dir.write("content.tar.gz", "<!doctype html><title>502</title>\n")
        let report = try ArchiveVerifier.verify(archive: page)
        #expect(report.exitStatus == 1)
        #expect(report.findings.map(\.rule) == ["archive-unreadable", "not-gzip"])
        #expect(report.entries == 0 && !report.blockedGzip && report.tarSHA256 == nil)
    }

    @Test("a hostile archive written by Python is unsafe (exit 3), its warnings kept after the errors")
    func hostileArchive() throws {
        let dir = try TemporaryDirectory("sitepack-verifier")
        defer { dir.remove() }
        let path = dir.join("a.tar.gz")
        try PythonTar.write(path, [#"("./", "d", b"", 0o755)"#, #"("site/index.html", "f", b"x", 0o644)"#, #"("site/pipe", "p", b"", 0o644)"#])
        let report = try ArchiveVerifier.verify(archive: path)
        #expect(report.exitStatus == 3)
        #expect(report.findings.map(\.rule) == ["special-file", "dot-entry"])
        #expect(report.filter == "gzip" && !report.blockedGzip && report.entries == 3)
    }
}
