import Foundation
import Glibc
import SitepackTestSupport
import Testing

/// The output folder is a store: every version keeps its URL until `gc` removes it.
@Suite("the store: build keeps versions, serve answers each, gc prunes (with curl and sha256sum)")
struct StoreCommandTests {
    private static func site(_ dir: TemporaryDirectory, _ name: String, index: String) throws -> String {
        _ = try dir.write("\(name)/index.html", index)
        _ = try dir.write("\(name)/css/site.css", "body { color: #333 }\n")
        return dir.join(name)
    }

    private static func curl(_ url: String, to path: String) throws -> String {
        try Subprocess.run(["curl", "-s", "-S", "-o", path, "-w", "%{http_code}", url]).stdout
    }

    private static func sha256sum(_ path: String) throws -> String {
        String(try Subprocess.run(["sha256sum", path]).stdout.prefix(64))
    }

    @Test("build, serve, rebuild with a change: both URLs give their own bytes; gc --keep 1 makes the old one 404 and leaves the new one")
    func everyURLKeepsWorking() throws {
        let dir = try TemporaryDirectory("sitepack-store")
        defer { dir.remove() }
        let site = try Self.site(dir, "docs", index: "<h1>one</h1>\n")
        let first = try Subprocess.sitepack(["build", site, "-o", dir.join("dist"), "--quiet"])
        #expect(first.status == 0, "\(first.stderr)")
        let shaOne = String(first.stdout.prefix(64))
        #expect(first.stdout.hasSuffix("dist/sites/docs/\(shaOne)/content.tar.gz\n"))

        let (server, started) = try Child.serve(dir.join("dist"), in: dir.path)
        defer { #expect(server.stop() == 0) }
        let origin = try #require(started, "\(server.stderr)")
        let urlOne = "\(origin)/sites/docs/\(shaOne)/content.tar.gz"
        #expect(try Self.curl(urlOne, to: dir.join("one.tgz")) == "200")
        #expect(try Self.sha256sum(dir.join("one.tgz")) == shaOne)

        _ = try dir.write("docs/index.html", "<h1>two</h1>\n")
        let second = try Subprocess.sitepack(["build", site, "-o", dir.join("dist"), "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: second.stdoutData) as? [String: Any])
        let shaTwo = try #require(summary["sha256"] as? String)
        #expect(shaTwo != shaOne)
        #expect(summary["unchanged"] as? Bool == false)
        #expect(summary["url_path"] as? String == "/sites/docs/\(shaTwo)/content.tar.gz")
        let urlTwo = "\(origin)/sites/docs/\(shaTwo)/content.tar.gz"

        // Both versions, each with its own bytes; latest follows the newest; the top-level files are the newest.
        #expect(waitUntil(30) { (try? Self.curl(urlTwo, to: dir.join("two.tgz"))) == "200" })
        #expect(try Self.sha256sum(dir.join("two.tgz")) == shaTwo)
        #expect(try Self.curl(urlOne, to: dir.join("one-again.tgz")) == "200")
        #expect(try Self.sha256sum(dir.join("one-again.tgz")) == shaOne)
        #expect(waitUntil(30) {
            let latest = try? Subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{redirect_url}", "\(origin)/sites/docs/latest/content.tar.gz"]).stdout
            return latest == urlTwo
        })
        #expect(try Self.sha256sum(dir.join("dist/content.tar.gz")) == shaTwo)
        let check = try Subprocess.run(["sha256sum", "-c", "content.tar.gz.sha256"], in: dir.join("dist"))
        #expect(check.status == 0 && check.stdout == "content.tar.gz: OK\n")
        let versionCheck = try Subprocess.run(["sha256sum", "-c", "content.tar.gz.sha256"], in: dir.join("dist/sites/docs/\(shaOne)"))
        #expect(versionCheck.status == 0)

        // gc while serving: the old version goes, the new one stays.
        let dry = try Subprocess.sitepack(["gc", dir.join("dist"), "--keep", "1", "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("would remove docs@\(shaOne)"), "\(dry.stdout)\(dry.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.join("dist/sites/docs/\(shaOne)/content.tar.gz")))
        let gc = try Subprocess.sitepack(["gc", dir.join("dist"), "--keep", "1", "--json"])
        #expect(gc.status == 0, "\(gc.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: gc.stdoutData) as? [String: Any])
        let removed = try #require(report["removed"] as? [[String: Any]])
        #expect(removed.map { $0["sha256"] as? String } == [shaOne])
        #expect((report["freed_bytes"] as? Int ?? 0) > 0)
        #expect(report["kept"] as? Int == 1)
        #expect(!FileManager.default.fileExists(atPath: dir.join("dist/sites/docs/\(shaOne)")))
        #expect(waitUntil(30) { (try? Self.curl(urlOne, to: "/dev/null")) == "404" })
        #expect(try Self.curl(urlTwo, to: dir.join("two-again.tgz")) == "200")
        #expect(try Self.sha256sum(dir.join("two-again.tgz")) == shaTwo)
    }

    @Test("rebuilding identical input writes nothing, says so, and makes that version the newest again")
    func identicalRebuildIsANoOp() throws {
        let dir = try TemporaryDirectory("sitepack-store")
        defer { dir.remove() }
        let site = try Self.site(dir, "blog", index: "A\n")
        let a = try Subprocess.sitepack(["build", site, "-o", dir.join("dist"), "--source-date-epoch", "1700000000"])
        let shaA = String(a.stdout.prefix(64))
        let archiveA = dir.join("dist/sites/blog/\(shaA)/content.tar.gz")
        let inodeBefore = try FileManager.default.attributesOfItem(atPath: archiveA)[.systemFileNumber] as? Int
        _ = try dir.write("blog/index.html", "B\n")
        let b = try Subprocess.sitepack(["build", site, "-o", dir.join("dist"), "--source-date-epoch", "1700000000"])
        let shaB = String(b.stdout.prefix(64))
        #expect(try Self.sha256sum(dir.join("dist/content.tar.gz")) == shaB)
        _ = try dir.write("blog/index.html", "A\n")
        let again = try Subprocess.sitepack(["build", site, "-o", dir.join("dist"), "--source-date-epoch", "1700000000"])
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix(shaA))
        #expect(again.stderr.contains("unchanged"), "\(again.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: archiveA)[.systemFileNumber] as? Int == inodeBefore)
        #expect(try Self.sha256sum(dir.join("dist/content.tar.gz")) == shaA)
        // A is the newest again, so gc --keep 1 removes B, not A.
        let gc = try Subprocess.sitepack(["gc", dir.join("dist"), "--keep", "1"])
        #expect(gc.stdout.contains("removed blog@\(shaB)"), "\(gc.stdout)")
        #expect(FileManager.default.fileExists(atPath: archiveA))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.join("dist/sites/blog"))
        #expect(names == [shaA])
    }

    @Test("gc never removes a pinned version or one younger than --older-than, and refuses bad values")
    func gcPolicy() throws {
        let dir = try TemporaryDirectory("sitepack-store")
        defer { dir.remove() }
        let site = try Self.site(dir, "s", index: "0\n")
        var shas: [String] = []
        for round in 0..<4 {
            _ = try dir.write("s/index.html", "\(round)\n")
            shas.append(String(try Subprocess.sitepack(["build", site, "-o", dir.join("dist"), "--quiet"]).stdout.prefix(64)))
        }
        let young = try Subprocess.sitepack(["gc", dir.join("dist"), "--keep", "1", "--older-than", "1h"])
        #expect(young.status == 0 && young.stdout.contains("freed 0 B from 0 versions"), "\(young.stdout)")
        let pinned = try Subprocess.sitepack(["gc", dir.join("dist"), "--keep", "1", "--pin", "s@\(shas[0])"])
        #expect(pinned.status == 0)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir.join("dist/sites/s")))
        #expect(left == [shas[0], shas[3]])
        #expect(try Subprocess.sitepack(["gc", dir.join("dist"), "--keep", "0"]).status == 2)
        #expect(try Subprocess.sitepack(["gc", dir.join("dist"), "--pin", "nope"]).status == 2)
        #expect(try Subprocess.sitepack(["gc", dir.join("dist"), "--older-than", "soon"]).status == 2)
        let missing = try Subprocess.sitepack(["gc", dir.join("nowhere")])
        #expect(missing.status == 1 && missing.stderr.contains("nowhere"))
    }

    @Test("a 0.1 build output at the top of the folder moves into the store, so its URL keeps working")
    func importsAnOldBuildOutput() throws {
        let dir = try TemporaryDirectory("sitepack-store")
        defer { dir.remove() }
        let site = try Self.site(dir, "old", index: "old\n")
        let first = try Subprocess.sitepack(["build", site, "-o", dir.join("tmp"), "--quiet"])
        let shaOld = String(first.stdout.prefix(64))
        // 0.1 wrote the three files at the top of dist/ and nothing else.
        try FileManager.default.createDirectory(atPath: dir.join("dist"), withIntermediateDirectories: true)
        for file in ["content.tar.gz", "content.tar.gz.sha256", "manifest.json"] {
            try FileManager.default.copyItem(atPath: dir.join("tmp/\(file)"), toPath: dir.join("dist/\(file)"))
        }
        _ = try dir.write("old/index.html", "new\n")
        let next = try Subprocess.sitepack(["build", site, "-o", dir.join("dist")])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("moved the earlier build old@\(shaOld)"), "\(next.stderr)")
        #expect(try Self.sha256sum(dir.join("dist/sites/old/\(shaOld)/content.tar.gz")) == shaOld)
        #expect(try Self.sha256sum(dir.join("dist/content.tar.gz")) == String(next.stdout.prefix(64)))
    }

    @Test("a site name with capitals and '_' goes through build → serve → task → fetch")
    func anyBuildNameWorksEverywhere() throws {
        let dir = try TemporaryDirectory("sitepack-store")
        defer { dir.remove() }
        let site = try Self.site(dir, "src", index: "<h1>My_Site</h1>\n")
        let build = try Subprocess.sitepack(["build", site, "--name", "My_Site", "-o", dir.join("dist"), "--quiet"])
        #expect(build.status == 0, "\(build.stderr)")
        let sha = String(build.stdout.prefix(64))
        let (server, started) = try Child.serve(dir.join("dist"), in: dir.path)
        defer { #expect(server.stop() == 0) }
        let origin = try #require(started, "\(server.stderr)")
        let artifact = "\(origin)/sites/My_Site/\(sha)/content.tar.gz"
        #expect(try Self.curl(artifact, to: "/dev/null") == "200")
        let task = try Subprocess.sitepack(["task", "--offer", Subprocess.packageRoot + "/samples/offer.json", "--artifact", artifact,
                                            "--format", "taskinfo"])
        #expect(task.status == 0, "\(task.stderr)")
        try task.stdoutData.write(to: URL(fileURLWithPath: dir.join("task.json")))
        let info = try #require(try JSONSerialization.jsonObject(with: task.stdoutData) as? [String: Any])
        let taskID = try #require((info["task_id"] as? [String: Any])?["value"] as? String)
        #expect(taskID.hasPrefix("my-site-\(sha.prefix(12))-"))
        #expect((info["discovery"] as? [String: Any])?["name"] as? String == "my-site")
        #expect(info["name"] as? String == "My_Site")
        let fetch = try Subprocess.sitepack(["fetch", "--task", dir.join("task.json"), "--sandbox", dir.join("sandbox"), "--quiet"])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        #expect(FileManager.default.contents(atPath: dir.join("sandbox/site/index.html")) == Data("<h1>My_Site</h1>\n".utf8))
    }

    @Test("a .sitepackignore that is not UTF-8, or has a pattern that cannot match, fails the build naming it and writes nothing")
    func brokenIgnoreFileFails() throws {
        let dir = try TemporaryDirectory("sitepack-store")
        defer { dir.remove() }
        let site = try Self.site(dir, "s", index: "x\n")
        _ = try dir.write("s/secret.txt", "password\n")
        try Data([0x73, 0x65, 0x63, 0xff, 0xfe, 0x0a, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x2e, 0x74, 0x78, 0x74, 0x0a])
            .write(to: URL(fileURLWithPath: dir.join("s/.sitepackignore")))
        let binary = try Subprocess.sitepack(["build", site, "-o", dir.join("dist")])
        #expect(binary.status == 1)
        #expect(binary.stderr.contains(".sitepackignore") && binary.stderr.contains("UTF-8"), "\(binary.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.join("dist/sites")))
        _ = try dir.write("s/.sitepackignore", "# secrets\nsecret[.txt\n")
        let pattern = try Subprocess.sitepack(["build", site, "-o", dir.join("dist")])
        #expect(pattern.status == 1)
        #expect(pattern.stderr.contains(".sitepackignore line 2"), "\(pattern.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.join("dist/sites")))
        _ = try dir.write("s/.sitepackignore", "secret.txt\n")
        let good = try Subprocess.sitepack(["build", site, "-o", dir.join("dist"), "--quiet"])
        #expect(good.status == 0)
        let listing = try Subprocess.run(["tar", "-tzf", dir.join("dist/content.tar.gz")]).stdout
        #expect(!listing.contains("secret.txt") && listing.contains("site/index.html"))
    }
}
