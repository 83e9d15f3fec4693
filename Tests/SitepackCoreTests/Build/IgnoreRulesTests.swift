import Testing
@testable import SitepackCore

@Suite("IgnoreRules")
struct IgnoreRulesTests {
    private func rules(_ lines: [String]) -> IgnoreRules {
        var rules = IgnoreRules()
        try! rules.add(lines: lines, origin: "test")
        return rules
    }

    @Test func unanchoredNameMatchesAtAnyDepth() {
        let r = rules(["*.log", "node_modules"])
        #expect(r.exclusion(for: "a.log", isDirectory: false) != nil)
        #expect(r.exclusion(for: "deep/down/b.log", isDirectory: false) != nil)
        #expect(r.exclusion(for: "x/node_modules", isDirectory: true) != nil)
        #expect(r.exclusion(for: "a.log.txt", isDirectory: false) == nil)
    }

    @Test func anchoredPatternMatchesFromRootOnly() {
        let r = rules(["/build", "docs/*.md"])
        #expect(r.exclusion(for: "build", isDirectory: true) != nil)
        #expect(r.exclusion(for: "src/build", isDirectory: true) == nil)
        #expect(r.exclusion(for: "docs/a.md", isDirectory: false) != nil)
        #expect(r.exclusion(for: "docs/sub/a.md", isDirectory: false) == nil)
    }

    @Test func doubleStarCrossesFolders() {
        let r = rules(["**/cache", "assets/**/*.psd", "tmp/**"])
        #expect(r.exclusion(for: "cache", isDirectory: true) != nil)
        #expect(r.exclusion(for: "a/b/cache", isDirectory: true) != nil)
        #expect(r.exclusion(for: "assets/x.psd", isDirectory: false) != nil)
        #expect(r.exclusion(for: "assets/a/b/x.psd", isDirectory: false) != nil)
        #expect(r.exclusion(for: "tmp/a/b", isDirectory: false) != nil)
        #expect(r.exclusion(for: "tmp", isDirectory: true) == nil)
    }

    @Test func trailingSlashMatchesFoldersOnly() {
        let r = rules(["private/"])
        #expect(r.exclusion(for: "private", isDirectory: true) != nil)
        #expect(r.exclusion(for: "private", isDirectory: false) == nil)
    }

    @Test func negationAndLastMatchWins() {
        let r = rules(["*.html", "!index.html", "# comment", "", "\\#hash"])
        #expect(r.exclusion(for: "about.html", isDirectory: false) != nil)
        #expect(r.exclusion(for: "index.html", isDirectory: false) == nil)
        #expect(r.exclusion(for: "#hash", isDirectory: false) != nil)
    }

    @Test func questionMarkAndClasses() {
        let r = rules(["file?.txt", "img[0-9].png", "x[!a].css"])
        #expect(r.exclusion(for: "file1.txt", isDirectory: false) != nil)
        #expect(r.exclusion(for: "file10.txt", isDirectory: false) == nil)
        #expect(r.exclusion(for: "img7.png", isDirectory: false) != nil)
        #expect(r.exclusion(for: "imga.png", isDirectory: false) == nil)
        #expect(r.exclusion(for: "xb.css", isDirectory: false) != nil)
        #expect(r.exclusion(for: "xa.css", isDirectory: false) == nil)
    }

    @Test func defaultsCoverVCSAndEditorLitter() {
        let r = rules(IgnoreRules.defaultPatterns)
        for path in [".git", "sub/.svn", ".DS_Store", "a/Thumbs.db", "index.html.swp", "page.html~", ".#index.html", "#notes#"] {
            #expect(r.exclusion(for: path, isDirectory: path.hasSuffix("git") || path.hasSuffix("svn")) != nil, "\(path)")
        }
        #expect(r.exclusion(for: ".well-known", isDirectory: true) == nil)
        #expect(r.exclusion(for: "index.html", isDirectory: false) == nil)
    }
}

@Suite("IgnoreRules syntax")
struct IgnoreRulesSyntaxTests {
    @Test("a pattern that can never match as written is refused with its origin and line")
    func unparseablePatterns() {
        for (line, words) in [("secret[.txt", "no closing ']'"), ("trailing\\", "lone backslash")] {
            var rules = IgnoreRules()
            #expect {
                try rules.add(lines: ["ok.txt", line], origin: ".sitepackignore", path: "/site/.sitepackignore")
            } throws: { error in
                let message = (error as? SitepackError)?.message ?? ""
                return message.contains("/site/.sitepackignore line 2") && message.contains(words)
            }
        }
        var rules = IgnoreRules()
        #expect(throws: Never.self) { try rules.add(lines: ["[a-z]*.log", "\\#*#", "a\\[b"], origin: "test") }
        #expect(rules.exclusion(for: "a[b", isDirectory: false) != nil)
    }
}
