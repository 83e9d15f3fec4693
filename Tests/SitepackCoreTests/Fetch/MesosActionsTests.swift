import Foundation
import SitepackTestSupport
import Testing
@testable import SitepackCore

/// Bare `.gz` files are inflated as `gunzip -d -c` does (GNU gzip packs them here), and in strict mode
/// under the limits tar extraction enforces, with the same rules.
@Suite struct MesosActionsTests {
    /// A folder holding `data.gz`: `size` zero bytes packed by GNU gzip.
    func gzipped(size: Int) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory("sitepack-gunzip")
        try Data(count: size).write(to: URL(fileURLWithPath: dir.join("data")))
        let packed = try Subprocess.run(["gzip", "-9", dir.join("data")], in: dir.path)
        #expect(packed.status == 0, "\(packed.stderr)")
        try FileManager.default.createDirectory(atPath: dir.join("sandbox"), withIntermediateDirectories: true)
        return dir
    }

    func actions(_ dir: TemporaryDirectory, mode: ExtractionMode = .strict, limits: (inout ExtractionLimits) -> Void = { _ in }) -> MesosActions {
        var options = FetchOptions(sandbox: dir.join("sandbox"))
        options.mode = mode
        options.progress = false
        limits(&options.limits)
        return MesosActions(options: options)
    }

    func rule(_ run: () throws -> Int64) -> String? {
        do {
            _ = try run()
            return nil
        } catch let error as SitepackError {
            #expect(error.code.exitStatus == SitepackError.ExitStatus.unsafeInput)
            return ["file-too-large", "too-many-bytes", "compression-ratio"].first { error.message.contains("breaks rule \($0)") } ?? error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("gunzip writes what GNU gzip packed, and leaves no temporary file")
    func inflatesLikeGunzip() throws {
        let dir = try gzipped(size: 100_000)
        defer { dir.remove() }
        let written = try actions(dir).gunzip(dir.join("data.gz"), to: dir.join("sandbox/data"), name: "data.gz")
        #expect(written == 100_000)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.join("sandbox/data"))) == Data(count: 100_000))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.join("sandbox")) == ["data"])
    }

    @Test("strict gunzip stops at --max-file-bytes, --max-bytes and the ratio, inclusively; Mesos mode has no limits")
    func limitsAreTarExtractions() throws {
        let dir = try gzipped(size: 100_000)
        defer { dir.remove() }
        let gz = dir.join("data.gz"), out = dir.join("sandbox/data")
        #expect(rule { try actions(dir) { $0.maxFileBytes = 100_000 }.gunzip(gz, to: out, name: "data.gz") } == nil)
        #expect(rule { try actions(dir) { $0.maxFileBytes = 99_999 }.gunzip(gz, to: out, name: "data.gz") } == "file-too-large")
        #expect(rule { try actions(dir) { $0.maxBytes = 99_999 }.gunzip(gz, to: out, name: "data.gz") } == "too-many-bytes")
        #expect(rule { try actions(dir) { $0.ratioFloor = 1000; $0.maxRatio = 10 }.gunzip(gz, to: out, name: "data.gz") } == "compression-ratio")
        #expect(rule { try actions(dir, mode: .mesosCompat) { $0.maxBytes = 1 }.gunzip(gz, to: out, name: "data.gz") } == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.join("sandbox")) == ["data"])
    }

    @Test("a temporary file is removed when it goes away, written or not")
    func temporaryFilesAreRemoved() throws {
        let dir = try TemporaryDirectory("sitepack-temporary")
        defer { dir.remove() }
        var path = ""
        do {
            var temporary = try TemporaryFile(in: dir.path)
            path = temporary.path
            let fd = temporary.takeDescriptor()
            try Array("x".utf8).withUnsafeBytes { try fd.writeAll($0) }
            try fd.close()
            #expect(FileManager.default.fileExists(atPath: path))
        }
        #expect(!path.isEmpty && !FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}

/// The one digest check of a fetch: where the expected digest comes from, and the mismatch message.
@Suite struct ExpectedDigestTests {
    let digest = String(repeating: "ab", count: 32)
    let other = String(repeating: "cd", count: 32)

    @Test("a content-addressed URI carries its digest; --sha256 applies to other URIs; neither means unverified")
    func sources() throws {
        let addressed = try FetchPlan(MesosURI(value: "http://h/sites/docs/\(digest)/content.tar.gz"))
        let plain = try FetchPlan(MesosURI(value: "http://h/site.tgz"))
        #expect(try ExpectedDigest(for: addressed, given: nil)?.isContentAddress == true)
        #expect(try ExpectedDigest(for: addressed, given: digest.uppercased())?.sha256 == digest)
        #expect(try ExpectedDigest(for: plain, given: other.uppercased())?.sha256 == other)
        #expect(try ExpectedDigest(for: plain, given: nil) == nil)
        #expect(throws: SitepackError.self) { try ExpectedDigest(for: plain, given: "abc") }
        do {
            _ = try ExpectedDigest(for: addressed, given: other)
            Issue.record("a contradicting --sha256 was accepted")
        } catch let error as SitepackError {
            #expect(error.code == .fetchDigestConflict)
        }
    }

    @Test("a mismatch is an integrity error naming the URI, both digests and what was kept safe")
    func mismatch() throws {
        let plain = try #require(try ExpectedDigest(for: FetchPlan(MesosURI(value: "http://h/site.tgz")), given: digest))
        try plain.check(digest, cached: false)
        do {
            try plain.check(other, cached: true)
            Issue.record("a mismatch passed")
        } catch let error as SitepackError {
            #expect(error.code == .integrity)
            #expect(error.message.contains("http://h/site.tgz") && error.message.contains(digest) && error.message.contains(other))
            #expect(error.message.contains("nothing was extracted or cached"))
        }
    }
}
