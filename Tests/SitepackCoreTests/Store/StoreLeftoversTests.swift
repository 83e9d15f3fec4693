import Foundation
import SitepackTestSupport
import Testing
@testable import SitepackCore
#if canImport(Glibc)
import Glibc
#endif

/// The one rule for what interrupted builds, uploads and gc runs leave in a store, used by gc and by
/// serve when it starts.
@Suite("StoreLeftovers: cleaned at once unless live, pending archives after an hour")
struct StoreLeftoversTests {
    static let digest = String(repeating: "ab", count: 32)

    /// A store with one version of `s` and one of each kind of leftover; returns the site folder.
    static func storeWithLeftovers(_ dir: TemporaryDirectory) throws -> (ArtifactStore, String) {
        let store = ArtifactStore(root: dir.join("dist"))
        _ = try ArtifactStoreTests.add(store, name: "s", text: "v1")
        let site = dir.join("dist/sites/s")
        try FileManager.default.createDirectory(atPath: site + "/.tmp-deadbuild/x", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: site + "/.tmp-upload-Ab12Cd", contents: Data("partial".utf8))
        try FileManager.default.createDirectory(atPath: site + "/.gc-old", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: site + "/.tmp-upload-\(digest).tar.gz", contents: Data("whole".utf8))
        return (store, site)
    }

    @Test("abandoned staging folders, upload files and gc folders go at once; a fresh pending archive stays")
    func abandoned() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (store, site) = try Self.storeWithLeftovers(dir)
        let now = FileSystem.nowNanoseconds()
        let dry = try StoreLeftovers.clean(siteFolder: site, nowNanoseconds: now, dryRun: true)
        #expect(dry.count == 3)
        #expect(FileManager.default.fileExists(atPath: site + "/.tmp-deadbuild"))
        let (cleaned, failures) = StoreLeftovers.cleanAll(store, nowNanoseconds: now)
        #expect(failures.isEmpty)
        #expect(Set(cleaned.map { ($0 as NSString).lastPathComponent }) == [".tmp-deadbuild", ".tmp-upload-Ab12Cd", ".gc-old"])
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: site))
        #expect(left == [".tmp-upload-\(Self.digest).tar.gz", store.versions(of: "s")[0].address.sha256])
        // An hour later the pending archive (its manifest never came) goes too.
        let later = now + 3601 * 1_000_000_000
        #expect(try StoreLeftovers.clean(siteFolder: site, nowNanoseconds: later).count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: site).count == 1)
    }

    @Test("a staging folder a live add holds survives a sweep made while it is filled, and the add completes")
    func liveAdd() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = ArtifactStore(root: dir.join("dist"))
        var sweptDuringAdd: [String] = ["not run"]
        let added = try store.add(name: "s") { staging in
            let address = try ArtifactStoreTests.add(ArtifactStore(root: dir.join("other")), name: "s", text: "live").version.address
            for file in ArtifactAddress.files {
                try FileManager.default.copyItem(atPath: dir.join("other/sites/s/\(address.sha256)/\(file)"), toPath: staging + "/" + file)
            }
            sweptDuringAdd = try StoreLeftovers.clean(siteFolder: dir.join("dist/sites/s"), nowNanoseconds: FileSystem.nowNanoseconds())
            #expect(FileManager.default.fileExists(atPath: staging + "/" + ArtifactAddress.archiveFile))
            return address
        }
        #expect(sweptDuringAdd.isEmpty)
        #expect(store.versions(of: "s").map(\.address) == [added.version.address])
    }

    @Test("gc reports and removes the abandoned leftovers with the versions it prunes")
    func gc() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (store, site) = try Self.storeWithLeftovers(dir)
        let report = try StoreCollector(store: store, policy: .init(keep: 1)).collect()
        #expect(report.leftovers.count == 3)
        #expect(!FileManager.default.fileExists(atPath: site + "/.tmp-deadbuild"))
        #expect(FileManager.default.fileExists(atPath: site + "/.tmp-upload-\(Self.digest).tar.gz"))
    }
}
