import Foundation
import Testing
import SitepackTestSupport

@Suite("sitepack build (with GNU tar, bsdtar, Python tarfile, gzip, sha256sum)")
struct BuildCommandTests {
    private let sample = Subprocess.packageRoot + "/samples/hello-site"

    @Test func gnuTarListsExactlyTheExpectedEntries() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let build = try Subprocess.sitepack(["build", sample, "-o", dir.join("dist"), "--source-date-epoch", "1700000000"])
        #expect(build.status == 0, "\(build.stderr)")
        let listing = try Subprocess.run(["tar", "--numeric-owner", "--utc", "-tvzf", dir.join("dist/content.tar.gz")])
        #expect(listing.status == 0)
        let lines = listing.stdout.split(separator: "\n").map(String.init)
        let expected: [(String, String)] = [
            ("drwxr-xr-x", "site/"), ("-rw-r--r--", "site/404.html"), ("drwxr-xr-x", "site/css/"),
            ("-rw-r--r--", "site/css/style.css"), ("drwxr-xr-x", "site/docs/"), ("-rw-r--r--", "site/docs/getting-started.html"),
            ("drwxr-xr-x", "site/images/"), ("-rw-r--r--", "site/images/favicon.png"), ("-rw-r--r--", "site/images/logo.svg"),
            ("-rw-r--r--", "site/index.html"), ("-rw-r--r--", "site/release notes.txt"),
        ]
        #expect(lines.count == expected.count)
        for (line, (mode, name)) in zip(lines, expected) {
            #expect(line.hasPrefix(mode + " 0/0 "), "\(line)")
            #expect(line.hasSuffix(" 2023-11-14 22:13 " + name), "\(line)")
        }
    }

    @Test func peersAgreeOnIntegrityAndContent() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(try Subprocess.sitepack(["build", sample, "-o", dir.join("dist"), "--quiet"]).status == 0)
        #expect(try Subprocess.run(["gzip", "-t", dir.join("dist/content.tar.gz")]).status == 0)
        let check = try Subprocess.run(["sha256sum", "-c", "content.tar.gz.sha256"], in: dir.join("dist"))
        #expect(check.status == 0)
        #expect(check.stdout == "content.tar.gz: OK\n")
        let bsdtar = try Subprocess.run(["bsdtar", "-tvf", dir.join("dist/content.tar.gz")])
        #expect(bsdtar.status == 0)
        #expect(bsdtar.stdout.contains("site/index.html"))
        #expect(!bsdtar.stdout.contains("./"))

        // Python's tarfile extracts a tree equal to the source, byte for byte.
        let script = """
            import tarfile, sys, os, filecmp
            out = sys.argv[2]
            with tarfile.open(sys.argv[1]) as t:
                names = t.getnames()
                assert all(n == 'site' or n.startswith('site/') for n in names), names
                for m in t.getmembers():
                    assert m.uid == 0 and m.gid == 0 and m.uname == '' and m.gname == '', m.name
                    assert m.mode in (0o644, 0o755), (m.name, oct(m.mode))
                t.extractall(out)
            cmp = filecmp.dircmp(os.path.join(out, 'site'), sys.argv[3])
            def walk(c):
                assert not c.left_only and not c.right_only and not c.diff_files and not c.funny_files, (c.left_only, c.right_only, c.diff_files)
                for sub in c.subdirs.values(): walk(sub)
            walk(cmp)
            # shallow=False: compare contents, not just stat signatures
            for root, _, files in os.walk(sys.argv[3]):
                for f in files:
                    a = os.path.join(root, f)
                    b = os.path.join(out, 'site', os.path.relpath(a, sys.argv[3]))
                    assert filecmp.cmp(a, b, shallow=False), a
            print('ok', len(names))
            """
        let python = try Subprocess.run(["python3", "-c", script, dir.join("dist/content.tar.gz"), dir.join("py"), sample])
        #expect(python.status == 0, "\(python.stderr)")
        #expect(python.stdout.hasPrefix("ok 11"))
    }

    @Test func copiesWithDifferentMetadataGiveTheSameDigest() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // Copy 1: cp -p keeps modes/mtimes; copy 2: files made under umask 077, other mtimes, other order.
        #expect(try Subprocess.run(["cp", "-rp", sample, dir.join("one")]).status == 0)
        let script = """
            umask 077; mkdir -p two; cd \(sample)
            find . -type f | sort -r | while read -r f; do mkdir -p "\(dir.path)/two/$(dirname "$f")"; cat "$f" > "\(dir.path)/two/$f"; done
            find "\(dir.path)/two" -exec touch -d @12345 {} +
            """
        #expect(try Subprocess.run(["bash", "-c", script], in: dir.path).status == 0)
        let env = ["SOURCE_DATE_EPOCH": "1700000000"]
        let a = try Subprocess.sitepack(["build", dir.join("one"), "-o", dir.join("a"), "--name", "hello"], environment: env)
        let b = try Subprocess.sitepack(["build", dir.join("two"), "-o", dir.join("b"), "--name", "hello", "--threads", "1"], environment: env)
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        let digestA = try Subprocess.run(["sha256sum", dir.join("a/content.tar.gz")]).stdout.prefix(64)
        let digestB = try Subprocess.run(["sha256sum", dir.join("b/content.tar.gz")]).stdout.prefix(64)
        #expect(digestA == digestB)
        #expect(a.stdout.hasPrefix(String(digestA) + "  "))
        let mtime = try Subprocess.run(["tar", "--utc", "-tvzf", dir.join("b/content.tar.gz"), "site/index.html"])
        #expect(mtime.stdout.contains("2023-11-14 22:13"))
    }

    @Test func jsonSummaryOnStdout() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try Subprocess.sitepack(["build", sample, "-o", dir.join("dist"), "--json", "--name", "hello"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        #expect(object["name"] as? String == "hello")
        #expect(object["file_count"] as? Int == 7)
        #expect((object["sha256"] as? String)?.count == 64)
        #expect(result.stderr.isEmpty)  // not a terminal: no progress
    }

    @Test func usageAndInputErrorsHaveDocumentedExitCodes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let badLevel = try Subprocess.sitepack(["build", sample, "-o", dir.join("d"), "--level", "12"])
        #expect(badLevel.status == 2)
        #expect(badLevel.stderr.contains("--level"))
        let missing = try Subprocess.sitepack(["build", dir.join("missing"), "-o", dir.join("d")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains(dir.join("missing")))
        try dir.write("s/index.html", "x")
        try FileManager.default.createSymbolicLink(atPath: dir.join("s/passwd"), withDestinationPath: "/etc/passwd")
        let escape = try Subprocess.sitepack(["build", dir.join("s"), "-o", dir.join("d")])
        #expect(escape.status == 3)
        #expect(escape.stderr.contains("passwd"))
        try dir.write("file", "x")
        let notWritable = try Subprocess.sitepack(["build", sample, "-o", dir.join("file")])
        #expect(notWritable.status == 1)
        #expect(notWritable.stderr.contains("-o"))
    }

    @Test func permissionErrorsAsAnUnprivilegedUser() throws {
        // Root reads everything, so run the binary as `nobody` (runuser ships with util-linux).
        guard getuid() == 0 else {
            let result = try Subprocess.sitepack(["--version"])
            #expect(result.status == 0)
            return
        }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("s/index.html", "x")
        try dir.write("s/secret.html", "x", mode: 0o000)
        try FileManager.default.createDirectory(atPath: dir.join("out"), withIntermediateDirectories: true)
        #expect(try Subprocess.run(["chmod", "-R", "a+rX", dir.path]).status == 0)
        #expect(try Subprocess.run(["chmod", "000", dir.join("s/secret.html")]).status == 0)
        #expect(try Subprocess.run(["chmod", "777", dir.join("out")]).status == 0)
        let unreadable = try Subprocess.run(["runuser", "-u", "nobody", "--", Subprocess.sitepack, "build", dir.join("s"), "-o", dir.join("out")])
        #expect(unreadable.status == 1)
        #expect(unreadable.stderr.contains("secret.html"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.join("out")).isEmpty)
        #expect(try Subprocess.run(["chmod", "755", dir.join("out")]).status == 0)
        #expect(try Subprocess.run(["chmod", "644", dir.join("s/secret.html")]).status == 0)
        let readOnly = try Subprocess.run(["runuser", "-u", "nobody", "--", Subprocess.sitepack, "build", dir.join("s"), "-o", dir.join("out")])
        #expect(readOnly.status == 1)
        #expect(readOnly.stderr.contains("not writable"))
    }

    @Test func interruptLeavesPreviousOutputAndNoTemporaryFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(try Subprocess.sitepack(["build", sample, "-o", dir.join("dist")]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: dir.join("dist/content.tar.gz")))
        // A site big enough that a single-threaded level-9 build is still running when SIGINT arrives.
        #expect(try Subprocess.run(["bash", "-c", "mkdir -p big && head -c 48000000 /dev/urandom > big/blob.bin && echo x > big/index.html"], in: dir.path).status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Subprocess.sitepack)
        process.arguments = ["build", dir.join("big"), "-o", dir.join("dist"), "--level", "9", "--threads", "1", "--quiet"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        var sawTemporary = false
        while Date() < deadline && process.isRunning {
            let names = (try? FileManager.default.subpathsOfDirectory(atPath: dir.join("dist"))) ?? []
            if names.contains(where: { $0.contains(".tmp-") }) {
                sawTemporary = true
                break
            }
            usleep(10_000)
        }
        #expect(sawTemporary)
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let after = try FileManager.default.contentsOfDirectory(atPath: dir.join("dist")).sorted()
        #expect(after == ["content.tar.gz", "content.tar.gz.sha256", "manifest.json", "sites"])
        // The interrupted version left nothing: no staging folder, no site folder of its own.
        let stored = try FileManager.default.subpathsOfDirectory(atPath: dir.join("dist/sites"))
        #expect(!stored.contains { $0.contains(".tmp-") || $0.hasPrefix("big") }, "\(stored)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.join("dist/content.tar.gz"))) == before)
    }

    @Test func progressOnATerminalOnlyAndNotWithQuiet() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // `script` gives the command a pseudo-terminal, as a user's shell would.
        let shown = try Subprocess.run(["script", "-qec", "\(Subprocess.sitepack) build \(sample) -o \(dir.join("a")) >/dev/null", "/dev/null"])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("packing") && shown.stdout.contains("files"))
        let quiet = try Subprocess.run(["script", "-qec", "\(Subprocess.sitepack) build --quiet \(sample) -o \(dir.join("b")) >/dev/null", "/dev/null"])
        #expect(quiet.status == 0)
        #expect(!quiet.stdout.contains("packing"))
    }
    /// A site deeper than strict fetch's default depth limit builds, with a warning on stderr and in
    /// --json naming the limit; fetch refuses it by default, verify with its manifest accepts it.
    @Test func aSiteBeyondADefaultLimitWarns() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let deep = (0..<256).map { "d\($0 % 10)" }.joined(separator: "/")
        _ = try dir.write("src/index.html", "<h1>hi</h1>\n")
        _ = try dir.write("src/\(deep)/page.html", "deep\n")
        let build = try Subprocess.sitepack(["build", dir.join("src"), "-o", dir.join("dist"), "--json", "--source-date-epoch", "1700000000"])
        #expect(build.status == 0, "\(build.stderr)")
        #expect(build.stderr.contains("warning: the artifact has a path 258 folders deep, more than strict fetch's limit of 256"), "\(build.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: build.stdoutData) as? [String: Any])
        let warnings = try #require(json["warnings"] as? [String])
        #expect(warnings.count == 1 && warnings[0].contains("258 folders deep"))
        let fetch = try Subprocess.sitepack(["fetch", dir.join("dist/content.tar.gz"), "--sandbox", dir.join("sandbox"), "--quiet"])
        #expect(fetch.status == 3 && fetch.stderr.contains("too-deep"), "\(fetch.stderr)")
        let plain = try Subprocess.sitepack(["verify", dir.join("dist/content.tar.gz")])
        #expect(plain.status == 3 && plain.stdout.contains("too-deep"))
        let bounded = try Subprocess.sitepack(["verify", dir.join("dist/content.tar.gz"), "--manifest", dir.join("dist/manifest.json")])
        #expect(bounded.status == 0, "\(bounded.stdout)")
        // An ordinary site gets no warning.
        let quiet = try Subprocess.sitepack(["build", sample, "-o", dir.join("plain"), "--json"])
        #expect(quiet.status == 0 && !quiet.stderr.contains("warning"))
        let plainJSON = try #require(try JSONSerialization.jsonObject(with: quiet.stdoutData) as? [String: Any])
        #expect((plainJSON["warnings"] as? [String]) == [])
    }

    /// A site of more files than Nomad's 4,096 is built, verified and fetched with no flags.
    @Test func aSiteOfManyFilesNeedsNoFlags() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try dir.write("src/index.html", "<h1>hi</h1>\n")
        for folder in 0..<10 {
            let path = dir.join("src/f\(folder)")
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for page in 0..<500 { try Data("page \(folder)/\(page)\n".utf8).write(to: URL(fileURLWithPath: "\(path)/p\(page).html")) }
        }
        let build = try Subprocess.sitepack(["build", dir.join("src"), "-o", dir.join("dist"), "--quiet"])
        #expect(build.status == 0 && build.stderr.isEmpty, "\(build.stderr)")
        let verify = try Subprocess.sitepack(["verify", dir.join("dist/content.tar.gz")])
        #expect(verify.status == 0, "\(verify.stdout)")
        let fetch = try Subprocess.sitepack(["fetch", dir.join("dist/content.tar.gz"), "--sandbox", dir.join("sandbox"), "--quiet"])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.join("sandbox/site/f9/p499.html")))
    }
}
