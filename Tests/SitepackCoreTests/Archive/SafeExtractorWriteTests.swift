import Foundation
import Glibc
import SitepackTestSupport
import Testing
@testable import SitepackCore

/// Strict extraction's own file writing (``DirectoryWriter``): archives written by Python's tarfile,
/// results checked against GNU tar, the working directory never touched, the disk never written through.
@Suite("SafeExtractor writes entries itself, relative to folder descriptors")
struct SafeExtractorWriteTests {
    /// Writes `members` (Python literals: `(name, kind, data-or-target, mode, mtime)`) as an uncompressed
    /// tar in that order with Python's tarfile; returns its path.
    static func makeTar(in dir: TemporaryDirectory, _ members: [String]) throws -> String {
        let path = dir.join("test.tar")
        let script = """
            import io, sys, tarfile
            members = [\(members.joined(separator: ", "))]
            with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tar:
                for name, kind, payload, mode, mtime in members:
                    ti = tarfile.TarInfo(name); ti.mode = mode; ti.mtime = mtime
                    if kind == "d": ti.type = tarfile.DIRTYPE; tar.addfile(ti)
                    elif kind == "l": ti.type = tarfile.SYMTYPE; ti.linkname = payload; tar.addfile(ti)
                    elif kind == "h": ti.type = tarfile.LNKTYPE; ti.linkname = payload; tar.addfile(ti)
                    else: ti.size = len(payload); tar.addfile(ti, io.BytesIO(payload))
            """
        let result = try Subprocess.run(["python3", "-c", script, path])
        #expect(result.status == 0, "\(result.stderr)")
        return path
    }

    static func extract(_ archive: String, into destination: String, writers: Int = SafeExtractor.defaultWriters,
                        progress: (Int64) -> Void = { _ in }) throws -> ExtractionSummary {
        let fd = try OwnedFileDescriptor(path: archive, flags: O_RDONLY)
        var reader = try ArchiveReader(source: FileByteSource(fd: fd.rawValue, path: "test.tar"), formats: .tarZipCompressed, displayName: "test.tar")
        let summary = try SafeExtractor(mode: .strict).extract(from: &reader, into: destination, writers: writers, progress: progress)
        _ = consume reader
        try fd.close()
        return summary
    }

    /// Type, mode, size, mtime, path and link target of everything below `folder`, one line each.
    static func listing(_ folder: String) throws -> String {
        try Subprocess.run(["sh", "-c", "cd '\(folder)' && find . -mindepth 1 -printf '%y %m %s %T@ %n %P %l\\n' | sort"]).stdout
    }

    @Test("entries in any order — files before their folder's entry, folders left and entered again — extract as GNU tar extracts them, times and modes included (files made on this thread, or on 1 or 2 writer threads)",
          arguments: [0, 1, 2])
    func unsortedArchiveMatchesGNUTar(writers: Int) throws {
        let dir = try TemporaryDirectory("sitepack-extractor-write")
        defer { dir.remove() }
        let archive = try Self.makeTar(in: dir, [
            #"("site", "d", b"", 0o755, 1600000000)"#,
            #"("site/b/x.html", "f", b"<p>x</p>\n", 0o644, 1600000001)"#,
            #"("site/a/1.txt", "f", b"one\n", 0o644, 1600000002)"#,
            #"("site/c/2.sh", "f", b"echo hi\n" * 5000, 0o755, 1600000003)"#,
            #"("site/a/3.txt", "f", b"", 0o600, 1600000004)"#,
            #"("site/b", "d", b"", 0o755, 1600000005)"#,
            #"("site/a", "d", b"", 0o700, 1600000006)"#,
            #"("site/link", "l", "a/1.txt", 0o777, 1600000007)"#,
            #"("site/a/deep/er/f", "f", b"f\n", 0o644, 1600000008)"#,
            #"("site/a/hard", "h", "site/c/2.sh", 0o755, 1600000009)"#,
            #"("site/a/deep", "d", b"", 0o755, 1600000010)"#,
            #"("site/empty", "d", b"", 0o755, 1600000011)"#,
        ])
        let ours = dir.join("ours"), theirs = dir.join("theirs")
        for folder in [ours, theirs] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let summary = try Self.extract(archive, into: ours, writers: writers)
        #expect(summary.files == 5)
        #expect(summary.entries == 12)
        #expect(summary.topLevelNames == ["site"])
        let tar = try Subprocess.run(["tar", "-xf", archive, "-C", theirs, "--no-same-owner"])
        #expect(tar.status == 0, "\(tar.stderr)")
        // The policy writes 0644/0755 whatever the archive says; GNU tar keeps 0600/0700: align those two.
        _ = try Subprocess.run(["chmod", "0644", "\(theirs)/site/a/3.txt"])
        _ = try Subprocess.run(["sh", "-c", "chmod 0755 '\(theirs)/site/a' && touch -h -d @1600000006 '\(theirs)/site/a'"])
        // Folders with no entry of their own get the time they were made, in both trees.
        for folder in [ours, theirs] { _ = try Subprocess.run(["touch", "-d", "@1", "\(folder)/site/c", "\(folder)/site/a/deep/er"]) }
        #expect(try Self.listing(ours) == Self.listing(theirs))
        #expect(try Subprocess.run(["diff", "-r", "--no-dereference", ours, theirs]).status == 0)
    }

    @Test("strict extraction never changes the process's working directory")
    func workingDirectoryStaysPut() throws {
        let dir = try TemporaryDirectory("sitepack-extractor-cwd")
        defer { dir.remove() }
        let archive = try Self.makeTar(in: dir, (0..<50).map { #"("site/p\#($0)/f.html", "f", b"x" * 70000, 0o644, 1600000000)"# })
        try FileManager.default.createDirectory(atPath: dir.join("out"), withIntermediateDirectories: true)
        let before = FileManager.default.currentDirectoryPath
        var seen: Set<String> = []
        _ = try Self.extract(archive, into: dir.join("out")) { _ in seen.insert(FileManager.default.currentDirectoryPath) }
        #expect(seen == [before])
        #expect(FileManager.default.currentDirectoryPath == before)
        #expect(FileManager.default.fileExists(atPath: dir.join("out/site/p49/f.html")))
    }

    @Test("a file below an in-tree symlink to a folder is refused, never written through", arguments: [
        [#"("site/real", "d", b"", 0o755, 1)"#, #"("site/d", "l", "real", 0o777, 1)"#, #"("site/d/x.html", "f", b"x", 0o644, 1)"#],
        [#"("site/real", "d", b"", 0o755, 1)"#, #"("site/d", "l", "real", 0o777, 1)"#, #"("site/d/sub", "d", b"", 0o755, 1)"#],
        [#"("site/a.html", "f", b"a", 0o644, 1)"#, #"("site/d", "l", "a.html", 0o777, 1)"#, #"("site/h", "h", "site/d", 0o644, 1)"#],
    ])
    func throughSymlinkIsRefused(members: [String]) throws {
        let dir = try TemporaryDirectory("sitepack-extractor-symlink")
        defer { dir.remove() }
        let archive = try Self.makeTar(in: dir, members)
        let out = dir.join("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let error = try #require(throws: SitepackError.self) { try Self.extract(archive, into: out) }
        #expect(error.code == .unsafeInput)
        #expect(error.message.contains("breaks rule"), "\(error.message)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty, "nothing was extracted")
    }

    @Test("a name an earlier entry made into a folder is refused as a file, not replaced")
    func implicitFolderIsNotReplaced() throws {
        let dir = try TemporaryDirectory("sitepack-extractor-taken")
        defer { dir.remove() }
        let archive = try Self.makeTar(in: dir, [#"("site/a/x", "f", b"x", 0o644, 1)"#, #"("site/a", "f", b"a", 0o644, 1)"#])
        let out = dir.join("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let error = try #require(throws: SitepackError.self) { try Self.extract(archive, into: out) }
        #expect(error.code == .unsafeInput)
        #expect(error.message.contains("breaks rule disk-check") && error.message.contains("'site/a'"), "\(error.message)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }

    @Test("a file, then an entry below it: refused whether files are made on this thread or on writer threads",
          arguments: [0, 1, 2])
    func fileThenEntryBelowIt(writers: Int) throws {
        let dir = try TemporaryDirectory("sitepack-extractor-below")
        defer { dir.remove() }
        let archive = try Self.makeTar(in: dir, [#"("site/a", "f", b"a", 0o644, 1)"#, #"("site/a/x", "f", b"x", 0o644, 1)"#])
        let out = dir.join("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let error = try #require(throws: SitepackError.self) { try Self.extract(archive, into: out, writers: writers) }
        #expect(error.code == .unsafeInput)
        #expect(error.message.contains("breaks rule disk-check") && error.message.contains("'site/a"), "\(error.message)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }

    @Test("3,000 folders holding only symlinks and small folders extract whole with a writer thread, as GNU tar extracts them (folders are released as they go)")
    func manyFolders() throws {
        let dir = try TemporaryDirectory("sitepack-extractor-folders")
        defer { dir.remove() }
        // One Python list expression (3,000 × link, every other one an empty file in a subfolder, then the folder's entry).
        let generated = #"*[m for i in range(3000) for m in [("site/d%d/link" % i, "l", "../d0", 0o777, 1600000000)]"#
            + #" + ([("site/d%d/sub/empty" % i, "f", b"", 0o644, 1600000001), ("site/d%d/sub" % i, "d", b"", 0o755, 1600000001)] if i % 2 == 0 else [])"#
            + #" + [("site/d%d" % i, "d", b"", 0o755, 1600000002)]]"#
        let archive = try Self.makeTar(in: dir, [generated, #"("site", "d", b"", 0o755, 1600000003)"#])
        let ours = dir.join("ours"), theirs = dir.join("theirs")
        for folder in [ours, theirs] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let before = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        let summary = try Self.extract(archive, into: ours, writers: 1)
        #expect(summary.entries == 9_001)
        let tar = try Subprocess.run(["tar", "-xf", archive, "-C", theirs, "--no-same-owner"])
        #expect(tar.status == 0, "\(tar.stderr)")
        let (mine, gnu) = (try Self.listing(ours), try Self.listing(theirs))
        #expect(mine == gnu, "\(zip(mine.split(separator: "\n"), gnu.split(separator: "\n")).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "lengths differ")")
        // Every folder descriptor is closed again (other tests may open a few meanwhile).
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count < before + 64)
    }

    @Test("folders nested deeper than the writer keeps open are refused, not a descriptor leak")
    func deepNestingIsRefused() throws {
        let dir = try TemporaryDirectory("sitepack-extractor-deep")
        defer { dir.remove() }
        let deep = Array(repeating: "d", count: DirectoryWriter.maxDepth + 1).joined(separator: "/")
        let archive = try Self.makeTar(in: dir, [#"("\#(deep)/f", "f", b"x", 0o644, 1)"#])
        let out = dir.join("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let error = try #require(throws: SitepackError.self) { try Self.extract(archive, into: out) }
        #expect(error.code == .unsafeInput, "\(error.message)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }
}
