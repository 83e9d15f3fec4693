import Testing
@testable import SitepackCore

/// Strict mode's entry rules, pure: headers in, an accepted path or a named rule out.
@Suite struct ExtractionPolicyTests {
    func header(_ path: String, _ kind: ArchiveEntryKind = .file, size: Int64 = 1, mode: UInt32 = 0o644) -> ArchiveEntryHeader {
        ArchiveEntryHeader(path: path, kind: kind, size: size, permissions: mode, isSparse: false, mtime: 0)
    }

    func rule(_ headers: [ArchiveEntryHeader], limits: ExtractionLimits = ExtractionLimits()) -> String? {
        var policy = ExtractionPolicy(limits: limits)
        do {
            for header in headers { _ = try policy.check(header) }
            return nil
        } catch let violation as ExtractionViolation {
            return violation.rule
        } catch {
            return "unexpected"
        }
    }

    @Test func namesAreResolvedNotRewritten() throws {
        #expect(try ExtractionPolicy.normalize("./site//a/./b.html", entry: "x", what: "name") == "site/a/b.html")
        #expect(try ExtractionPolicy.normalize("./", entry: "x", what: "name") == "")
        #expect(rule([header("/etc/passwd")]) == "absolute-path")
        #expect(rule([header("site/../../x")]) == "dot-dot")
        #expect(rule([header("..\\x")]) == "backslash")
        #expect(rule([header("")]) == "empty-name")
        #expect(rule([header(String(repeating: "a/", count: 2100))]) == "name-too-long")
    }

    @Test func symlinksMustStayInside() {
        #expect(rule([header("site/a", .symlink(target: "index.html"))]) == nil)
        #expect(rule([header("site/css/a", .symlink(target: "../index.html"))]) == nil)
        #expect(rule([header("site/a", .symlink(target: "../../etc"))]) == "symlink-escape")
        #expect(rule([header("site/a", .symlink(target: "/etc"))]) == "symlink-escape")
        #expect(rule([header("site/a", .symlink(target: "x/../../y"))]) == "symlink-escape")
        #expect(rule([header("top", .symlink(target: ".."))]) == "symlink-escape")
        #expect(rule([header("site/a", .symlink(target: ""))]) == "symlink-escape")
    }

    @Test func hardlinksOnlyToEarlierFiles() {
        #expect(rule([header("site/a"), header("site/b", .hardlink(target: "site/a"), size: 0)]) == nil)
        #expect(rule([header("site/b", .hardlink(target: "site/a"), size: 0)]) == "hardlink-outside")
        #expect(rule([header("site/b", .hardlink(target: "/etc/passwd"), size: 0)]) == "hardlink-outside")
        #expect(rule([header("site/b", .hardlink(target: "../x"), size: 0)]) == "hardlink-outside")
        #expect(rule([header("site", .directory), header("site/b", .hardlink(target: "site"), size: 0)]) == "hardlink-outside")
    }

    @Test func specialFilesDuplicatesAndSparseAreRefused() {
        for kind in [ArchiveEntryKind.characterDevice, .blockDevice, .fifo, .socket] {
            #expect(rule([header("site/x", kind, size: 0)]) == "special-file")
        }
        #expect(rule([header("site/a"), header("./site/a")]) == "duplicate-path")
        #expect(rule([header("site/a", .symlink(target: "b")), header("site/a")]) == "duplicate-path")
        var sparse = header("site/a")
        sparse.isSparse = true
        #expect(rule([sparse]) == "sparse")
    }

    @Test func limitsAreInclusive() {
        var limits = ExtractionLimits()
        limits.maxEntries = 3
        limits.maxFileBytes = 10
        #expect(rule([header("a"), header("b"), header("c")], limits: limits) == nil)
        #expect(rule([header("a"), header("b"), header("c"), header("d")], limits: limits) == "too-many-entries")
        #expect(rule([header("a", size: 10)], limits: limits) == nil)
        #expect(rule([header("a", size: 11)], limits: limits) == "file-too-large")
        #expect(ExtractionLimits().maxEntries == 1_000_000)
        #expect(ExtractionLimits().maxBytes == 100_000_000_000)
    }

    @Test("a path deeper than the depth limit is refused; exactly the limit passes")
    func depthLimit() {
        var limits = ExtractionLimits()
        limits.maxDepth = 3
        #expect(rule([header("site/a/b.html")], limits: limits) == nil)
        #expect(rule([header("./site/a/b.html")], limits: limits) == nil)
        #expect(rule([header("site/a/b/c.html")], limits: limits) == "too-deep")
        let deep = (0..<300).map { _ in "d" }.joined(separator: "/")
        #expect(rule([header(deep)]) == "too-deep")
        #expect(rule([header(String(repeating: "a", count: 4097))]) == "name-too-long")
    }

    @Test("limits bounding an extent admit exactly it: one more entry, byte, file byte or level is refused")
    func boundedLimits() {
        let extent = ExtractionExtent(entries: 3, bytes: 30, largestFile: 20, depth: 2)
        let limits = ExtractionLimits(bounding: extent)
        #expect(limits.excesses(of: extent).isEmpty)
        #expect(limits.maxRatio == ExtractionLimits().maxRatio)
        #expect(rule([header("site", .directory), header("site/a", size: 20), header("site/b", size: 10)], limits: limits) == nil)
        #expect(rule([header("site", .directory), header("site/a"), header("site/b"), header("site/c")], limits: limits) == "too-many-entries")
        #expect(rule([header("site/a", size: 21)], limits: limits) == "file-too-large")
        #expect(rule([header("site/a/b")], limits: limits) == "too-deep")
        #expect(throws: SitepackError.self) {
            try limits.enforce(fileBytes: 10, totalBytes: 31, consumed: 31, entry: "site/b", archive: "a.tar.gz")
        }
        var bigger = extent
        bigger.entries = 4
        bigger.bytes = 31
        bigger.largestFile = 21
        bigger.depth = 3
        #expect(limits.excesses(of: bigger).count == 4)
    }

    @Test("the defaults accept a large site and name what passes them: entries, bytes, file size, depth, ratio")
    func excessesOfTheDefaults() {
        let site = ExtractionExtent(entries: 100_200, bytes: 85_000_000, largestFile: 1_000_000, depth: 3, compressedBytes: 20_000_000)
        #expect(ExtractionLimits().excesses(of: site).isEmpty)
        let huge = ExtractionExtent(entries: 1_000_001, bytes: 100_000_000_001, largestFile: 10_000_000_001, depth: 257, compressedBytes: 100_000_000)
        let found = ExtractionLimits().excesses(of: huge)
        #expect(found.count == 5)
        #expect(found.first?.contains("--max-files") == true)
        #expect(found.last?.contains("--max-ratio") == true)
        // Under the ratio floor a very compressible archive passes.
        let small = ExtractionExtent(entries: 2, bytes: 60 << 20, largestFile: 60 << 20, depth: 2, compressedBytes: 60_000)
        #expect(ExtractionLimits().excesses(of: small).isEmpty)
    }

    @Test func modesAreNormalizedAndSpecialBitsDropped() throws {
        var policy = ExtractionPolicy()
        let tool = try policy.check(header("site/tool", mode: 0o4755))
        #expect(tool.permissions == 0o755)
        #expect(tool.droppedSpecialBits)
        let page = try policy.check(header("site/index.html", mode: 0o600))
        #expect(page.permissions == 0o644)
        #expect(!page.droppedSpecialBits)
    }

    @Test func aViolationIsAnUnsafeInputErrorNamingArchiveEntryAndRule() {
        let error = ExtractionViolation(rule: "dot-dot", entry: "../x", reason: "it climbs").error(archive: "a.tar.gz")
        #expect(error.code == .unsafeInput)
        #expect(error.code.exitStatus == 3)
        #expect(error.message.hasPrefix("refused a.tar.gz: entry '../x' breaks rule dot-dot: it climbs; nothing was extracted."))
    }
}
