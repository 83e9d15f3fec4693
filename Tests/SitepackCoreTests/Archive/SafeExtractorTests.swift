import Foundation
import Glibc
import SitepackTestSupport
import Testing
@testable import SitepackCore

/// What strict and Mesos-compatible extraction leave in a destination folder. Serialized: strict
/// extraction used to change the process's working directory, and these tests keep one extraction at a time.
@Suite("SafeExtractor keeps the destination safe", .serialized)
struct SafeExtractorTests {
    static func extract(_ archive: String, into destination: String, mode: ExtractionMode = .strict,
                        limits: ExtractionLimits = ExtractionLimits()) throws -> ExtractionSummary {
        let fd = try OwnedFileDescriptor(path: archive, flags: O_RDONLY)
        var reader = try ArchiveReader(source: FileByteSource(fd: fd.rawValue, path: archive),
                                       formats: mode == .strict ? .tarZipCompressed : .everything, displayName: "test.tar.gz")
        let summary = try SafeExtractor(mode: mode).extract(from: &reader, into: destination, limits: limits)
        _ = consume reader
        try fd.close()
        return summary
    }

    /// Everything below `folder`, as `find` lists it.
    static func listing(_ folder: String) throws -> [String] {
        try Subprocess.run(["sh", "-c", "cd '\(folder)' && find . -mindepth 1 -printf '%y %m %P\\n' | sort"]).stdout
            .split(separator: "\n").map(String.init)
    }

    @Test("a benign archive lands with normalised modes, and the summary counts it")
    func benignArchive() throws {
        let dir = try TemporaryDirectory("sitepack-extractor")
        defer { dir.remove() }
        let archive = dir.join("a.tar.gz")
        try PythonTar.write(archive, PythonTar.benignSite + [#"("site/setuid", "f", b"x", 0o4700)"#])
        let sandbox = dir.join("sandbox")
        try FileManager.default.createDirectory(atPath: sandbox, withIntermediateDirectories: false)
        let summary = try Self.extract(archive, into: sandbox)
        #expect(summary.files == 4)
        #expect(summary.topLevelNames == ["site"])
        #expect(summary.defusedSpecialBits == ["site/setuid"])
        #expect(try Self.listing(sandbox) == [
            "d 755 site", "d 755 site/css", "f 644 site/css/style.css", "f 644 site/index.html",
            "f 755 site/run.sh", "f 755 site/setuid", "l 777 site/home.html",
        ].sorted())
    }

    @Test("a refused archive leaves the destination exactly as it was, staging folder included", arguments: [
        [#"("site/index.html", "f", b"ok", 0o644)"#, #"("../escape.txt", "f", b"x", 0o644)"#],
        [#"("site/index.html", "f", b"ok", 0o644)"#, #"("site/null", "c", "", 0o644)"#],
        [#"("site/out", "l", "/etc", 0o777)"#],
    ])
    func refusalLeavesNothing(members: [String]) throws {
        let dir = try TemporaryDirectory("sitepack-extractor")
        defer { dir.remove() }
        let archive = dir.join("hostile.tar.gz")
        try PythonTar.write(archive, members)
        let sandbox = dir.join("sandbox")
        try FileManager.default.createDirectory(atPath: sandbox, withIntermediateDirectories: false)
        try dir.write("sandbox/stdout", "kept\n")
        let error = try #require(throws: SitepackError.self) { try Self.extract(archive, into: sandbox) }
        #expect(error.code == .unsafeInput)
        #expect(error.message.contains("nothing was extracted"))
        #expect(try Self.listing(sandbox) == ["f 644 stdout"])
        #expect(!FileManager.default.fileExists(atPath: dir.join("escape.txt")))
    }

    @Test("strict mode refuses to replace a name already in the destination; Mesos mode overwrites it")
    func existingNames() throws {
        let dir = try TemporaryDirectory("sitepack-extractor")
        defer { dir.remove() }
        let archive = dir.join("a.tar.gz")
        try PythonTar.write(archive, [#"("index.html", "f", b"new", 0o644)"#])
        let sandbox = dir.join("sandbox")
        try dir.write("sandbox/index.html", "old")
        let error = try #require(throws: SitepackError.self) { try Self.extract(archive, into: sandbox) }
        #expect(error.code == .extractionConflict)
        #expect(try String(contentsOfFile: dir.join("sandbox/index.html"), encoding: .utf8) == "old")
        _ = try Self.extract(archive, into: sandbox, mode: .mesosCompat)
        #expect(try String(contentsOfFile: dir.join("sandbox/index.html"), encoding: .utf8) == "new")
    }

    @Test("the byte limits count what is written: per file and in total")
    func byteLimits() throws {
        let dir = try TemporaryDirectory("sitepack-extractor")
        defer { dir.remove() }
        let archive = dir.join("a.tar.gz")
        try PythonTar.write(archive, [#"("site/a", "f", b"x" * 600, 0o644)"#, #"("site/b", "f", b"y" * 600, 0o644)"#])
        for (file, total, rule) in [(Int64(500), Int64(10_000), "file-too-large"), (Int64(1000), Int64(1000), "too-many-bytes")] {
            var limits = ExtractionLimits()
            limits.maxFileBytes = file
            limits.maxBytes = total
            let sandbox = dir.join("sandbox-\(rule)")
            try FileManager.default.createDirectory(atPath: sandbox, withIntermediateDirectories: false)
            let error = try #require(throws: SitepackError.self) { try Self.extract(archive, into: sandbox, limits: limits) }
            #expect(error.message.contains("rule \(rule)"), "\(error.message)")
            #expect(try Self.listing(sandbox).isEmpty)
        }
    }
}
