import Foundation
import Glibc
import SitepackTestSupport
import Testing
@testable import SitepackCore

@Suite("AtomicOutput")
struct AtomicOutputTests {
    static func names(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    @Test("nothing appears under its final name before commit; after commit every file does, mode 0644, no temporary left")
    func commitRenamesEverythingTogether() throws {
        let dir = try TemporaryDirectory("sitepack-atomic")
        defer { dir.remove() }
        try dir.write("out/content.tar.gz", "previous")
        let output = try AtomicOutput(directory: dir.join("out"))
        let fd = try output.create("content.tar.gz")
        try Array("new archive".utf8).withUnsafeBytes { try fd.writeAll($0) }
        try fd.close()
        try output.write("manifest.json", contents: Array("{}".utf8))
        #expect(try String(contentsOfFile: dir.join("out/content.tar.gz"), encoding: .utf8) == "previous")
        #expect(Self.names(dir.join("out")).count == 3)
        try output.commit()
        #expect(Self.names(dir.join("out")) == ["content.tar.gz", "manifest.json"])
        #expect(try String(contentsOfFile: dir.join("out/content.tar.gz"), encoding: .utf8) == "new archive")
        let mode = try FileManager.default.attributesOfItem(atPath: dir.join("out/manifest.json"))[.posixPermissions] as? Int
        #expect(mode == 0o644)
    }

    @Test("an abandoned output removes its temporary files and keeps the folder's previous contents")
    func abandonLeavesThePreviousContents() throws {
        let dir = try TemporaryDirectory("sitepack-atomic")
        defer { dir.remove() }
        try dir.write("out/content.tar.gz", "previous")
        do {
            let output = try AtomicOutput(directory: dir.join("out"))
            try output.write("content.tar.gz", contents: Array("half".utf8))
            output.abandon()
        }
        do {
            let output = try AtomicOutput(directory: dir.join("out"))
            try output.write("manifest.json", contents: [])
            // Dropped without commit: deinit abandons.
            _ = output
        }
        #expect(Self.names(dir.join("out")) == ["content.tar.gz"])
        #expect(try String(contentsOfFile: dir.join("out/content.tar.gz"), encoding: .utf8) == "previous")
    }

    @Test("a missing folder is created; a file in its place is refused with output-not-writable")
    func outputFolderChecks() throws {
        let dir = try TemporaryDirectory("sitepack-atomic")
        defer { dir.remove() }
        _ = try AtomicOutput(directory: dir.join("a/b/c"))
        #expect(FileSystem.isDirectory(dir.join("a/b/c")))
        let file = try dir.write("plain", "x")
        let error = try #require(throws: SitepackError.self) { try AtomicOutput(directory: file) }
        #expect(error.code == .outputNotWritable)
        #expect(error.message.contains(file))
    }
}
