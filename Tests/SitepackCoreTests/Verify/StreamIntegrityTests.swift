import Foundation
import Glibc
import SitepackTestSupport
import Testing
@testable import SitepackCore

/// The first pass of verify: the raw bytes and the gzip layer, checked against sha256sum and gzip.
@Suite("StreamIntegrity")
struct StreamIntegrityTests {
    static func check(_ path: String) throws -> StreamIntegrity {
        let fd = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        return try StreamIntegrity.check(fd)
    }

    static func sha256sum(_ command: String) throws -> String {
        String(try Subprocess.run(["sh", "-c", "\(command) | sha256sum"]).stdout.prefix(64))
    }

    @Test("a good tar.gz: both digests match sha256sum of the file and of gzip -dc, no finding")
    func goodGzip() throws {
        let dir = try TemporaryDirectory("sitepack-integrity")
        defer { dir.remove() }
        let path = dir.join("a.tar.gz")
        try PythonTar.write(path, PythonTar.benignSite)
        let result = try Self.check(path)
        #expect(result.isGzip)
        #expect(result.findings.isEmpty)
        #expect(result.sha256 == (try Self.sha256sum("cat '\(path)'")))
        #expect(result.tarSHA256 == (try Self.sha256sum("gzip -dc '\(path)'")))
    }

    @Test("an uncompressed tar is a not-gzip warning, with no tar digest")
    func plainTar() throws {
        let dir = try TemporaryDirectory("sitepack-integrity")
        defer { dir.remove() }
        let path = dir.join("a.tar")
        try PythonTar.write(path, mode: "w", PythonTar.benignSite)
        let result = try Self.check(path)
        #expect(!result.isGzip && result.tarSHA256 == nil)
        #expect(result.findings.map(\.rule) == ["not-gzip"])
        #expect(result.findings.first?.severity == .warning)
    }

    @Test("a truncated gzip and a corrupted one are corrupt errors, and their tar digest is not reported")
    func brokenGzip() throws {
        let dir = try TemporaryDirectory("sitepack-integrity")
        defer { dir.remove() }
        let path = dir.join("a.tar.gz")
        try PythonTar.write(path, [#"("site/big", "f", bytes(range(256)) * 400, 0o644)"#])
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        try Data(bytes.prefix(bytes.count - 20)).write(to: URL(fileURLWithPath: dir.join("cut.tar.gz")))
        var corrupt = bytes
        corrupt[bytes.count / 2] ^= 0xff
        corrupt[bytes.count / 2 + 1] ^= 0xff
        try Data(corrupt).write(to: URL(fileURLWithPath: dir.join("bad.tar.gz")))

        let cut = try Self.check(dir.join("cut.tar.gz"))
        #expect(cut.findings.map(\.rule) == ["gzip-truncated"])
        #expect(cut.tarSHA256 == nil)
        let bad = try Self.check(dir.join("bad.tar.gz"))
        #expect(bad.findings.map(\.rule) == ["gzip-corrupt"])
        #expect(bad.findings.allSatisfy { $0.severity == .error && $0.kind == .corrupt })
        #expect(bad.tarSHA256 == nil)
    }
}
