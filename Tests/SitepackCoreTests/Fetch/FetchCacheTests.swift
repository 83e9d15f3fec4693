import Foundation
import Testing
@testable import SitepackCore

/// The cache's keys and least-recently-used eviction.
@Suite struct FetchCacheTests {
    @Test func keysAndLeastRecentlyUsedEviction() throws {
        let dir = NSTemporaryDirectory() + "sitepack-cache-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(FetchCache.key(uri: "http://h/a.tgz", sha256: "ABC") == "sha256-abc")
        #expect(FetchCache.key(uri: "http://h/a.tgz", sha256: nil).hasPrefix("uri-"))
        #expect(FetchCache.key(uri: "http://h/a.tgz", sha256: nil) != FetchCache.key(uri: "http://h/b.tgz", sha256: nil))

        let cache = try FetchCache(directory: dir, capacity: 250)
        func fill(_ size: Int) -> (String) throws -> String {
            { path in
                try Data(repeating: 1, count: size).write(to: URL(fileURLWithPath: path))
                return "digest-\(size)"
            }
        }
        var fills = 0
        do {
            let a = try cache.entry(key: "a", fill: { fills += 1; return try fill(100)($0) })
            #expect(!a.hit)
        }
        Thread.sleep(forTimeInterval: 0.02)
        do { _ = try cache.entry(key: "b", fill: fill(100)) }
        Thread.sleep(forTimeInterval: 0.02)
        do {
            let again = try cache.entry(key: "a", fill: { fills += 1; return try fill(100)($0) })  // touches a
            #expect(again.hit)
            #expect(again.sha256 == "digest-100")
        }
        #expect(fills == 1)
        Thread.sleep(forTimeInterval: 0.02)
        do { _ = try cache.entry(key: "c", fill: fill(100)) }  // 300 > 250: evicts b, the least recently used
        let objects = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/objects").filter { !$0.hasSuffix(".sha256") }.sorted()
        #expect(objects == ["a", "c"])
    }

    /// A digest-keyed entry is hashed again on every hit: a damaged object is dropped and filled again.
    @Test func aVerifiedHitIsHashedAgain() throws {
        let dir = NSTemporaryDirectory() + "sitepack-cache-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = try FetchCache(directory: dir, capacity: 1 << 20)
        let bytes = Data("artifact".utf8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try bytes.write(to: URL(fileURLWithPath: "\(dir)/original"))
        let digest = try FileDigest.sha256(ofFile: "\(dir)/original")
        var fills = 0
        func fill(_ path: String) throws -> String {
            fills += 1
            try bytes.write(to: URL(fileURLWithPath: path))
            return digest
        }
        let key = FetchCache.key(uri: "http://h/x.tgz", sha256: digest)
        #expect(try !cache.entry(key: key, verifying: digest, fill: fill).hit)
        #expect(try cache.entry(key: key, verifying: digest, fill: fill).hit)
        #expect(fills == 1)
        try Data("damaged!".utf8).write(to: URL(fileURLWithPath: "\(dir)/objects/\(key)"))
        #expect(try cache.entry(key: key, fill: fill).hit, "without a digest to check, a hit is taken as it is")
        let repaired = try cache.entry(key: key, verifying: digest, fill: fill)
        #expect(!repaired.hit && fills == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: repaired.path)) == bytes)
    }
}
