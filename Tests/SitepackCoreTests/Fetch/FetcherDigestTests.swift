import Foundation
import Logging
import SitepackTestSupport
import Testing
@testable import SitepackCore

/// A content-addressed URI (`…/sites/<name>/<sha256>/content.tar.gz`) is fetched as if `--sha256`
/// named its digest: verified before use, cached by that digest, and never served stale; any other
/// URI is cached by its text and reported unverified. Local store paths, packed by GNU tar.
///
/// The URIs are fetched with `extract: false`, to test the digest and the cache alone; extraction and
/// reruns are covered by FetchIntegrationTests, on the binary.
@Suite struct FetcherDigestTests {
    /// A temp folder with two versions of a site packed by GNU tar, laid out as a store, plus a store
    /// whose v1 address holds v2's bytes.
    struct Store {
        let dir: TemporaryDirectory
        let v1: String, v2: String
        let sha1: String, sha2: String
        var good1: String { dir.join("store/sites/demo/\(sha1)/content.tar.gz") }
        var good2: String { dir.join("store/sites/demo/\(sha2)/content.tar.gz") }
        var wrong: String { dir.join("wrong/sites/demo/\(sha1)/content.tar.gz") }
        var cache: String { dir.join("cache") }

        init() throws {
            dir = try TemporaryDirectory("sitepack-fetch-digest")
            for (version, extra) in [("v1", "only-v1.html"), ("v2", "only-v2.html")] {
                try dir.write("\(version)/site/index.html", "\(version)\n")
                try dir.write("\(version)/site/\(extra)", "\(version)\n")
                let packed = try Subprocess.run(["tar", "-czf", dir.join("\(version).tar.gz"), "-C", dir.join(version), "site"], in: dir.path)
                #expect(packed.status == 0, "\(packed.stderr)")
            }
            v1 = dir.join("v1.tar.gz")
            v2 = dir.join("v2.tar.gz")
            sha1 = try Self.sha256(v1, in: dir.path)
            sha2 = try Self.sha256(v2, in: dir.path)
            for (source, target) in [(v1, "store/sites/demo/\(sha1)"), (v2, "store/sites/demo/\(sha2)"), (v2, "wrong/sites/demo/\(sha1)")] {
                try FileManager.default.createDirectory(atPath: dir.join(target), withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: source, toPath: dir.join("\(target)/content.tar.gz"))
            }
        }

        static func sha256(_ path: String, in folder: String) throws -> String {
            let result = try Subprocess.run(["sha256sum", path], in: folder)
            return String(result.stdout.prefix(64))
        }

        func fetcher(_ sandbox: String, cache: Bool = false, sha256: String? = nil) -> Fetcher {
            var options = FetchOptions(sandbox: dir.join(sandbox))
            options.cacheAll = cache
            options.cacheDirectory = self.cache
            options.sha256 = sha256
            options.progress = false
            return Fetcher(options: options, logger: Logger(label: "test"))
        }

        /// Fetches `path` without extracting it.
        func fetch(_ path: String, into sandbox: String, cache: Bool = false, sha256: String? = nil) throws -> FetchResult {
            try fetcher(sandbox, cache: cache, sha256: sha256).fetch(MesosURI(value: path, extract: false))
        }

        func listing(_ relative: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: dir.join(relative))) ?? []).sorted()
        }

        var cachedObjects: [String] { listing("cache/objects").filter { !$0.hasPrefix(".") } }
    }

    @Test("wrong bytes at a content-addressed path: integrity error naming it, nothing kept, nothing cached",
          arguments: [false, true])
    func wrongBytesAreRefused(cache: Bool) throws {
        let store = try Store()
        defer { store.dir.remove() }
        do {
            _ = try store.fetch(store.wrong, into: "sandbox", cache: cache)
            Issue.record("wrong bytes were accepted")
        } catch let error as SitepackError {
            #expect(error.code == .integrity)
            #expect(error.code.exitStatus == 4)
            #expect(error.message.contains(store.wrong) && error.message.contains(store.sha1) && error.message.contains(store.sha2))
        }
        #expect(store.listing("sandbox").isEmpty)
        #expect(store.cachedObjects.isEmpty)
    }

    @Test("a content-addressed path is cached by its digest and a hit is verified again")
    func cachedByDigestAndVerified() throws {
        let store = try Store()
        defer { store.dir.remove() }
        let first = try store.fetch(store.good1, into: "a", cache: true)
        #expect(first.cache == "miss" && first.cacheKey == "sha256" && first.verified && first.sha256 == store.sha1)
        #expect(store.cachedObjects == ["sha256-\(store.sha1)", "sha256-\(store.sha1).sha256"])
        let second = try store.fetch(store.good1, into: "b", cache: true)
        #expect(second.cache == "hit" && second.cacheKey == "sha256" && second.verified)
        #expect(try Store.sha256(store.dir.join("b/content.tar.gz"), in: store.dir.path) == store.sha1)

        // The same digest reached through another URL is the same object.
        let copy = store.dir.join("mirror/sites/demo/\(store.sha1)")
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: store.v1, toPath: "\(copy)/content.tar.gz")
        #expect(try store.fetch("\(copy)/content.tar.gz", into: "c", cache: true).cache == "hit")

        // A damaged object is dropped and fetched again, never used.
        try Data("damaged".utf8).write(to: URL(fileURLWithPath: store.dir.join("cache/objects/sha256-\(store.sha1)")))
        let repaired = try store.fetch(store.good1, into: "d", cache: true)
        #expect(repaired.cache == "miss" && repaired.verified)
        #expect(try Store.sha256(store.dir.join("cache/objects/sha256-\(store.sha1)"), in: store.dir.path) == store.sha1)
        #expect(try Store.sha256(store.dir.join("d/content.tar.gz"), in: store.dir.path) == store.sha1)
    }

    @Test("any other path is cached by its text and reported unverified, as Mesos keys it")
    func mutablePathIsUnverified() throws {
        let store = try Store()
        defer { store.dir.remove() }
        let first = try store.fetch(store.v1, into: "a", cache: true)
        #expect(first.cache == "miss" && first.cacheKey == "uri" && !first.verified)
        #expect(store.cachedObjects.allSatisfy { $0.hasPrefix("uri-") })
        // Mesos's cache never refreshes: new bytes behind the same URI are not seen (hence "unverified").
        try FileManager.default.removeItem(atPath: store.v1)
        try FileManager.default.copyItem(atPath: store.v2, toPath: store.v1)
        let second = try store.fetch(store.v1, into: "b", cache: true)
        #expect(second.cache == "hit" && !second.verified && second.sha256 == store.sha1)
        let uncached = try store.fetch(store.v1, into: "c")
        #expect(uncached.cache == nil && uncached.cacheKey == nil && !uncached.verified)
        let pinned = try store.fetch(store.v1, into: "d", cache: true, sha256: store.sha2)
        #expect(pinned.cacheKey == "sha256" && pinned.verified && pinned.sha256 == store.sha2)
    }

    @Test("--sha256 must agree with a content-addressed URI's own digest (a usage error otherwise)")
    func sha256MustAgreeWithTheURI() throws {
        let store = try Store()
        defer { store.dir.remove() }
        do {
            _ = try store.fetch(store.good1, into: "a", sha256: store.sha2)
            Issue.record("a contradicting --sha256 was accepted")
        } catch let error as SitepackError {
            #expect(error.code == .fetchDigestConflict)
            #expect(error.code.exitStatus == 2)
            #expect(error.message.contains(store.sha1) && error.message.contains(store.sha2) && error.message.contains(store.good1))
        }
        #expect(store.listing("a").isEmpty)
        let agreed = try store.fetch(store.good1, into: "b", sha256: store.sha1.uppercased())
        #expect(agreed.verified)
    }
}
