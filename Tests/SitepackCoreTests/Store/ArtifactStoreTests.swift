import Foundation
import SitepackTestSupport
import Testing
@testable import SitepackCore

@Suite("ArtifactStore and StoreCollector")
struct ArtifactStoreTests {
    /// Adds a fake version whose files hold `text`, as `build` would through `add`.
    static func add(_ store: ArtifactStore, name: String, text: String) throws -> ArtifactStore.Addition {
        try store.add(name: name) { staging in
            let archive = Data(text.utf8)
            let sha = try FileDigest.sha256(ofFile: { () -> String in
                let path = staging + "/" + ArtifactAddress.archiveFile
                FileManager.default.createFile(atPath: path, contents: archive)
                return path
            }())
            let address = try ArtifactAddress(name: name, sha256: sha)
            FileManager.default.createFile(atPath: staging + "/" + ArtifactAddress.checksumFile, contents: Data(address.checksumLine.utf8))
            FileManager.default.createFile(atPath: staging + "/" + ArtifactAddress.manifestFile, contents: Data("{\"v\":\"\(text)\"}".utf8))
            return address
        }
    }

    @Test("versions are added whole, newest first; an identical add is unchanged and becomes the newest again")
    func addAndOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = ArtifactStore(root: dir.join("dist"))
        let a = try Self.add(store, name: "s", text: "a")
        let b = try Self.add(store, name: "s", text: "b")
        #expect(!a.unchanged && !b.unchanged)
        #expect(store.versions(of: "s").map(\.address) == [b.version.address, a.version.address])
        let again = try Self.add(store, name: "s", text: "a")
        #expect(again.unchanged)
        #expect(store.newest(of: "s")?.address == a.version.address)
        #expect(FileManager.default.contents(atPath: dir.join("dist/content.tar.gz")) == Data("a".utf8))
        // No staging folder left behind; only the two versions.
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.join("dist/sites/s"))) == [a.version.address.sha256, b.version.address.sha256])
    }

    @Test("a failing write leaves nothing, not even an empty site folder")
    func failedAdd() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = ArtifactStore(root: dir.join("dist"))
        #expect(throws: SitepackError.self) {
            _ = try store.add(name: "s") { _ in throw SitepackError(.io, "disk full") }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.join("dist")).isEmpty)
    }

    @Test("gc keeps the newest and pinned versions, honours --keep and --older-than, and a dry run removes nothing")
    func collect() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = ArtifactStore(root: dir.join("dist"))
        let versions = try ["1", "2", "3", "4"].map { try Self.add(store, name: "s", text: $0).version }
        let dry = try StoreCollector(store: store, policy: .init(keep: 1)).collect(dryRun: true)
        #expect(dry.removed.count == 3 && store.versions(of: "s").count == 4)
        let young = try StoreCollector(store: store, policy: .init(keep: 1, olderThan: .seconds(3600))).collect()
        #expect(young.removed.isEmpty)
        let old = try StoreCollector(store: store, policy: .init(olderThan: .zero)).collect(now: Date().addingTimeInterval(10))
        #expect(old.removed.map(\.address) == [versions[2], versions[1], versions[0]].map(\.address))
        #expect(store.versions(of: "s").map(\.address) == [versions[3].address])
        #expect(old.freedBytes == versions[0...2].reduce(0) { $0 + $1.bytes } && old.freedBytes > 3)
        let defaults = StoreCollector.Policy()
        #expect(defaults.keep == StoreCollector.Policy.defaultKeep)
        let pinned = try Self.add(store, name: "t", text: "p").version
        _ = try Self.add(store, name: "t", text: "q")
        let report = try StoreCollector(store: store, policy: .init(keep: 1, pins: [pinned.address])).collect()
        #expect(report.removed.isEmpty)
    }
}
