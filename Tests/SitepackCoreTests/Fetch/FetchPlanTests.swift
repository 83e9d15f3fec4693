import Foundation
import Testing
@testable import SitepackCore

/// The destination-name table of mesos.md §1.4 (`Fetcher::basename`, fetcher.cpp), case by case.
@Suite struct MesosBasenameTests {
    @Test(arguments: [
        ("http://h/a/content.tar.gz?v=3", "content.tar.gz?v=3"),   // query string kept
        ("http://h/get?f=x/site.tgz", "site.tgz"),                 // text after the LAST slash
        ("https://pack.example:8080/sites/docs/9b1e/content.tar.gz", "content.tar.gz"),
        ("http://h/dir/", ""),                                     // URI ending in / → empty name
        ("hdfs://nn/path/file.tar.gz", "file.tar.gz"),
        ("file:///srv/a/site.zip", "site.zip"),
        ("/srv/artifacts/site.tar.gz", "site.tar.gz"),             // no scheme: Path::basename
        ("/foo/bar/", "bar"),                                      // Path::basename ignores trailing /
        ("relative/x.tgz", "x.tgz"),
        ("x.tgz", "x.tgz"),
        ("", "."),
        ("///", "/"),
        ("x://h/y/z", "z"),                                        // "://" at index 1 is not a scheme
        ("http://h/a#frag", "a#frag"),
    ])
    func basename(uri: String, expected: String) throws {
        #expect(try FetchPlan.basename(uri) == expected)
    }

    @Test(arguments: ["http://host", "http://host/", "https://h"])
    func missingPathIsRefused(uri: String) {
        #expect(throws: SitepackError.self) { try FetchPlan.basename(uri) }
        do { _ = try FetchPlan.basename(uri) } catch let error as SitepackError {
            #expect(error.message.hasPrefix("Malformed URI (missing path)"))
            #expect(error.code == .fetchBadURI)
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test(arguments: ["http://h/a\\b.tgz", "http://h/it's.tgz", "http://h/a\u{0}b"])
    func illegalCharactersAreRefused(uri: String) {
        do {
            _ = try FetchPlan.basename(uri)
            Issue.record("accepted \(uri)")
        } catch let error as SitepackError {
            #expect(error.message.hasPrefix("Illegal characters in URI"))
        } catch { Issue.record("unexpected \(error)") }
    }
}

@Suite struct FetchPlanTests {
    @Test(arguments: [
        ("http://h/site.tar", FetchAction.extract), ("http://h/site.tgz", .extract), ("http://h/site.tar.gz", .extract),
        ("http://h/site.tbz2", .extract), ("http://h/site.tar.bz2", .extract), ("http://h/site.txz", .extract),
        ("http://h/site.tar.xz", .extract), ("http://h/site.zip", .extract),
        ("http://h/notes.txt.gz", .gunzip), ("http://h/site.TAR.GZ", .copyNotArchive), ("http://h/site.Zip", .copyNotArchive),
        ("http://h/site.tar.gz?v=3", .copyNotArchive), ("http://h/run.sh", .copyNotArchive), ("http://h/site.tar.gz.sig", .copyNotArchive),
    ])
    func actionBySuffixIsCaseSensitive(uri: String, action: FetchAction) throws {
        #expect(try FetchPlan(FetchURI(value: uri)).action == action)
    }

    /// The digest a URI carries comes from its path only (query and fragment dropped), through
    /// ArtifactAddress, for http(s), file:// and absolute paths alike.
    @Test func contentAddressComesFromThePath() throws {
        let digest = String(repeating: "ab", count: 32)
        let addressed = [
            "http://pack:8080/sites/docs/\(digest)/content.tar.gz",
            "https://pack/prefix/sites/docs/\(digest)/content.tar.gz",
            "http://pack/sites/docs/\(digest)/content.tar.gz?download=1",
            "http://pack/sites/docs/\(digest)/content.tar.gz#x",
            "file:///srv/dist/sites/docs/\(digest)/content.tar.gz",
            "/srv/dist/sites/docs/\(digest)/content.tar.gz",
        ]
        for uri in addressed {
            let plan = try FetchPlan(FetchURI(value: uri))
            #expect(plan.contentAddress == (try ArtifactAddress(name: "docs", sha256: digest)), "\(uri)")
        }
        let mutable = [
            "http://pack/sites/docs/latest/content.tar.gz",
            "http://pack/sites/docs/\(digest.uppercased())/content.tar.gz",
            "http://pack/sites/docs/\(digest)/manifest.json",
            "http://pack/docs.tar.gz",
            "http://pack?q=/sites/docs/\(digest)/content.tar.gz",
            "http://pack/get?f=/sites/docs/\(digest)/content.tar.gz",
        ]
        for uri in mutable {
            #expect(try FetchPlan(FetchURI(value: uri)).contentAddress == nil, "\(uri)")
        }
    }

    @Test func executableWinsOverExtractAndExtractFalseCopies() throws {
        #expect(try FetchPlan(FetchURI(value: "http://h/site.tgz", executable: true)).action == .executable)
        #expect(try FetchPlan(FetchURI(value: "http://h/site.tgz", extract: false)).action == .copy)
    }

    @Test func queryStringWarnsAndOutputFileFixesIt() throws {
        let plan = try FetchPlan(FetchURI(value: "http://h/a/content.tar.gz?v=3"))
        #expect(plan.destinationName == "content.tar.gz?v=3")
        #expect(plan.warnings.contains { $0.contains("Copying instead of extracting") })
        #expect(plan.warnings.contains { $0.contains("query string") && $0.contains("--output-file content.tar.gz") })
        let fixed = try FetchPlan(FetchURI(value: "http://h/a/content.tar.gz?v=3", outputFile: "content.tar.gz"))
        #expect(fixed.action == .extract)
        #expect(fixed.warnings.isEmpty)
        let cached = try FetchPlan(FetchURI(value: "http://h/a/content.tar.gz?v=3", cache: true))
        #expect(cached.warnings.contains { $0.contains("cache file name comes from the URI") })
        // As in Mesos, with the cache output_file does not rescue extraction (the suffix test uses the URI's name).
        let cachedFixed = try FetchPlan(FetchURI(value: "http://h/a/content.tar.gz?v=3", cache: true, outputFile: "content.tar.gz"))
        #expect(cachedFixed.action == .copyNotArchive)
        #expect(try FetchPlan(FetchURI(value: "http://h/a/content.tar.gz", cache: true, outputFile: "renamed.bin")).action == .extract)
    }

    @Test func outputFileRules() throws {
        #expect(throws: SitepackError.self) { try FetchPlan(FetchURI(value: "http://h/a.tgz", outputFile: "")) }
        #expect(throws: SitepackError.self) { try FetchPlan(FetchURI(value: "http://h/a.tgz", outputFile: "/etc/x")) }
        #expect(try FetchPlan(FetchURI(value: "http://h/a.tgz", outputFile: "dir/b.tgz")).destinationName == "dir/b.tgz")
        // Mesos accepts "..": only strict mode refuses it (exit 3).
        do {
            _ = try FetchPlan(FetchURI(value: "http://h/a.tgz", outputFile: "../x.tgz"))
            Issue.record("strict mode accepted ../")
        } catch let error as SitepackError {
            #expect(error.code.exitStatus == SitepackError.ExitStatus.unsafeInput)
        }
        #expect(try FetchPlan(FetchURI(value: "http://h/a.tgz", outputFile: "../x.tgz"), mode: .mesosCompat).destinationName == "../x.tgz")
    }

    @Test func schemeDispatch() throws {
        #expect(try FetchPlan.source(of: "http://h/a") == .http("http://h/a"))
        #expect(try FetchPlan.source(of: "  https://h/a") == .http("https://h/a"))
        #expect(try FetchPlan.source(of: "file:///srv/a.tgz") == .local("/srv/a.tgz"))
        #expect(try FetchPlan.source(of: "file://localhost/srv/a.tgz") == .local("/srv/a.tgz"))
        #expect(try FetchPlan.source(of: "/srv/a.tgz") == .local("/srv/a.tgz"))
        #expect(throws: SitepackError.self) { try FetchPlan.source(of: "file://srv/a.tgz") }
        #expect(throws: SitepackError.self) { try FetchPlan.source(of: "srv/a.tgz") }
        for uri in ["ftp://h/a.tgz", "hdfs://nn/a.tgz", "s3://b/a.tgz"] {
            do {
                _ = try FetchPlan.source(of: uri)
                Issue.record("accepted \(uri)")
            } catch let error as SitepackError {
                #expect(error.code == .fetchUnsupportedScheme)
                #expect(error.message.contains("unsupported scheme"))
            }
        }
    }
}

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
}

@Suite struct TaskURIsTests {
    @Test func taskInfoAcceptAndMarathon() throws {
        let task = #"{"name":"t","task_id":{"value":"t"},"agent_id":{"value":"a"},"command":{"value":"true","uris":[{"value":"http://h/a.tgz","extract":true,"cache":true},{"value":"http://h/run","executable":true,"output_file":"bin/run"}]}}"#
        let fromTask = try TaskURIs.parse(Data(task.utf8), source: "task.json")
        #expect(fromTask == [FetchURI(value: "http://h/a.tgz", cache: true), FetchURI(value: "http://h/run", executable: true, outputFile: "bin/run")])

        let accept = #"{"framework_id":{"value":"f"},"type":"ACCEPT","accept":{"offer_ids":[{"value":"o"}],"operations":[{"type":"LAUNCH","launch":{"task_infos":[\#(task)]}}]}}"#
        #expect(try TaskURIs.parse(Data(accept.utf8), source: "accept.json") == fromTask)

        let marathon = #"{"id":"/sites/docs","cmd":"x","fetch":[{"uri":"http://h/a.tgz","extract":false,"destPath":"b.tgz"}]}"#
        #expect(try TaskURIs.parse(Data(marathon.utf8), source: "app.json") == [FetchURI(value: "http://h/a.tgz", extract: false, outputFile: "b.tgz")])

        #expect(throws: SitepackError.self) { try TaskURIs.parse(Data("{}".utf8), source: "empty.json") }
        #expect(throws: SitepackError.self) { try TaskURIs.parse(Data("nope".utf8), source: "bad.json") }
    }
}
