import Foundation
import SitepackTestSupport
import Testing
@testable import SitepackCore

/// Strict mode's swap of an extracted archive into the sandbox: each top-level entry replaced whole,
/// with `RENAME_EXCHANGE` and with the rename-aside fallback, symlinks replaced and never followed,
/// and a failure at any point leaving the previous entries and no staging folder.
@Suite struct SandboxStagingTests {
    /// Every entry below `root`: `d` for a folder, `-> target` for a symlink, else the file's text.
    static func tree(_ root: String) -> [String: String] {
        var result: [String: String] = [:]
        guard let names = FileManager.default.enumerator(atPath: root) else { return result }
        while let name = names.nextObject() as? String {
            let path = "\(root)/\(name)"
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                result[name] = "-> \(target)"
            } else if let attributes = try? FileManager.default.attributesOfItem(atPath: path), attributes[.type] as? FileAttributeType == .typeDirectory {
                result[name] = "d"
            } else {
                result[name] = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "?"
            }
        }
        return result
    }

    static func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test("a rerun replaces each top-level entry whole: files only in the old version are gone",
          arguments: [true, false])
    func replacesEachTopLevelEntryWhole(exchanges: Bool) throws {
        let dir = try TemporaryDirectory("sitepack-staging")
        defer { dir.remove() }
        let sandbox = dir.join("sandbox")
        try dir.write("sandbox/site/index.html", "v1")
        try dir.write("sandbox/site/only-v1.html", "v1")
        try dir.write("sandbox/site/sub/a.txt", "v1")
        try dir.write("sandbox/stdout", "log")
        try dir.write("outside/secret.txt", "secret")
        // A symlink where the archive has a folder, and a folder where it has a file.
        try FileManager.default.createSymbolicLink(atPath: dir.join("sandbox/link"), withDestinationPath: "../outside")
        try dir.write("sandbox/swapped/old.txt", "v1")

        var staging = try SandboxStaging(in: sandbox)
        staging.exchanges = exchanges
        let staged = staging.folder
        try Self.write("\(staged)/site/index.html", "v2")
        try Self.write("\(staged)/site/only-v2.html", "v2")
        try Self.write("\(staged)/link/file.txt", "v2")
        try Self.write("\(staged)/swapped", "v2")
        try Self.write("\(staged)/added.txt", "v2")
        #expect(try staging.commit() == ["added.txt", "link", "site", "swapped"])

        #expect(Self.tree(sandbox) == [
            "added.txt": "v2", "link": "d", "link/file.txt": "v2", "site": "d", "site/index.html": "v2",
            "site/only-v2.html": "v2", "stdout": "log", "swapped": "v2",
        ])
        #expect(Self.tree(dir.join("outside")) == ["secret.txt": "secret"], "the old symlink was replaced, not followed")
    }

    @Test("a failure while swapping puts back what was already replaced and removes the staging folder",
          arguments: [true, false])
    func aFailureLeavesThePreviousEntries(exchanges: Bool) throws {
        let dir = try TemporaryDirectory("sitepack-staging")
        defer { dir.remove() }
        let sandbox = dir.join("sandbox")
        try dir.write("sandbox/a/x.txt", "old a")
        try dir.write("sandbox/b", "old b")
        let before = Self.tree(sandbox)

        var staging = try SandboxStaging(in: sandbox)
        staging.exchanges = exchanges
        try Self.write("\(staging.folder)/a/y.txt", "new a")
        try Self.write("\(staging.folder)/b", "new b")
        try Self.write("\(staging.folder)/c/z.txt", "new c")
        staging.willPlace = { name in
            if name == "c" { throw SitepackError(.io, "injected failure before \(name)") }
        }
        do {
            _ = try staging.commit()
            Issue.record("the injected failure was not reported")
        } catch {}
        #expect(Self.tree(sandbox) == before)
    }

    @Test("a staging folder dropped without committing leaves nothing in the sandbox")
    func droppedStagingLeavesNothing() throws {
        let dir = try TemporaryDirectory("sitepack-staging")
        defer { dir.remove() }
        let sandbox = dir.join("sandbox")
        try dir.write("sandbox/site/index.html", "v1")
        do {
            let staging = try SandboxStaging(in: sandbox)
            try Self.write("\(staging.folder)/site/index.html", "v2")
            try FileManager.default.createSymbolicLink(atPath: "\(staging.folder)/site/up", withDestinationPath: "../../..")
            _ = consume staging
        }
        #expect(Self.tree(sandbox) == ["site": "d", "site/index.html": "v1"])
    }
}
