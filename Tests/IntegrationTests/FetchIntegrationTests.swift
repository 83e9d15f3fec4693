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
            // many.tar.gz holds 200,000 entries, under the default limit: an explicit one still tests the refusal.
            let limit = item.file == "many.tar.gz" ? ["--max-files", "4096"] : []
            let result = try T.sitepack(["fetch", corpus.url(item.file), "--sandbox", sandbox, "--quiet"] + limit)
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

    /// The `uris[0]` object of `sitepack fetch --json` output.
    static func firstURI(_ output: FetchTestSupport.Output) throws -> [String: Any] {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stdout)")
        return try #require((json["uris"] as? [[String: Any]])?.first)
    }

    /// A content-addressed URL is fetched as if `--sha256` named its digest, with or without the cache
    /// and with `--task` (where `--sha256` cannot be given): wrong bytes exit 4 naming the URL, with
    /// nothing extracted and nothing cached; good bytes are cached by the digest, and a second fetch
    /// is a verified hit. Any other URL is cached by its text and reported unverified.
    @Test func contentAddressedURLsAreVerifiedAndCachedByDigest() throws {
        let corpus = try FetchCorpus()
        let v1 = try corpus.pack(["site/index.html": "v1\n"], as: "v1")
        let v2 = try corpus.pack(["site/index.html": "v2\n"], as: "v2")
        let (good, sha1) = try corpus.publish(v1)
        let wrong = try corpus.publish(v2, store: "wrong", digest: sha1).url
        let cache = try corpus.sandbox("ca-cache")
        func cachedObjects() -> [String] { T.listing("\(cache)/objects").filter { !$0.hasPrefix(".") } }

        for flags in [[], ["--cache-dir", cache]] {
            let sandbox = try corpus.sandbox("ca-wrong-\(flags.count)")
            let result = try T.sitepack(["fetch", wrong, "--sandbox", sandbox] + flags)
            #expect(result.status == 4, "\(flags): \(result.stderr)")
            #expect(result.stderr.contains("sha256 mismatch for \(wrong)"), "\(result.stderr)")
            #expect(T.listing(sandbox).isEmpty, "\(T.listing(sandbox))")
            #expect(cachedObjects().isEmpty, "\(cachedObjects())")
        }
        let taskFile = "\(try corpus.sandbox("ca-task"))/task.json"
        try Data(#"{"command":{"value":"true","uris":[{"value":"\#(wrong)","cache":true}]}}"#.utf8).write(to: URL(fileURLWithPath: taskFile))
        let sandbox = try corpus.sandbox("ca-task-sandbox")
        let viaTask = try T.sitepack(["fetch", "--task", taskFile, "--cache-dir", cache, "--sandbox", sandbox])
        #expect(viaTask.status == 4, "\(viaTask.stderr)")
        #expect(T.listing(sandbox).isEmpty)
        #expect(cachedObjects().isEmpty)

        let first = try T.sitepack(["fetch", good, "--cache-dir", cache, "--sandbox", try corpus.sandbox("ca-first"), "--json", "--quiet"])
        #expect(first.status == 0, "\(first.stderr)")
        let firstURI = try Self.firstURI(first)
        #expect(firstURI["cache"] as? String == "miss")
        #expect(firstURI["cache_key"] as? String == "sha256")
        #expect(firstURI["verified"] as? Bool == true)
        #expect(cachedObjects() == ["sha256-\(sha1)", "sha256-\(sha1).sha256"])
        let secondSandbox = try corpus.sandbox("ca-second")
        let second = try T.sitepack(["fetch", good, "--cache-dir", cache, "--sandbox", secondSandbox, "--json", "--quiet"])
        #expect(second.status == 0, "\(second.stderr)")
        let secondURI = try Self.firstURI(second)
        #expect(secondURI["cache"] as? String == "hit")
        #expect(secondURI["cache_key"] as? String == "sha256")
        #expect(secondURI["verified"] as? Bool == true)
        #expect(try String(contentsOfFile: "\(secondSandbox)/site/index.html", encoding: .utf8) == "v1\n")
        let path = good.replacingOccurrences(of: "\(corpus.baseURL)/files/", with: "")
        #expect(try T.run("/usr/bin/curl", ["-s", "\(corpus.baseURL)/count/\(path)"]).stdout == "1", "the hit did not download")

        let mutable = try T.sitepack(["fetch", corpus.url("benign.tar.gz"), "--cache-dir", cache, "--sandbox", try corpus.sandbox("ca-mutable"), "--json", "--quiet"])
        #expect(mutable.status == 0, "\(mutable.stderr)")
        let mutableURI = try Self.firstURI(mutable)
        #expect(mutableURI["cache_key"] as? String == "uri")
        #expect(mutableURI["verified"] as? Bool == false)
        let uncached = try T.sitepack(["fetch", good, "--sandbox", try corpus.sandbox("ca-uncached"), "--json", "--quiet"])
        let uncachedURI = try Self.firstURI(uncached)
        #expect(uncachedURI["verified"] as? Bool == true)
        #expect(uncachedURI["cache_key"] == nil && uncachedURI["cache"] == nil)

        // --sha256 may repeat the URL's digest, never contradict it.
        let conflictSandbox = try corpus.sandbox("ca-conflict")
        let conflict = try T.sitepack(["fetch", good, "--sha256", try corpus.sha256(v2), "--sandbox", conflictSandbox])
        #expect(conflict.status == 2, "\(conflict.stderr)")
        #expect(conflict.stderr.contains("contradicts \(good)"), "\(conflict.stderr)")
        #expect(T.listing(conflictSandbox).isEmpty)
        #expect(try T.sitepack(["fetch", good, "--sha256", sha1, "--sandbox", try corpus.sandbox("ca-agree"), "--quiet"]).status == 0)
    }

    /// Fetching v2 into a sandbox holding v1 leaves exactly v2 (what GNU tar extracts into an empty
    /// folder, plus the kept archive): files only in v1 are gone, no staging folder stays — whether the
    /// archive comes verified, streamed while downloading, or from the cache. A rerun that fails
    /// (wrong bytes, a hostile or truncated archive, a cut connection) leaves the previous tree as it
    /// was. A symlink named like the archive's top folder is replaced, never followed.
    @Test func fetchingAgainReplacesTheSiteWhole() throws {
        let corpus = try FetchCorpus()
        let v1 = try corpus.pack(["site/index.html": "v1\n", "site/only-v1.html": "v1\n", "site/sub/a.txt": "v1\n"], as: "rerun-v1")
        let v2 = try corpus.pack(["site/index.html": "v2\n", "site/only-v2.html": "v2\n", "site/sub/b.txt": "v2\n"], as: "rerun-v2")
        let (url1, _) = try corpus.publish(v1)
        let (url2, sha2) = try corpus.publish(v2)
        let wrong2 = try corpus.publish(v1, store: "wrong", digest: sha2).url
        let reference = try corpus.sandbox("rerun-reference")
        try T.shell("cd '\(reference)' && tar -xf '\(v2)' && cp '\(v2)' content.tar.gz")
        func sameAsReference(_ sandbox: String, _ what: String) throws {
            let diff = try T.shell("diff -r --no-dereference '\(sandbox)' '\(reference)'")
            #expect(diff.status == 0, "\(what): \(diff.stdout)")
        }

        for (label, flags) in [("verified", [String]()), ("cached", ["--cache-dir", try corpus.sandbox("rerun-cache")])] {
            let sandbox = try corpus.sandbox("rerun-\(label)")
            for url in [url1, url2] {
                let result = try T.sitepack(["fetch", url, "--sandbox", sandbox, "--quiet"] + flags)
                #expect(result.status == 0, "\(label) \(url): \(result.stderr)")
            }
            if flags.isEmpty {
                try sameAsReference(sandbox, label)
            } else {
                // From the cache the archive is extracted where it lies and not copied, as Mesos does.
                try FileManager.default.copyItem(atPath: v2, toPath: "\(sandbox)/content.tar.gz")
                try sameAsReference(sandbox, label)
                try FileManager.default.removeItem(atPath: "\(sandbox)/content.tar.gz")
            }
        }

        let sandbox = try corpus.sandbox("rerun-failures")
        #expect(try T.sitepack(["fetch", url2, "--sandbox", sandbox, "--quiet"]).status == 0)
        let failures: [(url: String, status: Int32)] = [
            (wrong2, 4), (corpus.url("symlink-dir.tar.gz"), 3), (corpus.url("dotdot.tar.gz"), 3),
            (corpus.url("truncated.tar.gz"), 1), ("\(corpus.baseURL)/cut/benign.tar.gz", 1),
        ]
        for failure in failures {
            let result = try T.sitepack(["fetch", failure.url, "--output-file", "other.tar.gz", "--sandbox", sandbox, "--quiet"])
            #expect(result.status == failure.status, "\(failure.url): \(result.stderr)")
            try sameAsReference(sandbox, failure.url)
        }
        #expect(corpus.canaryListing == ["secret.txt"])

        // Streamed while downloading (no digest): the same replacement.
        let streamed = try corpus.sandbox("rerun-streamed")
        for url in [corpus.url("benign.tar.gz"), "\(corpus.baseURL)/slow/blocked.tar.gz"] {
            let result = try T.sitepack(["fetch", url, "--output-file", "content.tar.gz", "--sandbox", streamed, "--quiet"])
            #expect(result.status == 0, "\(url): \(result.stderr)")
        }
        let streamedReference = try corpus.sandbox("rerun-streamed-reference")
        try T.shell("cd '\(streamedReference)' && tar -xf '\(corpus.files)/blocked.tar.gz' && cp '\(corpus.files)/blocked.tar.gz' content.tar.gz")
        let diff = try T.shell("diff -r --no-dereference '\(streamed)' '\(streamedReference)'")
        #expect(diff.status == 0, "\(diff.stdout)")

        // A symlink where the site goes is replaced as a name; its target is not touched.
        let linked = try corpus.sandbox("rerun-symlink")
        try FileManager.default.createSymbolicLink(atPath: "\(linked)/site", withDestinationPath: "../canary")
        #expect(try T.sitepack(["fetch", url2, "--sandbox", linked, "--quiet"]).status == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: "\(linked)/site"))[.type] as? FileAttributeType == .typeDirectory)
        #expect(try String(contentsOfFile: "\(linked)/site/index.html", encoding: .utf8) == "v2\n")
        #expect(corpus.canaryListing == ["secret.txt"])
    }

    /// Progress is for people: on a terminal (`script` gives the command a pseudo-terminal, as
    /// BuildCommandTests does) a multi-MB fetch draws its download and extraction on stderr; piped, or
    /// with `--quiet`, only the result line appears.
    @Test func progressOnATerminalOnly() throws {
        let corpus = try FetchCorpus()
        let folder = try corpus.temp.sub("big/site")
        try Data("big\n".utf8).write(to: URL(fileURLWithPath: "\(folder)/index.html"))
        try T.shell("head -c 8388608 /dev/urandom > '\(folder)/big.bin'")
        let archive = "\(corpus.temp.path)/big.tar.gz"
        try T.shell("tar -czf '\(archive)' -C '\(corpus.temp.path)/big' site")
        let (url, sha) = try corpus.publish(archive, site: "big")

        let onTerminal = try corpus.sandbox("progress-tty")
        let shown = try T.run("script", ["-qec", "'\(T.binary)' fetch '\(url)' --sandbox '\(onTerminal)' >/dev/null", "/dev/null"])
        #expect(shown.status == 0, "\(shown.stdout)")
        #expect(shown.stdout.contains("fetch content.tar.gz") && shown.stdout.contains("MiB"), "\(shown.stdout)")
        #expect(shown.stdout.contains("extract content.tar.gz"), "\(shown.stdout)")
        #expect(FileManager.default.fileExists(atPath: "\(onTerminal)/site/big.bin"))

        let pipedSandbox = try corpus.sandbox("progress-piped")
        let piped = try T.sitepack(["fetch", url, "--sandbox", pipedSandbox])
        #expect(piped.status == 0)
        #expect(piped.stderr.isEmpty, "\(piped.stderr)")
        let line = "\(sha)  \(pipedSandbox)/content.tar.gz  (2 files, "
        #expect(piped.stdout.hasPrefix(line) && piped.stdout.filter { $0 == "\n" }.count == 1, "\(piped.stdout)")

        let quietSandbox = try corpus.sandbox("progress-quiet")
        let quiet = try T.run("script", ["-qec", "'\(T.binary)' fetch '\(url)' --sandbox '\(quietSandbox)' --quiet", "/dev/null"])
        #expect(quiet.status == 0)
        let lines = quiet.stdout.split(whereSeparator: { $0 == "\r" || $0 == "\n" })
        #expect(lines.count == 1 && lines.first?.hasPrefix("\(sha)  \(quietSandbox)/content.tar.gz  (2 files, ") == true, "\(quiet.stdout)")
        #expect(!quiet.stdout.contains("\u{1B}"), "no terminal control sequences with --quiet")
    }
}
