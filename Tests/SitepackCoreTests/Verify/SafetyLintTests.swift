import Testing
@testable import SitepackCore

/// The lint, header by header, then over the layout.
@Suite("SafetyLint")
struct SafetyLintTests {
    static func header(_ path: String, _ kind: ArchiveEntryKind = .file, permissions: UInt32 = 0o644) -> ArchiveEntryHeader {
        ArchiveEntryHeader(path: path, kind: kind, size: 1, permissions: permissions, isSparse: false, mtime: 0)
    }

    /// Runs the lint over `headers`, then the layout rules with `paths` as the recorded paths.
    static func findings(_ headers: [ArchiveEntryHeader], paths: Set<String>? = nil,
                         limits: ExtractionLimits = ExtractionLimits()) throws -> [VerifyFinding] {
        var lint = SafetyLint(limits: limits)
        var findings: [VerifyFinding] = []
        var seen: Set<String> = []
        for header in headers { seen.insert(try lint.check(header, into: &findings)) }
        lint.checkLayout(paths: paths ?? seen, into: &findings)
        return findings
    }

    @Test("a clean site under one folder with an index.html has no finding")
    func cleanSite() throws {
        let found = try Self.findings([Self.header("site/", .directory), Self.header("site/index.html"), Self.header("site/a.css")])
        #expect(found.isEmpty)
    }

    @Test("what strict fetch refuses is an unsafe error with the policy's rule and its fix")
    func policyViolations() throws {
        let found = try Self.findings([Self.header("site/index.html"), Self.header("../x"), Self.header("site/out", .symlink(target: "/etc"))])
        #expect(found.map(\.rule) == ["dot-dot", "symlink-escape"])
        #expect(found.allSatisfy { $0.severity == .error && $0.kind == .unsafe && $0.message.hasPrefix("strict fetch refuses it: ") })
        #expect(found[1].fix == SafetyLint.fix(for: "symlink-escape"))
        #expect(SafetyLint.fix(for: "no-such-rule") == "rebuild the archive with sitepack build")
    }

    @Test("Mesos's traps: non-ASCII names (MESOS-9393), a '.' entry, setuid bits")
    func mesosTraps() throws {
        let found = try Self.findings([Self.header("./", .directory), Self.header("site/index.html"),
                                       Self.header("site/café.html"), Self.header("site/tool", permissions: 0o4755)])
        #expect(found.map(\.rule) == ["dot-entry", "non-ascii-name", "special-bits"])
        #expect(found.map(\.severity) == [.warning, .error, .warning])
        #expect(found[1].kind == .unsafe && found[1].entry == "site/café.html")
    }

    @Test("layout: entries outside one top folder, and no index.html in it")
    func layout() throws {
        let spread = try Self.findings([Self.header("index.html"), Self.header("site/a.html")])
        #expect(spread.map(\.rule) == ["outside-top-folder"])
        #expect(spread.first?.entry == "index.html")
        let noIndex = try Self.findings([Self.header("site/", .directory), Self.header("site/a.html")])
        #expect(noIndex.map(\.rule) == ["no-index"])
        #expect(noIndex.first?.message.contains("site/index.html") == true)
        #expect(try Self.findings([]).isEmpty)
    }

    @Test("one entry over strict fetch's entry limit is reported once, and every entry is still checked")
    func tooManyEntries() throws {
        var limits = ExtractionLimits()
        limits.maxEntries = 4096
        let headers = (0...limits.maxEntries).map { Self.header("site/\($0).html") }
        let found = try Self.findings(headers + [Self.header("../late")], paths: ["site/index.html"], limits: limits)
        #expect(found.map(\.rule) == ["too-many-entries", "dot-dot"])
        #expect(found.first?.entry == "site/4096.html" && found.first?.message.contains("4096") == true)
        let exactly = try Self.findings(Array(headers.dropLast()), paths: ["site/index.html"], limits: limits)
        #expect(exactly.isEmpty)
    }

    @Test("the default limits let a site of many files through; a path too deep is unsafe with its fix")
    func defaultsFitSites() throws {
        let headers = (0..<5000).map { Self.header("site/\($0).html") }
        #expect(try Self.findings(headers, paths: ["site/index.html"]).isEmpty)
        let deep = "site/" + (0..<256).map { _ in "d" }.joined(separator: "/")
        let found = try Self.findings([Self.header(deep)], paths: ["site/index.html"])
        #expect(found.map(\.rule) == ["too-deep"])
        #expect(found.first?.fix.contains("flatten") == true)
    }
}
