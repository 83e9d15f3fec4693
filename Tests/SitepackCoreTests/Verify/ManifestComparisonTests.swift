import Testing
@testable import SitepackCore

/// One manifest entry against what the archive holds at its path.
@Suite("ManifestComparison")
struct ManifestComparisonTests {
    typealias Actual = ArchiveInventory.Entry

    static func rules(_ entry: Manifest.Entry, _ actual: Actual?) -> [String] {
        ManifestComparison.entryFindings(entry, actual: actual).map(\.rule)
    }

    @Test("a matching file, folder and symlink give no finding")
    func matches() {
        #expect(Self.rules(.init(path: "site/a", type: .file, mode: "0644", size: 3, sha256: "AB"), Actual(type: .file, mode: 0o644, size: 3, sha256: "ab")).isEmpty)
        #expect(Self.rules(.init(path: "site", type: .directory, mode: "0755"), Actual(type: .directory, mode: 0o755, size: 0)).isEmpty)
        #expect(Self.rules(.init(path: "site/l", type: .symlink, mode: "0777", target: "a"), Actual(type: .symlink, mode: 0o644, size: 0, target: "a")).isEmpty)
    }

    @Test("missing and wrong-type entries stop at that finding; mode, size, digest and target are each reported")
    func differences() {
        let file = Manifest.Entry(path: "site/a", type: .file, mode: "0644", size: 3, sha256: "ab")
        #expect(Self.rules(file, nil) == ["manifest-missing"])
        #expect(Self.rules(file, Actual(type: .directory, mode: 0o600, size: 0)) == ["manifest-type"])
        #expect(Self.rules(file, Actual(type: .file, mode: 0o600, size: 4, sha256: "cd")) == ["manifest-mode", "manifest-file-size", "manifest-file-sha256"])
        let link = Manifest.Entry(path: "site/l", type: .symlink, mode: "0777", target: "a")
        #expect(Self.rules(link, Actual(type: .symlink, mode: 0o700, size: 0, target: "b")) == ["manifest-symlink"])
        let finding = ManifestComparison.entryFindings(file, actual: nil)[0]
        #expect(finding.severity == .error && finding.kind == .integrity && finding.entry == "site/a")
        #expect(finding.fix == ManifestComparison.rebuild)
    }
}
