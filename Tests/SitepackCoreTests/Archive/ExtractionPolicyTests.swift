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
        #expect(ExtractionLimits().maxEntries == 4096)
        #expect(ExtractionLimits().maxBytes == 100_000_000_000)
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
