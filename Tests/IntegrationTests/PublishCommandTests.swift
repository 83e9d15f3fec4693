import Foundation
import SitepackTestSupport
import Testing

/// `sitepack publish` as a process: into a folder, and into a running `sitepack serve` over HTTP, with
/// curl and sha256sum as the judges of what agents get.
@Suite("publish command", .serialized)
struct PublishCommandTests {
    /// A source store with two versions of site "docs" (the second built last, so the newest).
    struct Source {
        let dir: TemporaryDirectory
        var store: String { dir.join("src") }
        let older: String
        let newer: String

        init() throws {
            dir = try TemporaryDirectory("sitepack-publish")
            try dir.write("docs/index.html", "<h1>one</h1>\n")
            try Subprocess.run(["/bin/sh", "-c", "head -c 300000 /dev/urandom > '\(dir.join("docs/blob.bin"))'"])
            older = try Self.build(dir)
            try dir.write("docs/two.html", "<h1>two</h1>\n")
            newer = try Self.build(dir)
        }

        static func build(_ dir: TemporaryDirectory) throws -> String {
            let result = try Subprocess.sitepack(["build", dir.join("docs"), "-o", dir.join("src"), "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
            return String(result.stdout.prefix(64))
        }

        func archive(_ sha: String, in store: String? = nil) -> String { (store ?? self.store) + "/sites/docs/\(sha)/content.tar.gz" }
    }

    static func sha256sum(_ path: String) throws -> String {
        String(try Subprocess.run(["sha256sum", path]).stdout.prefix(64))
    }

    /// `curl -sS URL | sha256sum`: the digest of what an agent downloads.
    static func downloadedSHA(_ url: String, followRedirects: Bool = false) throws -> String {
        let result = try Subprocess.run(["/bin/sh", "-c", "curl -sS --fail \(followRedirects ? "-L" : "") '\(url)' | sha256sum"])
        #expect(result.status == 0, "\(result.stderr)")
        return String(result.stdout.prefix(64))
    }

    static func versions(in store: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: store + "/sites/docs")) ?? []).sorted()
    }

    @Test("into a folder: the store's newest version by default, --all oldest first, checked by sha256sum; again is unchanged")
    func intoFolder() throws {
        let source = try Source()
        defer { source.dir.remove() }
        let destination = source.dir.join("dst")
        let first = try Subprocess.sitepack(["publish", source.store, "--to", destination])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.trimmingCharacters(in: .newlines) == source.archive(source.newer, in: destination))
        #expect(Self.versions(in: destination) == [source.newer])
        #expect(try Self.sha256sum(source.archive(source.newer, in: destination)) == source.newer)
        let all = try Subprocess.sitepack(["publish", source.store, "--to", destination, "--all", "--json"])
        #expect(all.status == 0, "\(all.stderr)")
        let object = try JSONSerialization.jsonObject(with: all.stdoutData) as? [String: Any]
        let published = object?["published"] as? [[String: Any]] ?? []
        #expect(published.compactMap { $0["sha256"] as? String } == [source.older, source.newer])
        #expect(published.compactMap { $0["unchanged"] as? Bool } == [false, true])
        #expect(Self.versions(in: destination) == [source.older, source.newer].sorted())
        #expect(try Self.sha256sum(source.archive(source.older, in: destination)) == source.older)
        // The newest at the source is the newest at the destination (the top-level link follows it).
        #expect(try Self.sha256sum(destination + "/content.tar.gz") == source.newer)
        let named = try Subprocess.sitepack(["publish", source.store, "--to", destination, "--name", "docs", "--sha256", source.older, "--quiet"])
        #expect(named.status == 0)
        #expect(try Self.sha256sum(destination + "/content.tar.gz") == source.older)
        // Nothing hidden left behind.
        #expect(!Self.versions(in: destination).contains { $0.hasPrefix(".") })
        let missing = try Subprocess.sitepack(["publish", source.store, "--to", destination, "--name", "nope"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no version of nope"))
    }

    @Test("a version whose bytes do not match its digest is refused (exit 4) and nothing is added")
    func tamperedSource() throws {
        let source = try Source()
        defer { source.dir.remove() }
        let archive = source.archive(source.newer)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: archive))
        let result = try Subprocess.sitepack(["publish", source.store, "--to", source.dir.join("dst")])
        #expect(result.status == 4)
        #expect(result.stderr.contains("nothing was published"))
        #expect(Self.versions(in: source.dir.join("dst")).isEmpty)
    }

    @Test("over HTTP into a running serve: curl and sha256sum get the exact bytes at the URLs it prints; latest follows")
    func intoServer() throws {
        let source = try Source()
        defer { source.dir.remove() }
        let served = source.dir.join("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        let token = try source.dir.write("token", "t0ken-\(UUID().uuidString)\n", mode: 0o600)
        let (server, origin) = try Child.serve(served, in: source.dir.path, extra: ["--publish-token-file", token, "--min-free", "0"])
        defer { server.stop() }
        let base = try #require(origin)
        let result = try Subprocess.sitepack(["publish", source.store, "--to", base, "--token-file", token, "--all"])
        #expect(result.status == 0, "\(result.stderr)")
        let urls = result.stdout.split(separator: "\n").map(String.init)
        #expect(urls == [source.older, source.newer].map { "\(base)/sites/docs/\($0)/content.tar.gz" })
        for (url, sha) in zip(urls, [source.older, source.newer]) {
            #expect(try Self.downloadedSHA(url) == sha)
            #expect(try Subprocess.run(["curl", "-sS", url + ".sha256"]).stdout == "\(sha)  content.tar.gz\n")
        }
        #expect(try Self.downloadedSHA("\(base)/sites/docs/latest/content.tar.gz", followRedirects: true) == source.newer)
        #expect(try Subprocess.run(["curl", "-sS", "\(base)/sites"]).stdout.contains(source.older))
        // Publishing again succeeds and changes nothing.
        let again = try Subprocess.sitepack(["publish", source.store, "--to", base, "--token-file", token, "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("\"unchanged\" : true"))
        // The token never appears in the server's output.
        let secret = try String(contentsOfFile: token, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!server.stderr.contains(secret))
        #expect(Self.versions(in: served) == [source.older, source.newer].sorted())
    }

    @Test("a wrong token fails with a clear message and the server keeps nothing; a server without a token file says how to allow uploads")
    func refused() throws {
        let source = try Source()
        defer { source.dir.remove() }
        let served = source.dir.join("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        let token = try source.dir.write("token", "right-token\n")
        let wrong = try source.dir.write("wrong", "wrong-token\n")
        let (server, origin) = try Child.serve(served, in: source.dir.path, extra: ["--publish-token-file", token, "--min-free", "0"])
        defer { server.stop() }
        let base = try #require(origin)
        let result = try Subprocess.sitepack(["publish", source.store, "--to", base, "--token-file", wrong])
        #expect(result.status == 1)
        #expect(result.stderr.contains("refused the token (403)"))
        #expect(!result.stderr.contains("wrong-token"))
        let anonymous = try Subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", source.archive(source.newer),
                                            "\(base)/sites/docs/\(source.newer)/content.tar.gz"])
        #expect(anonymous.stdout == "401")
        #expect(FileManager.default.fileExists(atPath: served + "/sites/docs") == false)
        let usage = try Subprocess.sitepack(["publish", source.store, "--to", base])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("--token-file"))

        let plainDir = source.dir.join("plain")
        try FileManager.default.createDirectory(atPath: plainDir, withIntermediateDirectories: true)
        let (plain, plainOrigin) = try Child.serve(plainDir, in: source.dir.path)
        defer { plain.stop() }
        let closed = try Subprocess.sitepack(["publish", source.store, "--to", try #require(plainOrigin), "--token-file", token])
        #expect(closed.status == 1)
        #expect(closed.stderr.contains("--publish-token-file"))
    }
}
