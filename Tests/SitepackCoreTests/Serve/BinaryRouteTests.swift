import Foundation
import Testing
@testable import SitepackCore
#if canImport(Glibc)
import Glibc
#endif

@Suite("ArtifactServer: the sitepack binary at /bin/<sha256>/sitepack", .serialized)
struct BinaryRouteTests {
    /// A fixture whose served "binary" is a file of known bytes instead of the test runner.
    static func withBinary(_ body: @Sendable (ArtifactServer, [UInt8], String) async throws -> Void) async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let bytes = ServeFixture.patternBytes(1_500_000, seed: 14)
        let path = fixture.base.appendingPathComponent("sitepack-binary").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let sha = ServeFixture.sha(bytes)
        try await fixture.withServer({ $0.executablePath = path }) { server in
            try await body(server, bytes, sha)
        }
    }

    @Test("GET and HEAD at the content-addressed URL: the exact bytes, exact Content-Length, strong sha256 ETag, immutable")
    func contentAddressed() async throws {
        try await Self.withBinary { server, bytes, sha in
            let path = "/bin/\(sha)/sitepack"
            #expect(server.binaryURL == server.origin + path)
            #expect(server.binarySize == Int64(bytes.count))
            let get = try RawHTTP.request(port: server.port, path)
            #expect(get.status == 200)
            #expect(get.body == bytes)
            #expect(get["content-length"] == String(bytes.count))
            #expect(get["content-type"] == "application/octet-stream")
            #expect(get["content-encoding"] == nil)
            #expect(get["etag"] == "\"sha256:\(sha)\"")
            #expect(get["cache-control"] == "public, max-age=31536000, immutable")
            #expect(get["accept-ranges"] == "bytes")
            // The fetcher cache sizes by HEAD: same length, no body.
            let head = try RawHTTP.request(port: server.port, method: "HEAD", path)
            #expect(head.status == 200)
            #expect(head["content-length"] == String(bytes.count))
            #expect(head["etag"] == get["etag"])
            #expect(head.body.isEmpty)
        }
    }

    @Test("/bin/sitepack is a 307 to the content-addressed URL, never the bytes; other digests are 404")
    func aliasAndOthers() async throws {
        try await Self.withBinary { server, _, sha in
            for method in ["GET", "HEAD"] {
                let alias = try RawHTTP.request(port: server.port, method: method, "/bin/sitepack")
                #expect(alias.status == 307)
                #expect(alias["location"] == "/bin/\(sha)/sitepack")
                #expect(alias["cache-control"] == "no-cache")
                #expect(alias["etag"] == nil)
            }
            let other = String(repeating: "0", count: 64)
            #expect(try RawHTTP.request(port: server.port, "/bin/\(other)/sitepack").status == 404)
            #expect(try RawHTTP.request(port: server.port, method: "HEAD", "/bin/\(other)/sitepack").status == 404)
            #expect(try RawHTTP.request(port: server.port, "/bin/\(sha.uppercased())/sitepack").status == 404)
            #expect(try RawHTTP.request(port: server.port, "/bin/\(sha)/sitepack/").status == 404)
            #expect(try RawHTTP.request(port: server.port, "/bin/\(sha)").status == 404)
        }
    }

    @Test("ranges and conditionals as for any file")
    func rangesAndConditionals() async throws {
        try await Self.withBinary { server, bytes, sha in
            let path = "/bin/\(sha)/sitepack"
            let etag = "\"sha256:\(sha)\""
            let range = try RawHTTP.request(port: server.port, path, headers: ["Range": "bytes=100-199"])
            #expect(range.status == 206)
            #expect(range.body == Array(bytes[100..<200]))
            #expect(range["content-range"] == "bytes 100-199/\(bytes.count)")
            let resumed = try RawHTTP.request(port: server.port, path, headers: ["Range": "bytes=1000-", "If-Range": etag])
            #expect(resumed.status == 206)
            #expect(resumed.body == Array(bytes[1000...]))
            let stale = try RawHTTP.request(port: server.port, path, headers: ["Range": "bytes=1000-", "If-Range": "\"sha256:\(String(repeating: "1", count: 64))\""])
            #expect(stale.status == 200)
            #expect(stale.body.count == bytes.count)
            #expect(try RawHTTP.request(port: server.port, path, headers: ["If-None-Match": etag]).status == 304)
            #expect(try RawHTTP.request(port: server.port, path, headers: ["If-Match": "\"other\""]).status == 412)
            #expect(try RawHTTP.request(port: server.port, path, headers: ["Range": "bytes=\(bytes.count)-"]).status == 416)
        }
    }

    @Test("without an executable the route is off: no binary URL, /bin/sitepack is a plain (missing) file")
    func routeOff() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer({ configuration in configuration.executablePath = nil }) { server in
            #expect(server.binaryURL == nil)
            #expect(server.binarySize == nil)
            let alias = try RawHTTP.request(port: server.port, "/bin/sitepack")
            #expect(alias.status == 404)
        }
    }

    @Test("the default serves the running executable under its own digest")
    func runningExecutable() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let expected = try BinaryAddress.runningExecutable()
        try await fixture.withServer { server in
            #expect(server.binaryURL == server.origin + expected.urlPath)
            let head = try RawHTTP.request(port: server.port, method: "HEAD", expected.urlPath)
            #expect(head.status == 200)
            #expect(head["content-length"] == String(server.binarySize ?? -1))
        }
    }
}
