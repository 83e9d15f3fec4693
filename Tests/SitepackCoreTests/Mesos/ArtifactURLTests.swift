import SitepackCore
import Testing

@Suite("ArtifactURL")
struct ArtifactURLTests {
    @Test("a content-addressed URL is immutable, extractable and names the site")
    func contentAddressed() throws {
        let url = try ArtifactURL(parsing: MesosFixtures.artifact)
        #expect(url.scheme == "http")
        #expect(url.authority == "pack.example:8080")
        #expect(url.origin == "http://pack.example:8080")
        #expect(url.fetcherBasename == "content.tar.gz")
        let expected = try ArtifactAddress(name: "docs", sha256: MesosFixtures.sha256)
        #expect(url.contentAddress == expected)
        #expect(url.isImmutable)
        #expect(url.extractionProblem == nil)
        let prefixed = try ArtifactURL(parsing: "https://cdn.example/pack/sites/blog/\(MesosFixtures.sha256)/content.tar.gz")
        #expect(prefixed.contentAddress?.name == "blog")
    }

    @Test("the fetcher's basename keeps the query string, so such a URL is not extracted")
    func queryString() throws {
        let url = try ArtifactURL(parsing: "http://h/a/content.tar.gz?v=3")
        #expect(url.fetcherBasename == "content.tar.gz?v=3")
        #expect(url.query == "v=3")
        #expect(url.isImmutable == false)
        #expect(url.extractionProblem?.contains("content.tar.gz?v=3") == true)
        let slashInQuery = try ArtifactURL(parsing: "http://h/get?f=x/site.tgz")
        #expect(slashInQuery.fetcherBasename == "site.tgz")
        #expect(slashInQuery.extractionProblem?.contains("query string") == true)
        let digestWithQuery = try ArtifactURL(parsing: MesosFixtures.artifact + "?x=1")
        #expect(digestWithQuery.isImmutable == false)
    }

    @Test("only .tar.gz and .tgz basenames (case-sensitive) are extractable")
    func suffixes() throws {
        #expect(try ArtifactURL(parsing: "http://h/site.tgz").extractionProblem == nil)
        #expect(try ArtifactURL(parsing: "http://h/latest/site.tar.gz").extractionProblem == nil)
        #expect(try ArtifactURL(parsing: "http://h/site.TAR.GZ").extractionProblem?.contains("does not end in .tar.gz") == true)
        #expect(try ArtifactURL(parsing: "http://h/site.zip").extractionProblem != nil)
        #expect(try ArtifactURL(parsing: "http://h/site.tar.gz#frag").extractionProblem?.contains("fragment") == true)
        #expect(try ArtifactURL(parsing: "http://h/sites/docs/latest/content.tar.gz").contentAddress == nil)
    }

    @Test("URLs the fetcher itself rejects are refused")
    func refused() {
        for bad in ["http://host", "http://host/", "pack.example/x.tar.gz", "ftp://h/x.tar.gz", "http://h/it's.tar.gz", "http://h/a\\b.tar.gz", "http://h/a b.tar.gz", "http:///x.tar.gz"] {
            let error = MesosFixtures.error { _ = try ArtifactURL(parsing: bad) }
            #expect(error?.code == .taskArgumentRefused, "\(bad)")
            #expect(error?.code.exitStatus == SitepackError.ExitStatus.usage)
        }
        #expect(MesosFixtures.error { _ = try ArtifactURL(parsing: "http://host") }?.message.contains("Malformed URI (missing path)") == true)
    }
}
