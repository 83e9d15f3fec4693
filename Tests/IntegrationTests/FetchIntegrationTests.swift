import Foundation
import Testing

/// `sitepack fetch` run as a binary against the generated corpus, served by a local HTTP server, and
/// checked against GNU tar and bsdtar, and against what Mesos is documented to do.
@Suite(.serialized) struct FetchIntegrationTests {
    typealias T = FetchTestSupport

    /// Every hostile archive is refused in strict mode (exit 3; exit 1 for unreadable input), the error
    /// names the entry and the rule, nothing lands in the canary folder and nothing stays in the sandbox.
    @Test func strictModeRefusesTheHostileCorpus() throws {
        let corpus = try FetchCorpus()
        let cases: [(file: String, status: Int32, rule: String?, entry: String?)] = [
            ("dotdot.tar.gz", 3, "dot-dot", "../canary/dotdot.txt"),
            ("absolute.tar.gz", 3, "absolute-path", "\(corpus.canary)/absolute.txt"),
            ("symlink-dir.tar.gz", 3, "symlink-escape", "site/out"),
            ("symlink-climb.tar.gz", 3, "symlink-escape", "site/up"),
            ("symlink-then-file.tar.gz", 3, "duplicate-path", "site/page.html"),
            ("hardlink-host.tar.gz", 3, "hardlink-outside", "site/secret"),
            ("hardlink-climb.tar.gz", 3, "hardlink-outside", "site/secret"),
            ("chardev.tar.gz", 3, "special-file", "site/null"),
            ("fifo.tar.gz", 3, "special-file", "site/pipe"),
            ("duplicate.tar.gz", 3, "duplicate-path", "site/index.html"),
            ("zipslip-slash.zip", 3, "dot-dot", "../canary/zip-slash.txt"),
            ("zipslip-backslash.zip", 3, nil, "zip-backslash.txt"),
            ("bomb.tar.gz", 3, "compression-ratio", "site/zeros.bin"),
            ("bomb.gz", 3, "compression-ratio", "bomb.gz"),
            ("many.tar.gz", 3, "too-many-entries", "site/f0004096"),
            ("truncated.tar.gz", 1, nil, nil),
            ("html.tar.gz", 1, nil, nil),
        ]
        for item in cases {
            let sandbox = try corpus.sandbox(item.file)
            let started = Date()
            let result = try T.sitepack(["fetch", corpus.url(item.file), "--sandbox", sandbox, "--quiet"])
            let seconds = Date().timeIntervalSince(started)
            #expect(result.status == item.status, "\(item.file): \(result.stderr)")
            if let rule = item.rule { #expect(result.stderr.contains("breaks rule \(rule)"), "\(item.file): \(result.stderr)") }
            if let entry = item.entry { #expect(result.stderr.contains(entry), "\(item.file): \(result.stderr)") }
            #expect(T.listing(sandbox).isEmpty, "\(item.file) left \(T.listing(sandbox))")
            #expect(corpus.canaryListing == ["secret.txt"], "\(item.file) escaped: \(corpus.canaryListing)")
            #expect(seconds < 30, "\(item.file) took \(seconds) s")
        }
        #expect(try String(contentsOfFile: "\(corpus.canary)/secret.txt", encoding: .utf8) == "secret\n")
    }

    /// Limits are inclusive: exactly the limit passes, one more is refused.
    @Test func limitsAreInclusiveOnTheCommandLine() throws {
        let corpus = try FetchCorpus()
        let archive = "\(corpus.files)/benign.tar.gz"  // 11 entries; site/big.bin is the largest file, 2,102,152 bytes
        let runs: [([String], Int32)] = [
            (["--max-files", "11"], 0), (["--max-files", "10"], 3),
            (["--max-file-bytes", "2102152"], 0), (["--max-file-bytes", "2102151"], 3),
        ]
        for (index, (flags, status)) in runs.enumerated() {
            let sandbox = try corpus.sandbox("limits-\(index)")
            let result = try T.sitepack(["fetch", archive, "--sandbox", sandbox, "--quiet"] + flags)
            #expect(result.status == status, "\(flags): \(result.stderr)")
            if status == 3 { #expect(T.listing(sandbox).isEmpty) }
        }
    }

    /// setuid/setgid/sticky entries are defused: extracted with 0755/0644 and reported.
    @Test func strictModeDefusesSetuid() throws {
        let corpus = try FetchCorpus()
        let sandbox = try corpus.sandbox("setuid")
        let result = try T.sitepack(["fetch", corpus.url("setuid.tar.gz"), "--sandbox", sandbox, "--json", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        for (name, mode) in [("tool", 0o755), ("group", 0o755), ("index.html", 0o644)] {
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(sandbox)/site/\(name)")
            #expect((attributes[.posixPermissions] as? Int) == mode, "\(name)")
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let uri = try #require((json["uris"] as? [[String: Any]])?.first)
        #expect((uri["defused"] as? [String])?.sorted() == ["site/group", "site/index.html", "site/tool"])
    }

    /// Benign archives in every accepted container extract byte-identical to GNU tar (bsdtar for zip),
    /// including sitepack's multi-member gzip, which goes through the parallel inflater.
    @Test func strictModeMatchesGNUTar() throws {
        let corpus = try FetchCorpus()
        for file in ["benign.tar.gz", "benign.tgz", "benign.tar.bz2", "benign.tar.xz", "benign.tar", "blocked.tar.gz", "benign.zip"] {
            let sandbox = try corpus.sandbox(file)
            let result = try T.sitepack(["fetch", corpus.url(file), "--sandbox", sandbox, "--quiet"])
            #expect(result.status == 0, "\(file): \(result.stderr)")
            #expect(FileManager.default.fileExists(atPath: "\(sandbox)/\(file)"), "the archive stays in the sandbox, as with Mesos")
            try FileManager.default.removeItem(atPath: "\(sandbox)/\(file)")
            let reference = try corpus.sandbox("reference-\(file)")
            let peer = file.hasSuffix(".zip") ? "bsdtar -xf" : "tar -xf"
            try T.shell("cd '\(reference)' && \(peer) '\(corpus.files)/\(file)'")
            let diff = try T.shell("diff -r --no-dereference '\(sandbox)' '\(reference)'")
            #expect(diff.status == 0, "\(file): \(diff.stdout)")
            #expect(T.listing(sandbox) == T.listing(reference), "\(file)")
            if !file.hasSuffix(".zip") {
                let modes = "find . -printf '%y %m %s %P %l\\n' | sort"
                let ours = try T.shell("cd '\(sandbox)' && \(modes)").stdout
                let theirs = try T.shell("cd '\(reference)' && \(modes)").stdout
                #expect(ours == theirs, "\(file)")
            }
        }
    }

    /// `--mesos-compat` does what Mesos ≥ 1.8 is documented to do (mesos.md §1.6, §2.2), inside a
    /// throwaway temp folder: absolute names re-rooted, `..` refused, symlinks written through (escaping
    /// into the canary), devices and FIFOs created, later duplicates winning, non-ASCII names fatal.
    @Test func mesosCompatReproducesMesos() throws {
        let corpus = try FetchCorpus()
        func fetch(_ file: String) throws -> (FetchTestSupport.Output, String) {
            let sandbox = try corpus.sandbox("compat-\(file)")
            return (try T.sitepack(["fetch", corpus.url(file), "--sandbox", sandbox, "--mesos-compat", "--quiet"]), sandbox)
        }
        var (result, sandbox) = try fetch("absolute.tar.gz")
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: "\(sandbox)\(corpus.canary)/absolute.txt"), "one leading / stripped by path::join")

        for file in ["dotdot.tar.gz", "zipslip-slash.zip", "hardlink-climb.tar.gz"] {
            (result, sandbox) = try fetch(file)
            #expect(result.status == 1, "\(file)")
            #expect(result.stderr.contains("Path contains '..'"), "\(file): \(result.stderr)")
        }
        (result, sandbox) = try fetch("hardlink-host.tar.gz")
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(sandbox)\(corpus.canary)/secret.txt"), "hard-link target re-rooted: \(result.stderr)")

        #expect(corpus.canaryListing == ["secret.txt"])
        (result, sandbox) = try fetch("symlink-dir.tar.gz")
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: "\(corpus.canary)/through.txt"), "Mesos writes through an absolute symlink")
        (result, sandbox) = try fetch("symlink-climb.tar.gz")
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: "\(corpus.canary)/climb.txt"), "Mesos writes through a climbing relative symlink")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(sandbox)/site/up") == "../../canary", "symlink target verbatim")

        (result, sandbox) = try fetch("symlink-then-file.tar.gz")
        #expect(result.status == 0)
        #expect(try String(contentsOfFile: "\(sandbox)/site/page.html", encoding: .utf8) == "replaced\n")
        (result, sandbox) = try fetch("duplicate.tar.gz")
        #expect(result.status == 0)
        #expect(try String(contentsOfFile: "\(sandbox)/site/index.html", encoding: .utf8) == "second\n", "a later duplicate wins")

        (result, sandbox) = try fetch("fifo.tar.gz")
        #expect(result.status == 0)
        #expect((try T.shell("test -p '\(sandbox)/site/pipe'")).status == 0, "Mesos creates FIFOs")
        (result, sandbox) = try fetch("chardev.tar.gz")
        if getuid() == 0 && result.status == 0 {
            #expect((try T.shell("test -c '\(sandbox)/site/null'")).status == 0, "Mesos running as root creates device nodes")
        }

        (result, sandbox) = try fetch("setuid.tar.gz")
        #expect(result.status == 0)
        let mode = (try FileManager.default.attributesOfItem(atPath: "\(sandbox)/site/tool"))[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o7000 } == 0, "no PERM flag: setuid dropped")

        (result, sandbox) = try fetch("nonascii.tar.gz")
        #expect(result.status == 1, "MESOS-9393: non-ASCII names fail in the C locale")
        #expect(result.stderr.contains("can't be converted"), "\(result.stderr)")

        (result, sandbox) = try fetch("truncated.tar.gz")
        #expect(result.status == 1)
        #expect(FileManager.default.fileExists(atPath: "\(sandbox)/site/index.html"), "Mesos leaves a partial extraction behind")
        (result, sandbox) = try fetch("html.tar.gz")
        #expect(result.status == 1)
        #expect(result.stderr.contains("Unrecognized archive format"))

        // The same non-ASCII archive is fine in strict mode, which reads names as UTF-8.
        let strict = try corpus.sandbox("strict-nonascii")
        #expect(try T.sitepack(["fetch", corpus.url("nonascii.tar.gz"), "--sandbox", strict, "--quiet"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: "\(strict)/site/café.html"))
    }

    /// HTTP as the Mesos fetcher does it: redirects followed, only a final 200 succeeds, the stall
    /// timeout, retries after transport errors; and the schemes and names it refuses.
    @Test func httpBehaviour() throws {
        let corpus = try FetchCorpus()
        var sandbox = try corpus.sandbox("redirect")
        var result = try T.sitepack(["fetch", "\(corpus.baseURL)/redirect/3/benign.tar.gz", "--sandbox", sandbox, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(sandbox)/site/index.html"))

        for status in [404, 204, 500] {
            sandbox = try corpus.sandbox("status-\(status)")
            result = try T.sitepack(["fetch", "\(corpus.baseURL)/status/\(status)", "--sandbox", sandbox, "--quiet"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("HTTP \(status)"), "\(result.stderr)")
            #expect(T.listing(sandbox).isEmpty)
        }

        // A valid archive in a 404 response: extraction runs while it arrives, but nothing is committed.
        for file in ["blocked.tar.gz", "benign.tar.gz"] {
            sandbox = try corpus.sandbox("bad-\(file)")
            result = try T.sitepack(["fetch", "\(corpus.baseURL)/bad/404/\(file)", "--output-file", file, "--sandbox", sandbox, "--quiet"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("HTTP 404"), "\(result.stderr)")
            #expect(T.listing(sandbox).isEmpty, "\(T.listing(sandbox))")
        }

        // Extraction while bytes trickle in gives GNU tar's result; a connection cut halfway leaves nothing
        // (and is not retried: the extractor already used the first bytes).
        for file in ["blocked.tar.gz", "benign.tar.gz", "benign.tar.xz"] {
            sandbox = try corpus.sandbox("slow-\(file)")
            result = try T.sitepack(["fetch", "\(corpus.baseURL)/slow/\(file)", "--output-file", file, "--sandbox", sandbox, "--quiet"])
            #expect(result.status == 0, "\(file): \(result.stderr)")
            let reference = try corpus.sandbox("slow-reference-\(file)")
            try T.shell("cd '\(reference)' && tar -xf '\(corpus.files)/\(file)' && cp '\(corpus.files)/\(file)' .")
            #expect(try T.shell("diff -r --no-dereference '\(sandbox)' '\(reference)'").status == 0, "\(file)")

            sandbox = try corpus.sandbox("cut-\(file)")
            result = try T.sitepack(["fetch", "\(corpus.baseURL)/cut/\(file)", "--output-file", file, "--sandbox", sandbox, "--quiet"])
            #expect(result.status == 1, "\(file): \(result.stderr)")
            #expect(!result.stderr.contains("retrying"))
            #expect(T.listing(sandbox).isEmpty, "\(T.listing(sandbox))")
        }

        sandbox = try corpus.sandbox("stall")
        result = try T.sitepack(["fetch", "\(corpus.baseURL)/stall/benign.tar.gz", "--stall-timeout", "1s", "--retries", "0", "--sandbox", sandbox, "--quiet"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("stall timeout"), "\(result.stderr)")
        #expect(T.listing(sandbox).isEmpty)

        sandbox = try corpus.sandbox("flaky")
        result = try T.sitepack(["fetch", "\(corpus.baseURL)/flaky/benign.tar.gz", "--retries", "2", "--sandbox", sandbox])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("retrying"))
        #expect(FileManager.default.fileExists(atPath: "\(sandbox)/site/index.html"))

        sandbox = try corpus.sandbox("refused")
        result = try T.sitepack(["fetch", "ftp://127.0.0.1/x.tar.gz", "--sandbox", sandbox])
        #expect(result.status == 1)
        #expect(result.stderr.contains("unsupported scheme 'ftp'"))
        result = try T.sitepack(["fetch", "http://127.0.0.1", "--sandbox", sandbox])
        #expect(result.stderr.contains("Malformed URI (missing path)"))
        result = try T.sitepack(["fetch", "http://127.0.0.1/it's.tgz", "--sandbox", sandbox])
        #expect(result.stderr.contains("Illegal characters in URI"))
        result = try T.sitepack(["fetch", corpus.url("benign.tar.gz"), "--output-file", "../x.tgz", "--sandbox", sandbox])
        #expect(result.status == 3)

        // A query string stops extraction, with Mesos's warning and ours; output_file fixes it.
        sandbox = try corpus.sandbox("query")
        result = try T.sitepack(["fetch", corpus.url("benign.tar.gz") + "?v=3", "--sandbox", sandbox])
        #expect(result.status == 0)
        #expect(result.stderr.contains("does not seem to be an archive"))
        #expect(result.stderr.contains("--output-file benign.tar.gz"))
        #expect(T.listing(sandbox) == ["benign.tar.gz?v=3"])
        sandbox = try corpus.sandbox("query-fixed")
        result = try T.sitepack(["fetch", corpus.url("benign.tar.gz") + "?v=3", "--output-file", "benign.tar.gz", "--sandbox", sandbox])
        #expect(FileManager.default.fileExists(atPath: "\(sandbox)/site/index.html"))
    }

    /// `--sha256`: a match extracts, a mismatch exits 4 with nothing extracted and no download left.
    @Test func sha256Gate() throws {
        let corpus = try FetchCorpus()
        let digest = try #require(try T.shell("sha256sum '\(corpus.files)/blocked.tar.gz'").stdout.split(separator: " ").first.map(String.init))
        var sandbox = try corpus.sandbox("sha-ok")
        var result = try T.sitepack(["fetch", corpus.url("blocked.tar.gz"), "--sha256", digest, "--sandbox", sandbox, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(digest))
        #expect(FileManager.default.fileExists(atPath: "\(sandbox)/site/big.bin"))

        sandbox = try corpus.sandbox("sha-bad")
        result = try T.sitepack(["fetch", corpus.url("blocked.tar.gz"), "--sha256", String(repeating: "0", count: 64), "--sandbox", sandbox])
        #expect(result.status == 4)
        #expect(result.stderr.contains("sha256 mismatch"))
        #expect(T.listing(sandbox).isEmpty, "\(T.listing(sandbox))")
    }

    /// Executables get 0755 and are never extracted; bare .gz is gunzipped; other names are copied
    /// with Mesos's warning; --task reads TaskInfo, ACCEPT and Marathon JSON.
    @Test func actionsAndTaskFiles() throws {
        let corpus = try FetchCorpus()
        let task = try corpus.sandbox("task-json")
        let uris = #"[{"value":"\#(corpus.url("benign.tar.gz"))"},{"value":"\#(corpus.url("tool.sh"))","executable":true},{"value":"\#(corpus.url("notes.txt.gz"))"},{"value":"\#(corpus.url("blocked.tar.gz"))","extract":false,"output_file":"keep/blocked.tar.gz"}]"#
        let documents = [
            "taskinfo": #"{"name":"t","task_id":{"value":"t"},"agent_id":{"value":"a"},"command":{"value":"true","uris":\#(uris)}}"#,
            "accept": #"{"type":"ACCEPT","accept":{"operations":[{"type":"LAUNCH","launch":{"task_infos":[{"name":"t","command":{"uris":\#(uris)}}]}}]}}"#,
        ]
        for (kind, text) in documents {
            let file = "\(task)/\(kind).json"
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            let sandbox = try corpus.sandbox("task-\(kind)")
            let result = try T.sitepack(["fetch", "--task", file, "--sandbox", sandbox, "--quiet"])
            #expect(result.status == 0, "\(kind): \(result.stderr)")
            #expect(FileManager.default.fileExists(atPath: "\(sandbox)/site/index.html"))
            #expect(FileManager.default.fileExists(atPath: "\(sandbox)/benign.tar.gz"))
            #expect((try FileManager.default.attributesOfItem(atPath: "\(sandbox)/tool.sh"))[.posixPermissions] as? Int == 0o755)
            #expect(try String(contentsOfFile: "\(sandbox)/notes.txt", encoding: .utf8).hasPrefix("plain gzip content\n"))
            #expect(FileManager.default.fileExists(atPath: "\(sandbox)/keep/blocked.tar.gz"))
            // blocked.tar.gz holds site/ too; with extract: false it is only copied, so site/ stays benign.tar.gz's.
        }
        let marathon = "\(task)/app.json"
        try Data(#"{"id":"/x","cmd":"true","fetch":[{"uri":"\#(corpus.url("tool.sh"))","extract":true}]}"#.utf8).write(to: URL(fileURLWithPath: marathon))
        let sandbox = try corpus.sandbox("task-marathon")
        let result = try T.sitepack(["fetch", "--task", marathon, "--sandbox", sandbox])
        #expect(result.status == 0)
        #expect(result.stderr.contains("does not seem to be an archive"))
        #expect(T.listing(sandbox) == ["tool.sh"])
    }

    /// Two processes fetching the same URI at once download it once; a known sha256 keys the cache;
    /// the cache stays under its size by evicting the least recently used object.
    @Test func cacheIsSharedAndBounded() throws {
        let corpus = try FetchCorpus()
        let cache = try corpus.sandbox("cache")
        let first = try corpus.sandbox("cache-a")
        let second = try corpus.sandbox("cache-b")
        let url = corpus.url("benign.tar.gz")
        let both = try T.shell("""
            '\(T.binary)' fetch '\(url)' --cache --cache-dir '\(cache)' --sandbox '\(first)' --json > '\(first).json' &
            '\(T.binary)' fetch '\(url)' --cache --cache-dir '\(cache)' --sandbox '\(second)' --json > '\(second).json'
            wait
            """)
        #expect(both.status == 0, "\(both.stderr)")
        let outcomes = try [first, second].map { try String(contentsOfFile: "\($0).json", encoding: .utf8) }
        #expect(outcomes.filter { $0.contains(#""cache" : "hit""#) }.count == 1)
        #expect(outcomes.filter { $0.contains(#""cache" : "miss""#) }.count == 1)
        let count = try T.run("/usr/bin/curl", ["-s", "\(corpus.baseURL)/count/benign.tar.gz"]).stdout
        #expect(count == "1", "one download for two processes")
        #expect(FileManager.default.fileExists(atPath: "\(first)/site/index.html"))
        #expect(FileManager.default.fileExists(atPath: "\(second)/site/index.html"))

        // Bounded: with room for about one object, fetching another evicts the older one.
        let small = try corpus.sandbox("cache-small")
        for file in ["benign.tgz", "blocked.tar.gz"] {
            let digest = try T.shell("sha256sum '\(corpus.files)/\(file)' | cut -d' ' -f1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let result = try T.sitepack(["fetch", corpus.url(file), "--sha256", digest, "--cache", "--cache-dir", small,
                                         "--cache-size", "2M", "--sandbox", try corpus.sandbox("small-\(file)"), "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let objects = T.listing("\(small)/objects").filter { !$0.hasSuffix(".sha256") }
        #expect(objects.count == 1, "\(objects)")
        #expect(objects.first?.hasPrefix("sha256-") == true)
    }
}
