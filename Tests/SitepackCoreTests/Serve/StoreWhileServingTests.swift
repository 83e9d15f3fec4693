import Foundation
import Synchronization
import Testing
@testable import SitepackCore
#if canImport(Glibc)
import Glibc
#endif

/// The store changing under a running server: versions published (large ones hashed off the event loops),
/// versions removed by gc, the newest chosen by its version folder, files replaced while being sent.
/// Every wait is a condition with a deadline or a gate the test opens; nothing asserts on a sleep.
@Suite("ArtifactServer: the store changing while serving", .serialized)
struct StoreWhileServingTests {
    /// The sha256 of every artifact `/sites` lists.
    static func listed(port: Int) throws -> Set<String> {
        let body = try RawHTTP.request(port: port, "/sites").body
        let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        return Set((object?["artifacts"] as? [[String: Any]] ?? []).compactMap { $0["sha256"] as? String })
    }

    static func latestLocation(port: Int, name: String) throws -> String? {
        try RawHTTP.request(port: port, ArtifactAddress.latestPath(name: name))["location"]
    }

    @Test("gc while serving: a download in flight finishes byte-exact; the removed version then answers 404 and leaves latest and /sites")
    func gcWhileServing() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let oldBytes = ServeFixture.patternBytes(32 << 20, seed: 7)
        let old = try ArtifactAddress(name: "big", sha256: try ServeFixture.publish(oldBytes, name: "big", root: fixture.root))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -600)], ofItemAtPath: old.versionFolder(in: fixture.root))
        let newBytes = ServeFixture.patternBytes(10_000, seed: 8)
        let new = try ArtifactAddress(name: "big", sha256: try ServeFixture.publish(newBytes, name: "big", root: fixture.root))
        try await fixture.withServer { server in
            let port = server.port
            #expect(try Self.latestLocation(port: port, name: "big") == new.urlPath())
            let download = try SlowConnection(port: port)
            try download.send("GET \(old.urlPath()) HTTP/1.1\r\nHost: a\r\n\r\n")
            let head = try download.readHead()
            #expect(head.status == 200)
            let length = Int(head["content-length"] ?? "") ?? -1
            #expect(length == oldBytes.count)
            #expect(try download.readBody(1 << 16).count == 1 << 16)

            try ServeFixture.collect(name: "big", sha256: old.sha256, root: fixture.root)

            for file in ArtifactAddress.files {
                let gone = try RawHTTP.request(port: port, old.urlPath(file))
                #expect(gone.status == 404, "\(file) of the removed version answered \(gone.status)")
            }
            let fresh = try RawHTTP.request(port: port, new.urlPath())
            #expect(fresh.status == 200 && fresh.body == newBytes)
            #expect(try Self.latestLocation(port: port, name: "big") == new.urlPath())
            let listed = try Self.listed(port: port)
            #expect(!listed.contains(old.sha256) && listed.contains(new.sha256))

            // The download that was in flight keeps its open file and finishes with the right bytes.
            let rest = try download.readBody(length - (1 << 16))
            #expect(rest.count == length - (1 << 16))
            #expect(ServeFixture.sha(oldBytes.prefix(1 << 16) + rest) == old.sha256)

            // Once the catalog caught up: gone from its state too, and still 404, never 500.
            await server.catalog.refresh()
            #expect(server.catalog.artifact(at: old) == nil)
            #expect(try RawHTTP.request(port: port, old.urlPath()).status == 404)

            // Even the newest version vanishing (by hand; gc never removes it) takes latest along at once.
            try ServeFixture.collect(name: "big", sha256: new.sha256, root: fixture.root)
            #expect(try RawHTTP.request(port: port, ArtifactAddress.latestPath(name: "big")).status == 404)
            #expect(try RawHTTP.request(port: port, new.urlPath()).status == 404)
        }
    }

    @Test("hashing a newly published artifact stalls no download: with one event loop held by nothing, everything else is answered while its scan runs")
    func hashingOffTheLoop() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let gate = HashGate(matching: "/sites/fresh/")
        try await fixture.withServer({ $0.threads = 1; $0.beforeHashing = gate.pass }) { server in
            let port = server.port
            let bytes = ServeFixture.patternBytes(4 << 20, seed: 11)
            let fresh = try ArtifactAddress(name: "fresh", sha256: try ServeFixture.publish(bytes, name: "fresh", root: fixture.root))
            // An agent asks for the new version at once: its answer waits for the scan, off the loop.
            async let first = onThread { try RawHTTP.request(port: port, fresh.urlPath()) }
            defer { gate.open() }  // (after the async let: on an early exit the gate opens before it is awaited)
            #expect(await eventually { gate.arrived })

            // The scan is now stuck hashing it; the only event loop must still answer everything else.
            #expect(try RawHTTP.request(port: port, "/healthz").status == 200)
            #expect(try RawHTTP.request(port: port, "/sites/hello/\(fixture.artifactSHA)/content.tar.gz").body == fixture.artifact)
            #expect(try RawHTTP.request(port: port, "/small.txt").status == 200)
            // latest keeps the previous state until the new version is verified.
            #expect(try Self.latestLocation(port: port, name: "demo") == "/sites/demo/\(fixture.storeNew)/content.tar.gz")
            #expect(try RawHTTP.request(port: port, ArtifactAddress.latestPath(name: "fresh")).status == 404)
            #expect(try !Self.listed(port: port).contains(fresh.sha256))

            gate.open()
            let answered = try await first
            #expect(answered.status == 200)
            #expect(answered.body == bytes)
            #expect(try Self.latestLocation(port: port, name: "fresh") == fresh.urlPath())
            #expect(try Self.listed(port: port).contains(fresh.sha256))
        }
    }

    @Test("a just-published version's first request waits for its scan without holding up the requests pipelined behind it out of order")
    func firstRequestWaitsInOrder() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let gate = HashGate(matching: "/sites/fresh/")
        try await fixture.withServer({ $0.beforeHashing = gate.pass }) { server in
            let port = server.port
            let bytes = ServeFixture.patternBytes(300_000, seed: 12)
            let fresh = try ArtifactAddress(name: "fresh", sha256: try ServeFixture.publish(bytes, name: "fresh", root: fixture.root))
            let pipeline = "GET \(fresh.urlPath()) HTTP/1.1\r\nHost: a\r\n\r\n" + "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                + "HEAD \(fresh.urlPath(ArtifactAddress.checksumFile)) HTTP/1.1\r\nHost: a\r\n\r\n"
            // Sent and half-closed while the scan is held: the server must answer all three, in order, then close.
            async let raw = onThread { try RawHTTP.exchange(port: port, pipeline) }
            defer { gate.open() }
            #expect(await eventually { gate.arrived })
            gate.open()
            let responses = RawHTTP.parse(try await raw, heads: [false, false, true])
            #expect(responses.map(\.status) == [200, 200, 200])
            guard responses.count == 3 else { return }
            #expect(responses[0].body == bytes)
            #expect(responses[1].body == Array("ok\n".utf8))
            #expect(responses[2]["content-length"] == String(fresh.checksumLine.utf8.count))
        }
    }

    @Test("a just-published version still unverified when the wait runs out is answered 503 with Retry-After, then 200 once verified")
    func publishedVersionDeadline() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let gate = HashGate(matching: "/sites/fresh/")
        try await fixture.withServer({ $0.publishedVersionWait = .milliseconds(300); $0.beforeHashing = gate.pass }) { server in
            defer { gate.open() }
            let port = server.port
            let bytes = ServeFixture.patternBytes(100_000, seed: 13)
            let fresh = try ArtifactAddress(name: "fresh", sha256: try ServeFixture.publish(bytes, name: "fresh", root: fixture.root))
            let early = try await onThread { try RawHTTP.request(port: port, fresh.urlPath()) }
            #expect(early.status == 503)
            #expect(early["retry-after"] == "2")
            #expect(String(decoding: early.body, as: UTF8.self).contains(fresh.urlPath()))
            gate.open()
            #expect(await eventually { (try? RawHTTP.request(port: port, fresh.urlPath()).status) == 200 })
            #expect(try RawHTTP.request(port: port, fresh.urlPath()).body == bytes)
        }
    }

    @Test("latest is the version whose folder is newest, the store entry wins over the top-level links, and relinking them breaks no URL")
    func newestByVersionFolder() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let root = fixture.base.appendingPathComponent("store").path
        let aBytes = ServeFixture.patternBytes(50_000, seed: 21), bBytes = ServeFixture.patternBytes(60_000, seed: 22)
        let a = try ArtifactAddress(name: "site", sha256: try ServeFixture.publish(aBytes, name: "site", root: root))
        let b = try ArtifactAddress(name: "site", sha256: try ServeFixture.publish(bBytes, name: "site", root: root))
        let fm = FileManager.default
        // a's folder is newer although its archive is older: the folder decides.
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: a.versionFolder(in: root) + "/content.tar.gz")
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -10)], ofItemAtPath: a.versionFolder(in: root))
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -100)], ofItemAtPath: b.versionFolder(in: root))
        // The top level links the newest version's files, as build does (link to a temporary name, rename over).
        @Sendable func linkTopLevel(to version: ArtifactAddress) throws {
            for file in ArtifactAddress.files {
                let temporary = root + "/.\(file).tmp"
                #expect(link(version.versionFolder(in: root) + "/" + file, temporary) == 0)
                #expect(rename(temporary, root + "/" + file) == 0)
            }
        }
        try linkTopLevel(to: a)
        try await fixture.withServer({ $0.root = root }) { server in
            let port = server.port
            #expect(try Self.latestLocation(port: port, name: "site") == a.urlPath())
            #expect(server.catalog.artifacts.map(\.sha256) == [a.sha256, b.sha256])
            let entry = try #require(server.catalog.artifact(at: a))
            #expect(entry.isStoreVersion && entry.archivePath == a.versionFolder(in: root) + "/content.tar.gz")
            #expect(server.advertisedURLs.contains(server.origin + "/content.tar.gz"))

            // An identical rebuild of b re-adds it: its folder mtime becomes now, and latest follows
            // once the state is more than a second old (latest itself kicks the rescan).
            try fm.setAttributes([.modificationDate: Date()], ofItemAtPath: b.versionFolder(in: root))
            try linkTopLevel(to: b)
            #expect(try await eventually { try Self.latestLocation(port: port, name: "site") == b.urlPath() })
            // Relinking changed both archives' ctime (link counts), never their bytes: both still serve, unhashed again.
            #expect(try RawHTTP.request(port: port, a.urlPath()).body == aBytes)
            #expect(try RawHTTP.request(port: port, b.urlPath()).body == bBytes)
            #expect(try RawHTTP.request(port: port, "/content.tar.gz").body == bBytes)
            #expect(try RawHTTP.request(port: port, b.urlPath(ArtifactAddress.manifestFile)).status == 200)
        }
    }

    @Test("a file replaced by rename while it is sent: the response is the complete old bytes or the new ones, with a matching Content-Length, never a mix")
    func replacedWhileSent() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let versions = [ServeFixture.patternBytes(24 << 20, seed: 31), ServeFixture.patternBytes(20 << 20, seed: 32)]
        let small = [ServeFixture.patternBytes(1024, seed: 33), ServeFixture.patternBytes(3000, seed: 34)]
        let root = fixture.root
        for (index, bytes) in (versions + small).enumerated() {
            try Data(bytes).write(to: URL(fileURLWithPath: root + "/.source-\(index)"))
        }
        /// Replaces `name` by version `index` the way a deploy does: a hard link to a temporary name, renamed over.
        @Sendable func replace(_ name: String, with index: Int) {
            let temporary = root + "/.\(name).tmp"
            unlink(temporary)
            _ = link(root + "/.source-\(index)", temporary)
            _ = rename(temporary, root + "/" + name)
        }
        replace("swap.bin", with: 0)
        replace("swap-small.bin", with: 2)
        try await fixture.withServer { server in
            let port = server.port
            // One deterministic round: replaced after the head and the first bytes left.
            let download = try SlowConnection(port: port)
            try download.send("GET /swap.bin HTTP/1.1\r\nHost: a\r\n\r\n")
            let head = try download.readHead()
            #expect(head["content-length"] == String(versions[0].count))
            let first = try download.readBody(1 << 16)
            replace("swap.bin", with: 1)
            let body = first + (try download.readBody(versions[0].count - first.count))
            #expect(body == versions[0])
            try download.send("GET /swap.bin HTTP/1.1\r\nHost: a\r\n\r\n")
            let again = try download.readHead()
            #expect(again["content-length"] == String(versions[1].count))
            #expect(try download.readBody(versions[1].count) == versions[1])

            // Then a race: replacements in a loop while downloads (sendfile) and small cached files are read.
            let done = ManagedFlag()
            async let writer: Void = onThread {
                var turn = 0
                while !done.isSet {
                    replace("swap.bin", with: turn % 2)
                    replace("swap-small.bin", with: 2 + turn % 2)
                    turn += 1
                    usleep(3000)
                }
            }
            let failures = try await onThread { () -> [String] in
                defer { done.set() }
                var failures: [String] = []
                for round in 0..<12 {
                    let response = try RawHTTP.request(port: port, "/swap.bin")
                    if !versions.contains(response.body) || response["content-length"] != String(response.body.count) {
                        failures.append("large round \(round): \(response.status), \(response.body.count) bytes, Content-Length \(response["content-length"] ?? "-")")
                    }
                }
                for round in 0..<150 {
                    let response = try RawHTTP.request(port: port, "/swap-small.bin")
                    if !small.contains(response.body) || response["content-length"] != String(response.body.count) {
                        failures.append("small round \(round): \(response.status), \(response.body.count) bytes")
                    }
                }
                return failures
            }
            try await writer
            #expect(failures.isEmpty, "\(failures)")
        }
    }
}

/// A flag one thread sets and another polls.
final class ManagedFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
