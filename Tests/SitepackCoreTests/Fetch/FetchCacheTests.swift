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
}
