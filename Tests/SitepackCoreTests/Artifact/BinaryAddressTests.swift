import Foundation
import SitepackCore
import SitepackTestSupport
import Testing

@Suite("BinaryAddress: the one spelling of /bin/<sha256>/sitepack")
struct BinaryAddressTests {
    static let sha = String(repeating: "c0", count: 32)

    @Test("URL path, alias, parsing and request segments accept only the content-addressed shape")
    func spelling() throws {
        let address = try BinaryAddress(sha256: Self.sha.uppercased())
        #expect(address.sha256 == Self.sha)
        #expect(address.urlPath == "/bin/\(Self.sha)/sitepack")
        #expect(address.url(origin: "http://h:9") == "http://h:9/bin/\(Self.sha)/sitepack")
        #expect(BinaryAddress.aliasPath == "/bin/sitepack")
        #expect(BinaryAddress.parse(urlPath: "/bin/\(Self.sha)/sitepack") == address)
        #expect(BinaryAddress.parse(urlPath: "/proxy/bin/\(Self.sha)/sitepack") == address)
        #expect(BinaryAddress.parse(urlPath: "/bin/sitepack") == nil)
        #expect(BinaryAddress.parse(urlPath: "/bin/\(Self.sha.uppercased())/sitepack") == nil)
        #expect(BinaryAddress.parse(urlPath: "/bin/\(Self.sha)/sitepack/") == nil)
        #expect(BinaryAddress.parse(urlPath: "/sbin/\(Self.sha)/sitepack") == nil)
        #expect(BinaryAddress.requestedDigest(segments: ["bin", Self.sha, "sitepack"]) == Self.sha)
        #expect(BinaryAddress.requestedDigest(segments: ["bin", "latest", "sitepack"]) == nil)
        #expect(BinaryAddress.requestedDigest(segments: ["bin", "sitepack"]) == nil)
        #expect(throws: SitepackError.self) { try BinaryAddress(sha256: "abc") }
    }

    @Test("a file's address is the digest sha256sum prints, also for the running executable")
    func hashing() throws {
        let dir = try TemporaryDirectory("sitepack-binary-address")
        defer { dir.remove() }
        let file = try dir.write("tool", String(repeating: "binary bytes\n", count: 200_000))
        let expected = String(try Subprocess.run(["sha256sum", file]).stdout.prefix(64))
        #expect(try BinaryAddress.of(path: file).sha256 == expected)
        // Hashed through a descriptor with pread: its offset is left where it was.
        let fd = open(file, O_RDONLY)
        defer { close(fd) }
        _ = lseek(fd, 7, SEEK_SET)
        #expect(try BinaryAddress.of(descriptor: fd, path: file).sha256 == expected)
        #expect(lseek(fd, 0, SEEK_CUR) == 7)
        let running = String(try Subprocess.run(["sha256sum", "/proc/\(getpid())/exe"]).stdout.prefix(64))
        #expect(try BinaryAddress.runningExecutable().sha256 == running)
        #expect(throws: SitepackError.self) { try BinaryAddress.of(path: dir.path) }
        #expect(throws: SitepackError.self) { try BinaryAddress.of(path: dir.join("missing")) }
    }
}
