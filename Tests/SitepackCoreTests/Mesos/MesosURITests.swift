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
        #expect(try MesosURI.basename(uri) == expected)
    }

    @Test(arguments: ["http://host", "http://host/", "https://h"])
    func missingPathIsRefused(uri: String) {
        #expect(throws: SitepackError.self) { try MesosURI.basename(uri) }
        do { _ = try MesosURI.basename(uri) } catch let error as SitepackError {
            #expect(error.message.hasPrefix("Malformed URI (missing path)"))
            #expect(error.code == .fetchBadURI)
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test(arguments: ["http://h/a\\b.tgz", "http://h/it's.tgz", "http://h/a\u{0}b"])
    func illegalCharactersAreRefused(uri: String) {
        do {
            _ = try MesosURI.basename(uri)
            Issue.record("accepted \(uri)")
        } catch let error as SitepackError {
            #expect(error.message.hasPrefix("Illegal characters in URI"))
        } catch { Issue.record("unexpected \(error)") }
    }
}

/// One model of `CommandInfo.URI`: the proto's JSON both ways, Marathon's spelling mapped 1:1, and
/// the fetcher's extraction rules in one place.
@Suite("MesosURI")
struct MesosURITests {
    @Test("encodes with mesos.proto's snake_case names; output_file only when set")
    func encodesAsTheProto() throws {
        let uri = MesosURI(value: "http://h/a.tgz", cache: true, outputFile: "site.tgz")
        #expect(try MesosJSON.encodePretty([uri]).filter { !$0.isWhitespace }
            == #"[{"cache":true,"executable":false,"extract":true,"output_file":"site.tgz","value":"http://h/a.tgz"}]"#)
        #expect(try MesosJSON.encodePretty(MesosURI(value: "http://h/a.tgz")).contains("output_file") == false)
    }

    @Test("decoding gives absent or null fields the proto defaults; value is required")
    func decodesWithProtoDefaults() throws {
        let decoded = try JSONDecoder().decode(MesosURI.self, from: Data(#"{"value":"http://h/a.tgz","cache":null}"#.utf8))
        #expect(decoded == MesosURI(value: "http://h/a.tgz", extract: true, executable: false, cache: false, outputFile: nil))
        let full = MesosURI(value: "http://h/run", extract: false, executable: true, cache: true, outputFile: "bin/run")
        #expect(try JSONDecoder().decode(MesosURI.self, from: JSONEncoder().encode(full)) == full)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(MesosURI.self, from: Data(#"{"extract":true}"#.utf8)) }
    }

    @Test("a Marathon fetch entry is the same URI under Marathon's names and defaults")
    func marathonFetchMapsOneToOne() throws {
        let uri = MesosURI(value: "http://h/a.tgz", extract: false, executable: true, cache: true, outputFile: "x.tgz")
        #expect(MarathonApp.Fetch(uri).mesosURI == uri)
        let decoded = try JSONDecoder().decode(MarathonApp.Fetch.self, from: Data(#"{"uri":"http://h/a.tgz","destPath":"b.tgz"}"#.utf8))
        #expect(decoded.mesosURI == MesosURI(value: "http://h/a.tgz", outputFile: "b.tgz"))
    }

    @Test("the destination is output_file or the basename with its query string; with cache the suffix is tested on the URI's name")
    func namesAndActions() throws {
        #expect(try MesosURI(value: "http://h/a/content.tar.gz?v=3").destinationName() == "content.tar.gz?v=3")
        #expect(try MesosURI(value: "http://h/a/content.tar.gz?v=3").action() == .copyNotArchive)
        let renamed = MesosURI(value: "http://h/a/content.tar.gz?v=3", outputFile: "content.tar.gz")
        #expect(try renamed.destinationName() == "content.tar.gz")
        #expect(try renamed.action() == .extract)
        var cached = renamed
        cached.cache = true
        #expect(try cached.extractionTestedName() == "content.tar.gz?v=3")
        #expect(try cached.action() == .copyNotArchive)
        #expect(try MesosURI(value: "http://h/notes.txt.gz").action() == .gunzip)
        #expect(try MesosURI(value: "http://h/site.tgz", extract: false).action() == .copy)
        #expect(try MesosURI(value: "http://h/site.tgz", executable: true).action() == .executable)
        #expect(throws: SitepackError.self) { try MesosURI(value: "http://h/a.tgz", outputFile: "/etc/x").destinationName() }
        #expect(throws: SitepackError.self) { try MesosURI(value: "http://h", outputFile: "a.tgz").destinationName() }
    }

    @Test("sitepack artifacts use the .tar.gz and .tgz subset of the extracted suffixes, case-sensitively")
    func artifactSuffixesAreASubset() {
        #expect(MesosURI.artifactSuffixes.allSatisfy(MesosURI.archiveSuffixes.contains))
        #expect(MesosURI.isArtifactName("content.tar.gz") && MesosURI.isArtifactName("site.tgz"))
        #expect(!MesosURI.isArtifactName("site.zip") && MesosURI.isArchiveName("site.zip"))
        #expect(!MesosURI.isArtifactName("site.TAR.GZ") && !MesosURI.isArchiveName("site.TAR.GZ"))
    }
}
