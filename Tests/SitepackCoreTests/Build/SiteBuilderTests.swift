import Foundation
import Testing
import SitepackTestSupport
@testable import SitepackCore

@Suite("SiteBuilder")
struct SiteBuilderTests {
    /// A small site written in the given order, with the given file modes and mtimes.
    private func makeSite(in dir: TemporaryDirectory, reversed: Bool = false, mtime: Date, executableMode: Int = 0o755, textMode: Int = 0o644) throws -> String {
        var files: [(String, String, Int)] = [
            ("site-src/index.html", "<h1>hi</h1>\n", textMode),
            ("site-src/css/style.css", "body{}\n", textMode),
            ("site-src/sub/page.html", "<p>page</p>\n", textMode),
            ("site-src/bin/tool.sh", "#!/bin/sh\necho\n", executableMode),
            ("site-src/a file with spaces.txt", "x", textMode),
        ]
        if reversed { files.reverse() }
        for (path, text, mode) in files { try dir.write(path, text, mode: mode) }
        try FileManager.default.createDirectory(atPath: dir.join("site-src/empty"), withIntermediateDirectories: true)
        let enumerator = FileManager.default.enumerator(atPath: dir.join("site-src"))
        while let item = enumerator?.nextObject() as? String {
            try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: dir.join("site-src/" + item))
        }
        return dir.join("site-src")
    }

    private func build(_ site: String, to output: String, threads: Int = 2, epoch: Int64? = 1_700_000_000) throws -> BuildResult {
        var options = BuildOptions(siteDirectory: site)
        options.outputDirectory = output
        options.name = "demo"
        options.sourceDateEpoch = epoch
        options.threads = threads
        options.environment = [:]
        return try SiteBuilder(options: options).build()
    }

    @Test func sameContentGivesSameBytesWhateverMtimesModesOrderAndThreads() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = try TemporaryDirectory()
        defer { first.remove() }
        let second = try TemporaryDirectory()
        defer { second.remove() }
        let siteA = try makeSite(in: first, mtime: Date(timeIntervalSince1970: 1_000_000))
        let siteB = try makeSite(in: second, reversed: true, mtime: Date(timeIntervalSince1970: 2_000_000), executableMode: 0o700, textMode: 0o600)
        let a = try build(siteA, to: dir.join("a"), threads: 1)
        let b = try build(siteB, to: dir.join("b"), threads: 4)
        #expect(a.manifest.archive.sha256 == b.manifest.archive.sha256)
        #expect(a.manifest.tar.sha256 == b.manifest.tar.sha256)
        let bytesA = try Data(contentsOf: URL(fileURLWithPath: a.archivePath))
        let bytesB = try Data(contentsOf: URL(fileURLWithPath: b.archivePath))
        #expect(bytesA == bytesB)
        // gzip header: no name flag, zero MTIME, OS=Unix.
        #expect(Array(bytesA.prefix(10)) == [0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0x03])
    }

    @Test func largeInputIsIdenticalOnOneOrManyThreads() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var generator = SystemRandomNumberGenerator()
        for i in 0..<6 {
            // Several blocks' worth of half-compressible data.
            var bytes = [UInt8](repeating: 0, count: 900_000)
            for j in stride(from: 0, to: bytes.count, by: 2) { bytes[j] = UInt8.random(in: 0...255, using: &generator) }
            try FileManager.default.createDirectory(atPath: dir.join("big"), withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: dir.join("big/blob\(i).bin")))
        }
        let one = try build(dir.join("big"), to: dir.join("one"), threads: 1)
        let many = try build(dir.join("big"), to: dir.join("many"), threads: 3)
        #expect(one.manifest.archive.sha256 == many.manifest.archive.sha256)
        #expect(one.manifest.archive.size > 3 * BlockedGzip.headerLength)
    }

    @Test func manifestDescribesEveryEntry() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let site = try makeSite(in: dir, mtime: Date())
        let result = try build(site, to: dir.join("out"))
        let m = try result.loadManifest()
        #expect(m.name == "demo")
        #expect(m.fileCount == 5)
        #expect(m.mtime == .init(epoch: 1_700_000_000, source: .sourceDateEpoch))
        let paths = m.files.map(\.path)
        #expect(paths == paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(paths.first == "site")
        #expect(paths.contains("site/empty"))
        let tool = try #require(m.files.first { $0.path == "site/bin/tool.sh" })
        #expect(tool.mode == "0755")
        let index = try #require(m.files.first { $0.path == "site/index.html" })
        #expect(index.mode == "0644")
        #expect(index.size == 12)
        let peer = try Subprocess.run(["sha256sum", dir.join("site-src/index.html")])
        #expect(index.sha256 == String(peer.stdout.prefix(64)))
        // The streamed manifest is byte for byte what JSONEncoder writes for it; the result keeps it without its file list.
        #expect(try Data(contentsOf: URL(fileURLWithPath: result.manifestPath)) == Data(try m.encoded()))
        var withoutFiles = m
        withoutFiles.files = []
        #expect(result.manifest == withoutFiles)
        let sidecar = try String(contentsOfFile: result.archivePath + ".sha256", encoding: .utf8)
        #expect(sidecar == "\(m.archive.sha256)  content.tar.gz\n")
    }

    @Test func excludesDefaultsIgnoreFileAndFlags() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("s/index.html", "x")
        try dir.write("s/.git/config", "x")
        try dir.write("s/.DS_Store", "x")
        try dir.write("s/index.html.swp", "x")
        try dir.write("s/drafts/a.html", "x")
        try dir.write("s/keep.psd", "x")
        try dir.write("s/art/big.psd", "x")
        try dir.write("s/notes.md", "x")
        try dir.write("s/.sitepackignore", "drafts/\n*.psd\n!keep.psd\n")
        var options = BuildOptions(siteDirectory: dir.join("s"))
        options.outputDirectory = dir.join("s/dist")  // inside the site: must be left out
        options.excludes = ["*.md"]
        options.sourceDateEpoch = 1
        _ = try SiteBuilder(options: options).build()
        // A second build must not pack the first build's output.
        let result = try SiteBuilder(options: options).build()
        let paths = Set((try result.loadManifest()).files.map(\.path))
        #expect(paths == ["site", "site/index.html", "site/keep.psd", "site/art"])
        let excluded = Dictionary(uniqueKeysWithValues: result.manifest.excluded.map { ($0.path, $0.reason) })
        #expect(excluded["dist"] == "output-folder")
        #expect(excluded[".git"]?.hasPrefix("default") == true)
        #expect(excluded["drafts"] == ".sitepackignore: drafts/")
        #expect(excluded["art/big.psd"] == ".sitepackignore: *.psd")
        #expect(excluded["notes.md"] == "--exclude: *.md")
        #expect(excluded[".sitepackignore"] != nil)
    }

    @Test func symlinksInsideAreKeptOutsideAreRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("s/index.html", "x")
        try dir.write("outside.txt", "secret")
        try FileManager.default.createSymbolicLink(atPath: dir.join("s/home.html"), withDestinationPath: "index.html")
        let inside = try build(dir.join("s"), to: dir.join("o1"))
        let link = try #require((try inside.loadManifest()).files.first { $0.path == "site/home.html" })
        #expect(link.type == .symlink)
        #expect(link.target == "index.html")

        try FileManager.default.createSymbolicLink(atPath: dir.join("s/leak.txt"), withDestinationPath: "../outside.txt")
        let error = try #require(throws: SitepackError.self) { try build(dir.join("s"), to: dir.join("o2")) }
        #expect(error.code == .symlinkEscape)
        #expect(error.message.contains("leak.txt"))

        var follow = BuildOptions(siteDirectory: dir.join("s"))
        follow.outputDirectory = dir.join("o3")
        follow.followSymlinks = true
        follow.sourceDateEpoch = 1
        let followed = try SiteBuilder(options: follow).build()
        let leak = try #require((try followed.loadManifest()).files.first { $0.path == "site/leak.txt" })
        #expect(leak.type == .file)
        #expect(leak.size == 6)

        try FileManager.default.removeItem(atPath: dir.join("s/leak.txt"))
        try FileManager.default.createSymbolicLink(atPath: dir.join("s/abs"), withDestinationPath: dir.join("s/index.html"))
        let absolute = try #require(throws: SitepackError.self) { try build(dir.join("s"), to: dir.join("o4")) }
        #expect(absolute.message.contains("absolute"))
    }

    @Test func hardLinksBecomeSeparateFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("s/a.html", "same")
        try FileManager.default.linkItem(atPath: dir.join("s/a.html"), toPath: dir.join("s/b.html"))
        let result = try build(dir.join("s"), to: dir.join("o"))
        let files = (try result.loadManifest()).files.filter { $0.type == .file }
        #expect(files.map(\.path) == ["site/a.html", "site/b.html"])
        #expect(files.allSatisfy { $0.size == 4 })
    }

    @Test func refusesSpecialFilesAndNonASCIINames() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("s/index.html", "x")
        #expect(mkfifo(dir.join("s/pipe"), 0o644) == 0)
        let fifo = try #require(throws: SitepackError.self) { try build(dir.join("s"), to: dir.join("o")) }
        #expect(fifo.message.contains("pipe") && fifo.message.contains("FIFO"))
        try FileManager.default.removeItem(atPath: dir.join("s/pipe"))

        try dir.write("s/caf\u{0065}\u{0301}.html", "x")  // decomposed é
        let unicode = try #require(throws: SitepackError.self) { try build(dir.join("s"), to: dir.join("o")) }
        #expect(unicode.message.contains("MESOS-9393"))
        var allow = BuildOptions(siteDirectory: dir.join("s"))
        allow.outputDirectory = dir.join("o")
        allow.allowUnicode = true
        allow.sourceDateEpoch = 1
        let result = try SiteBuilder(options: allow).build()
        #expect((try result.loadManifest()).files.contains { $0.path == "site/caf\u{00e9}.html" })  // NFC
    }

    @Test func missingOrEmptySiteIsAClearError() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let missing = try #require(throws: SitepackError.self) { try build(dir.join("nope"), to: dir.join("o")) }
        #expect(missing.code == .siteMissing)
        #expect(missing.message.contains("nope"))
        try FileManager.default.createDirectory(atPath: dir.join("empty"), withIntermediateDirectories: true)
        let empty = try #require(throws: SitepackError.self) { try build(dir.join("empty"), to: dir.join("o")) }
        #expect(empty.code == .siteMissing)
        #expect(!FileManager.default.fileExists(atPath: dir.join("o/content.tar.gz")))
    }

    @Test func failedBuildLeavesPreviousOutputIntactAndNoTemporaryFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("s/index.html", "v1")
        let good = try build(dir.join("s"), to: dir.join("dist"))
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.join("dist")).sorted()
        let archiveBefore = try Data(contentsOf: URL(fileURLWithPath: good.archivePath))
        try dir.write("s/index.html", "v2")
        #expect(mkfifo(dir.join("s/zz-fifo"), 0o644) == 0)
        #expect(throws: SitepackError.self) { try build(dir.join("s"), to: dir.join("dist")) }
        let after = try FileManager.default.contentsOfDirectory(atPath: dir.join("dist")).sorted()
        #expect(after == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: good.archivePath)) == archiveBefore)
    }

    @Test func mtimePolicyPrefersEpochThenGitThenNewestFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("s/index.html", "x")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_234_567)], ofItemAtPath: dir.join("s/index.html"))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000)], ofItemAtPath: dir.join("s"))
        var options = BuildOptions(siteDirectory: dir.join("s"))
        options.outputDirectory = dir.join("o")
        options.environment = [:]
        #expect(try SiteBuilder(options: options).build().manifest.mtime == .init(epoch: 1_234_567, source: .newestFile))
        options.environment = ["SOURCE_DATE_EPOCH": "42"]
        #expect(try SiteBuilder(options: options).build().manifest.mtime == .init(epoch: 42, source: .sourceDateEpoch))
        options.sourceDateEpoch = 7
        #expect(try SiteBuilder(options: options).build().manifest.mtime == .init(epoch: 7, source: .sourceDateEpoch))
        options.environment = ["SOURCE_DATE_EPOCH": "yesterday"]
        options.sourceDateEpoch = nil
        #expect(throws: SitepackError.self) { try SiteBuilder(options: options).build() }

        let git = { (args: [String]) throws in
            _ = try Subprocess.run(["git", "-C", dir.join("s")] + args, environment: [
                "GIT_AUTHOR_DATE": "@1600000000 +0000", "GIT_COMMITTER_DATE": "@1600000000 +0000",
                "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"])
        }
        try git(["init", "-q"])
        try git(["add", "-A"])
        try git(["commit", "-qm", "x"])
        options.environment = [:]
        #expect(try SiteBuilder(options: options).build().manifest.mtime == .init(epoch: 1_600_000_000, source: .git))
    }

    @Test func siteNamesFollowTheServersURLRule() throws {
        for good in ["docs", "my-site_2.0"] { #expect(try SiteBuilder.validatedName(good) == good) }
        for bad in ["", ".", "..", ".hidden", "a/b", "caf\u{e9}", String(repeating: "x", count: 201)] {
            #expect(throws: SitepackError.self) { try SiteBuilder.validatedName(bad) }
            #expect(!SiteName.isValid(bad))
        }
    }
}

@Suite("symlink targets")
struct SymlinkTargetTests {
    @Test("plain targets stay as written; others become the shortest path to what they resolve to")
    func normalised() {
        let folder = "/r/site/a"
        #expect(SiteScanner.normalisedTarget("x.html", linkFolder: folder, resolved: "/r/site/a/x.html") == "x.html")
        #expect(SiteScanner.normalisedTarget("../b/y", linkFolder: folder, resolved: "/r/site/b/y") == "../b/y")
        #expect(SiteScanner.normalisedTarget("sub/../x.html", linkFolder: folder, resolved: "/r/site/a/x.html") == "x.html")
        #expect(SiteScanner.normalisedTarget("./x.html", linkFolder: folder, resolved: "/r/site/a/x.html") == "x.html")
        #expect(SiteScanner.normalisedTarget("sub//y", linkFolder: folder, resolved: "/r/site/a/sub/y") == "sub/y")
        #expect(SiteScanner.normalisedTarget("sub/", linkFolder: folder, resolved: "/r/site/a/sub") == "sub")
        #expect(SiteScanner.normalisedTarget("c/../../b", linkFolder: folder, resolved: "/r/site/b") == "../b")
    }
}

/// A generated site of a few thousand files: what the read-ahead threads and the streamed manifest
/// must not change.
@Suite("SiteBuilder on many files")
struct ManyFilesBuildTests {
    @Test("3,000 files in 30 folders: the same bytes on 1 and 3 threads, and a manifest JSONEncoder would write")
    func manyFilesAreReproducible() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let generator = Subprocess.packageRoot + "/benchmarks/gen-site.py"
        let generated = try Subprocess.run(["python3", generator, dir.join("site"), "3000", "3M", "--per-folder", "100"])
        #expect(generated.status == 0, "\(generated.stderr)")
        // One file over the read-ahead's whole-file limit goes through the streaming path.
        try Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: dir.join("site/d005/big.bin")))
        var results: [BuildResult] = []
        for (threads, output) in [(1, "one"), (3, "three")] {
            var options = BuildOptions(siteDirectory: dir.join("site"))
            options.outputDirectory = dir.join(output)
            options.sourceDateEpoch = 1_700_000_000
            options.threads = threads
            options.environment = [:]
            results.append(try SiteBuilder(options: options).build())
        }
        let archives = try results.map { try Data(contentsOf: URL(fileURLWithPath: $0.archivePath)) }
        #expect(archives[0] == archives[1])
        let manifests = try results.map { try Data(contentsOf: URL(fileURLWithPath: $0.manifestPath)) }
        #expect(manifests[0] == manifests[1])
        let manifest = try results[0].loadManifest()
        #expect(manifests[0] == Data(try manifest.encoded()))
        #expect(manifest.fileCount == 3002 && manifest.files.count == 3002 + 31)
        let listing = try Subprocess.run(["tar", "-tzf", results[0].archivePath])
        #expect(listing.stdout.split(separator: "\n").count == 3033)
        let peer = try Subprocess.run(["sha256sum", dir.join("site/d029/p0099.html"), dir.join("site/d005/big.bin")])
        let sums = peer.stdout.split(separator: "\n").map { String($0.prefix(64)) }
        #expect(manifest.files.first { $0.path == "site/d029/p0099.html" }?.sha256 == sums[0])
        #expect(manifest.files.first { $0.path == "site/d005/big.bin" }?.sha256 == sums[1])
    }

    /// Scans `site` on `threads` threads with the default ignore rules.
    private func scan(_ site: String, threads: Int) throws -> SiteScan {
        let rules = try IgnoreRules.forSite(site, excludes: ["*.tmp"])
        return try SiteScanner(root: site, prefix: "site", rules: rules, outputDirectory: nil, followSymlinks: false,
                               allowUnicode: false, threads: threads).scan()
    }

    @Test("the scan finds the same entries, exclusions and newest mtime on 1 and 4 threads, and names the same failure: the first of a depth-first walk")
    func parallelScanIsTheSequentialOne() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let site = dir.join("site")
        let generated = try Subprocess.run(["python3", Subprocess.packageRoot + "/benchmarks/gen-site.py", site, "600", "600K", "--per-folder", "20"])
        #expect(generated.status == 0, "\(generated.stderr)")
        for folder in ["d003", "d011", "d017"] {
            _ = try dir.write("site/\(folder)/deep/er/x.html", "x")
            _ = try dir.write("site/\(folder)/deep/skip.tmp", "excluded")
            _ = try dir.write("site/\(folder)/.git/HEAD", "excluded")
        }
        let one = try scan(site, threads: 1)
        for _ in 0..<3 {
            let four = try scan(site, threads: 4)
            #expect(Array(four.entries) == Array(one.entries))
            #expect(four.excluded == one.excluded)
            #expect(four.newestMtime == one.newestMtime)
        }
        #expect(one.entries.count == 1 + 1 + 30 + 600 + 3 * 3)  // the top folder, index.html, folders, pages, deep/er/x.html
        #expect(one.excluded.count == 6)

        // Special files in several folders: every thread count reports the one met first.
        for fifo in ["d002/zz.pipe", "d011/deep/er/p", "d003/deep/q", "d029/p", "a.pipe"] {
            #expect(mkfifo(dir.join("site/" + fifo), 0o644) == 0)
        }
        let expected = try #require(throws: SitepackError.self) { try scan(site, threads: 1) }
        #expect(expected.message.contains("FIFO"))
        for _ in 0..<5 {
            let parallel = try #require(throws: SitepackError.self) { try scan(site, threads: 4) }
            #expect(parallel.message == expected.message)
        }
    }

    @Test("a file that disappears after the scan fails the read with its path, on reader threads and inline")
    func vanishedFileIsNamed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for number in 0..<50 { _ = try dir.write("site/f\(number / 10)/p\(number).html", "page \(number)") }
        let found = try scan(dir.join("site"), threads: 2)
        try FileManager.default.removeItem(atPath: dir.join("site/f3/p31.html"))
        for threads in [1, 2] {
            let readAhead = FileReadAhead(entries: found.entries, threads: threads)
            defer { readAhead.cancel() }
            let error = try #require(throws: SitepackError.self) {
                for number in 0..<50 { _ = try readAhead.take(number).map { $0.bytes.deallocate() } }
            }
            #expect(error.message.contains("site/f3/p31.html") && error.message.contains("No such file"), "\(error.message)")
        }
    }
}
