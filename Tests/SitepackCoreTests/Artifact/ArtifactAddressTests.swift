import SitepackCore
import Testing

@Suite("ArtifactAddress and SiteName: the one spelling of /sites/<name>/<sha256>/content.tar.gz")
struct ArtifactAddressTests {
    static let sha = String(repeating: "ab", count: 32)

    @Test("URL paths, the latest alias, the checksum line and store folders")
    func spelling() throws {
        let address = try ArtifactAddress(name: "My_Site", sha256: Self.sha.uppercased())
        #expect(address.sha256 == Self.sha)
        #expect(address.urlPath() == "/sites/My_Site/\(Self.sha)/content.tar.gz")
        #expect(address.urlPath(ArtifactAddress.manifestFile) == "/sites/My_Site/\(Self.sha)/manifest.json")
        #expect(ArtifactAddress.latestPath(name: "My_Site") == "/sites/My_Site/latest/content.tar.gz")
        #expect(address.checksumLine == "\(Self.sha)  content.tar.gz\n")
        #expect(address.versionFolder(in: "/srv/dist") == "/srv/dist/sites/My_Site/\(Self.sha)")
        #expect(address.description == "My_Site@\(Self.sha)")
        #expect(try ArtifactAddress(parsingPin: "My_Site@\(Self.sha)") == address)
    }

    @Test("parsing accepts only the immutable shape with a valid name and a lower-case digest")
    func parsing() throws {
        let address = try ArtifactAddress(name: "docs", sha256: Self.sha)
        #expect(ArtifactAddress.parse(urlPath: "/prefix/sites/docs/\(Self.sha)/content.tar.gz") == address)
        #expect(ArtifactAddress.parse(urlPath: "/sites/docs/latest/content.tar.gz") == nil)
        #expect(ArtifactAddress.parse(urlPath: "/sites/docs/\(Self.sha.uppercased())/content.tar.gz") == nil)
        #expect(ArtifactAddress.parse(urlPath: "/sites/.hidden/\(Self.sha)/content.tar.gz") == nil)
        #expect(ArtifactAddress.parse(urlPath: "/sites/docs/\(Self.sha)/manifest.json") == nil)
        #expect(ArtifactAddress.target(segments: ["sites", "docs", "latest", "manifest.json"]) == .latest(name: "docs", file: "manifest.json"))
        #expect(ArtifactAddress.target(segments: ["sites", "docs", Self.sha, "content.tar.gz.sha256"]) == .version(address, file: "content.tar.gz.sha256"))
        #expect(ArtifactAddress.target(segments: ["sites", "docs", Self.sha, "index.html"]) == nil)
        #expect(throws: SitepackError.self) { try ArtifactAddress(parsingPin: "docs") }
        #expect(throws: SitepackError.self) { try ArtifactAddress(name: "docs", sha256: "abc") }
    }

    @Test("site names: what build accepts, and the DNS label derived from it")
    func siteNames() {
        for good in ["docs", "My_Site", "a.b-c", "9", String(repeating: "x", count: 200)] { #expect(SiteName.isValid(good), "\(good)") }
        for bad in ["", ".hidden", "..", "a/b", "a b", "é", String(repeating: "x", count: 201)] { #expect(!SiteName.isValid(bad), "\(bad)") }
        #expect(SiteName.dnsLabel("My_Site.v2") == "my-site-v2")
        #expect(SiteName.dnsLabel("--x--") == "x")
        #expect(SiteName.dnsLabel("_") == "site")
    }
}
