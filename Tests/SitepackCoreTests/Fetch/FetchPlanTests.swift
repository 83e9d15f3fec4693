import Foundation
import Testing
@testable import SitepackCore

@Suite struct FetchPlanTests {
    @Test(arguments: [
        ("http://h/site.tar", MesosURI.Action.extract), ("http://h/site.tgz", .extract), ("http://h/site.tar.gz", .extract),
        ("http://h/site.tbz2", .extract), ("http://h/site.tar.bz2", .extract), ("http://h/site.txz", .extract),
        ("http://h/site.tar.xz", .extract), ("http://h/site.zip", .extract),
        ("http://h/notes.txt.gz", .gunzip), ("http://h/site.TAR.GZ", .copyNotArchive), ("http://h/site.Zip", .copyNotArchive),
        ("http://h/site.tar.gz?v=3", .copyNotArchive), ("http://h/run.sh", .copyNotArchive), ("http://h/site.tar.gz.sig", .copyNotArchive),
    ])
    func actionBySuffixIsCaseSensitive(uri: String, action: MesosURI.Action) throws {
        #expect(try FetchPlan(MesosURI(value: uri)).action == action)
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
            let plan = try FetchPlan(MesosURI(value: uri))
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
            #expect(try FetchPlan(MesosURI(value: uri)).contentAddress == nil, "\(uri)")
        }
    }

    @Test func executableWinsOverExtractAndExtractFalseCopies() throws {
        #expect(try FetchPlan(MesosURI(value: "http://h/site.tgz", executable: true)).action == .executable)
        #expect(try FetchPlan(MesosURI(value: "http://h/site.tgz", extract: false)).action == .copy)
    }

    @Test func queryStringWarnsAndOutputFileFixesIt() throws {
        let plan = try FetchPlan(MesosURI(value: "http://h/a/content.tar.gz?v=3"))
        #expect(plan.destinationName == "content.tar.gz?v=3")
        #expect(plan.warnings.contains { $0.contains("Copying instead of extracting") })
        #expect(plan.warnings.contains { $0.contains("query string") && $0.contains("--output-file content.tar.gz") })
        let fixed = try FetchPlan(MesosURI(value: "http://h/a/content.tar.gz?v=3", outputFile: "content.tar.gz"))
        #expect(fixed.action == .extract)
        #expect(fixed.warnings.isEmpty)
        let cached = try FetchPlan(MesosURI(value: "http://h/a/content.tar.gz?v=3", cache: true))
        #expect(cached.warnings.contains { $0.contains("cache file name comes from the URI") })
        // As in Mesos, with the cache output_file does not rescue extraction (the suffix test uses the URI's name).
        let cachedFixed = try FetchPlan(MesosURI(value: "http://h/a/content.tar.gz?v=3", cache: true, outputFile: "content.tar.gz"))
        #expect(cachedFixed.action == .copyNotArchive)
        #expect(try FetchPlan(MesosURI(value: "http://h/a/content.tar.gz", cache: true, outputFile: "renamed.bin")).action == .extract)
    }

    @Test func outputFileRules() throws {
        #expect(throws: SitepackError.self) { try FetchPlan(MesosURI(value: "http://h/a.tgz", outputFile: "")) }
        #expect(throws: SitepackError.self) { try FetchPlan(MesosURI(value: "http://h/a.tgz", outputFile: "/etc/x")) }
        #expect(try FetchPlan(MesosURI(value: "http://h/a.tgz", outputFile: "dir/b.tgz")).destinationName == "dir/b.tgz")
        // Mesos accepts "..": only strict mode refuses it (exit 3).
        do {
            _ = try FetchPlan(MesosURI(value: "http://h/a.tgz", outputFile: "../x.tgz"))
            Issue.record("strict mode accepted ../")
        } catch let error as SitepackError {
            #expect(error.code.exitStatus == SitepackError.ExitStatus.unsafeInput)
        }
        #expect(try FetchPlan(MesosURI(value: "http://h/a.tgz", outputFile: "../x.tgz"), mode: .mesosCompat).destinationName == "../x.tgz")
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
