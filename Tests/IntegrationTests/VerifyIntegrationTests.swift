import Foundation
import Testing

/// `sitepack verify` on the generated corpus, with manifests written by Python's tarfile (an independent peer).
@Suite(.serialized) struct VerifyIntegrationTests {
    typealias T = FetchTestSupport

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func rules(_ report: [String: Any]) -> [String] {
        (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String }
    }

    @Test func benignArchivesPassAndMatchTheirManifest() throws {
        let corpus = try FetchCorpus()
        for file in ["benign.tar.gz", "blocked.tar.gz"] {
            let manifest = "\(corpus.temp.path)/\(file).manifest.json"
            let made = try T.run("/usr/bin/env", ["python3", "\(T.fixtures)/make_manifest.py", "\(corpus.files)/\(file)", manifest])
            #expect(made.status == 0, "\(made.stderr)")
            let result = try T.sitepack(["verify", "\(corpus.files)/\(file)", "--manifest", manifest, "--json"])
            #expect(result.status == 0, "\(file): \(result.stdout) \(result.stderr)")
            let report = try json(result.stdout)
            #expect(report["ok"] as? Bool == true)
            #expect(report["manifest_checked"] as? Bool == true)
            #expect(report["blocked_gzip"] as? Bool == (file == "blocked.tar.gz"))
            #expect(report["entries"] as? Int == 11)
            let sha = try T.shell("sha256sum '\(corpus.files)/\(file)' | cut -d' ' -f1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(report["sha256"] as? String == sha)
        }
    }

    @Test func manifestMismatchExitsFour() throws {
        let corpus = try FetchCorpus()
        let manifest = "\(corpus.temp.path)/m.json"
        #expect(try T.run("/usr/bin/env", ["python3", "\(T.fixtures)/make_manifest.py", "\(corpus.files)/benign.tar.gz", manifest]).status == 0)
        // Check the other archive (same entries, different bytes is not the case here): tamper with the manifest instead.
        var object = try json(String(contentsOfFile: manifest, encoding: .utf8))
        var files = try #require(object["files"] as? [[String: Any]])
        let index = try #require(files.firstIndex { $0["path"] as? String == "site/index.html" })
        files[index]["sha256"] = String(repeating: "a", count: 64)
        files[index]["mode"] = "0600"
        files.append(["path": "site/missing.html", "type": "file", "mode": "0644", "size": 1, "sha256": String(repeating: "b", count: 64)])
        object["files"] = files
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: manifest))
        let result = try T.sitepack(["verify", "\(corpus.files)/benign.tar.gz", "--manifest", manifest, "--json"])
        #expect(result.status == 4, "\(result.stdout) \(result.stderr)")
        let found = rules(try json(result.stdout))
        for rule in ["manifest-file-sha256", "manifest-mode", "manifest-missing"] { #expect(found.contains(rule), "\(found)") }
        let wrong = try T.sitepack(["verify", "\(corpus.files)/blocked.tar.gz", "--manifest", manifest])
        #expect(wrong.status == 4)
        #expect(wrong.stdout.contains("manifest-sha256"))
    }

    @Test func lintFindsWhatStrictFetchRefusesAndWhatTripsMesos() throws {
        let corpus = try FetchCorpus()
        let cases: [(String, Int32, String)] = [
            ("symlink-dir.tar.gz", 3, "symlink-escape"), ("dotdot.tar.gz", 3, "dot-dot"), ("absolute.tar.gz", 3, "absolute-path"),
            ("chardev.tar.gz", 3, "special-file"), ("fifo.tar.gz", 3, "special-file"), ("duplicate.tar.gz", 3, "duplicate-path"),
            ("hardlink-host.tar.gz", 3, "hardlink-outside"), ("many.tar.gz", 3, "too-many-entries"),
            ("nonascii.tar.gz", 3, "non-ascii-name"), ("setuid.tar.gz", 0, "special-bits"), ("dot-entry.tar.gz", 0, "dot-entry"),
            ("truncated.tar.gz", 1, "gzip-truncated"), ("html.tar.gz", 1, "archive-unreadable"),
            ("zipslip-slash.zip", 3, "dot-dot"), ("symlink-then-file.tar.gz", 3, "duplicate-path"),
        ]
        for (file, status, rule) in cases {
            // many.tar.gz holds 200,000 entries, under the default limit: an explicit one still tests the refusal.
            let limit = file == "many.tar.gz" ? ["--max-files", "4096"] : []
            let result = try T.sitepack(["verify", "\(corpus.files)/\(file)", "--json"] + limit)
            #expect(result.status == status, "\(file): \(result.stdout)")
            let report = try json(result.stdout)
            #expect(rules(report).contains(rule), "\(file): \(rules(report))")
            for finding in report["findings"] as? [[String: Any]] ?? [] {
                #expect((finding["fix"] as? String)?.isEmpty == false)
                #expect(["error", "warning", "info"].contains(finding["severity"] as? String ?? ""))
            }
        }
        // A flipped byte inside the gzip data is caught.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(corpus.files)/benign.tar.gz")))
        bytes[bytes.count / 2] ^= 0x55
        try Data(bytes).write(to: URL(fileURLWithPath: "\(corpus.temp.path)/flipped.tar.gz"))
        let flipped = try T.sitepack(["verify", "\(corpus.temp.path)/flipped.tar.gz", "--json"])
        #expect(flipped.status == 1)
        #expect(rules(try json(flipped.stdout)).contains("gzip-corrupt"), "\(flipped.stdout)")

        // Entries outside one top folder and no index.html are warnings.
        let loose = "\(corpus.temp.path)/loose"
        try FileManager.default.createDirectory(atPath: "\(loose)/a", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: "\(loose)/a/page.html"))
        try Data("y".utf8).write(to: URL(fileURLWithPath: "\(loose)/readme.txt"))
        try T.shell("tar -C '\(loose)' -czf '\(corpus.temp.path)/loose.tar.gz' a readme.txt")
        let result = try T.sitepack(["verify", "\(corpus.temp.path)/loose.tar.gz"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("warning: outside-top-folder"))
        let single = try T.sitepack(["verify", "\(corpus.files)/symlink-climb.tar.gz"])
        #expect(single.stdout.contains("warning: no-index"))
    }

    @Test("a store folder or a version folder is verified with the manifest beside it; a folder without an archive says what to give")
    func foldersAreVerifiedWithTheirManifest() throws {
        let temp = try FetchTempDir()
        try FileManager.default.createDirectory(atPath: "\(temp.path)/site/sub", withIntermediateDirectories: true)
        try Data("<h1>hi</h1>".utf8).write(to: URL(fileURLWithPath: "\(temp.path)/site/index.html"))
        try Data("page".utf8).write(to: URL(fileURLWithPath: "\(temp.path)/site/sub/page.html"))
        let build = try T.sitepack(["build", "\(temp.path)/site", "-o", "\(temp.path)/dist", "--quiet"])
        #expect(build.status == 0, "\(build.stderr)")
        let sha = try #require(build.stdout.split(separator: " ").first.map(String.init))
        for folder in ["\(temp.path)/dist", "\(temp.path)/dist/", "\(temp.path)/dist/sites/site/\(sha)"] {
            let result = try T.sitepack(["verify", folder, "--json"])
            #expect(result.status == 0, "\(folder): \(result.stdout) \(result.stderr)")
            let report = try json(result.stdout)
            #expect(report["manifest_checked"] as? Bool == true)
            #expect(report["sha256"] as? String == sha)
        }
        let empty = try T.sitepack(["verify", "\(temp.path)/site"])
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("\(temp.path)/site is a folder without content.tar.gz"), "\(empty.stderr)")
    }
}
