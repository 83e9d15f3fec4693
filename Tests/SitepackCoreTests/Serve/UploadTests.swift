import SitepackTestSupport
import Foundation
import Testing
@testable import SitepackCore
#if canImport(Glibc)
import Glibc
#endif

/// `PUT /sites/<name>/<sha256>/<file>` into a served store (what `sitepack publish` sends), over raw
/// sockets so every header and byte reaches the server as written.
@Suite("serve: uploads from sitepack publish", .serialized)
struct UploadTests {
    static let token = "s3cret-token-for-tests"

    /// A version to upload: its three files' bytes, made the way build writes them.
    struct Version {
        let name: String
        let sha256: String
        let archive: [UInt8]
        let checksum: [UInt8]
        let manifest: [UInt8]
        func path(_ file: String = ArtifactAddress.archiveFile) -> String { "/sites/\(name)/\(sha256)/\(file)" }

        init(name: String = "pub", size: Int = 150_000) throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sitepack-upload-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            archive = ServeFixture.randomBytes(size)
            sha256 = try ServeFixture.writeArtifact(archive, name: name, in: folder)
            checksum = Array(try Data(contentsOf: folder.appendingPathComponent("content.tar.gz.sha256")))
            manifest = Array(try Data(contentsOf: folder.appendingPathComponent("manifest.json")))
            self.name = name
        }
    }

    static func uploads(_ configuration: inout ServeConfiguration) {
        configuration.publishToken = try? PublishToken(token)
        configuration.minFree = 0
    }

    /// One PUT (or another method) on its own connection; `declaredLength` overrides Content-Length.
    static func put(port: Int, _ path: String, body: [UInt8], token: String? = UploadTests.token, method: String = "PUT",
                    declaredLength: Int? = nil, extra: [String] = []) throws -> RawResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(declaredLength ?? body.count)\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        for line in extra { head += line + "\r\n" }
        head += "\r\n"
        let responses = RawHTTP.parse(try exchange(port: port, Array(head.utf8) + body))
        guard let first = responses.first else { throw SitepackError(.io, "no response to \(method) \(path)") }
        return first
    }

    /// Sends bytes, half-closes, reads until the server closes.
    static func exchange(port: Int, _ bytes: [UInt8]) throws -> [UInt8] {
        try LoopbackSocket.exchange(port: port, bytes).answer
    }

    static func readAll(_ fd: Int32) -> [UInt8] { LoopbackSocket.readUntilClosed(fd).answer }

    /// Everything an upload may leave in a site's folder, and the site's version folders.
    static func leftovers(_ root: String, name: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/sites/\(name)")) ?? []).sorted()
    }

    @Test("a server starting on a store removes what a killed upload or build left, keeps a live upload's file and a fresh pending archive")
    func restartCleansLeftovers() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let version = try Version()
        let site = fixture.root + "/sites/\(version.name)"
        try FileManager.default.createDirectory(atPath: site + "/.tmp-killedbuild/sub", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: site + "/.tmp-upload-k1LLed", contents: Data(version.archive.prefix(5000)))
        let pending = site + "/.tmp-upload-\(version.sha256).tar.gz"
        _ = FileManager.default.createFile(atPath: pending, contents: Data(version.archive))
        // An upload still being written by a live process (here, this one) is held, and survives.
        let (live, livePath) = try HeldTemporary.makeFile(template: site + "/.tmp-upload-XXXXXX")
        defer { close(live); unlink(livePath) }
        try await fixture.withServer(Self.uploads) { server in
            let left = Self.leftovers(fixture.root, name: version.name)
            #expect(left == [(livePath as NSString).lastPathComponent, (pending as NSString).lastPathComponent].sorted())
            // The pending archive is whole: its manifest completes the version after the restart.
            let completed = try Self.put(port: server.port, version.path(ArtifactAddress.manifestFile), body: version.manifest)
            #expect(completed.status == 201)
            #expect(try RawHTTP.request(port: server.port, version.path()).body == version.archive)
        }
    }

    @Test("without --publish-token-file, PUT and DELETE are 405 with Allow: GET, HEAD, and nothing is written")
    func noTokenFile() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let version = try Version()
        try await fixture.withServer { server in
            for method in ["PUT", "DELETE", "POST"] {
                let response = try Self.put(port: server.port, version.path(), body: version.archive, method: method)
                #expect(response.status == 405, "\(method)")
                #expect(response["allow"] == "GET, HEAD")
            }
            #expect(try RawHTTP.request(port: server.port, "/healthz").status == 200)
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/sites/pub"))
    }

    @Test("a PUT without a token is 401, with a wrong one 403, and nothing is kept or echoed")
    func authentication() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let version = try Version()
        try await fixture.withServer(Self.uploads) { server in
            let missing = try Self.put(port: server.port, version.path(), body: version.archive, token: nil)
            #expect(missing.status == 401)
            #expect(missing["www-authenticate"]?.hasPrefix("Bearer") == true)
            let wrong = try Self.put(port: server.port, version.path(), body: version.archive, token: Self.token + "x")
            #expect(wrong.status == 403)
            #expect(!String(decoding: wrong.body, as: UTF8.self).contains(Self.token))
            let basic = try Self.put(port: server.port, version.path(), body: version.archive, token: nil, extra: ["Authorization: Basic \(Self.token)"])
            #expect(basic.status == 401)
            // PUT goes only to a version's files; with a good token, anywhere else is 405.
            #expect(try Self.put(port: server.port, "/sites/pub/latest/content.tar.gz", body: version.archive).status == 405)
            #expect(try Self.put(port: server.port, "/small.txt", body: version.archive).status == 405)
            #expect(try RawHTTP.request(port: server.port, version.path()).status == 404)
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/sites/pub"))
        #expect((try? String(contentsOfFile: fixture.root + "/small.txt", encoding: .utf8))?.count == 1024)
    }

    @Test("bytes whose sha256 is not the one in the URL are 422 and nothing is kept")
    func digestMismatch() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let version = try Version()
        try await fixture.withServer(Self.uploads) { server in
            var wrong = version.archive
            wrong[wrong.count / 2] ^= 0xff
            let response = try Self.put(port: server.port, version.path(), body: wrong)
            #expect(response.status == 422)
            #expect(String(decoding: response.body, as: UTF8.self).contains("nothing was kept"))
            // Nor does the manifest find an archive to complete.
            #expect(try Self.put(port: server.port, version.path(ArtifactAddress.manifestFile), body: version.manifest).status == 409)
            #expect(try RawHTTP.request(port: server.port, version.path()).status == 404)
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/sites/pub"))
    }

    @Test("bodies over --max-upload are 413: by Content-Length before any byte, and while a chunked body streams")
    func tooLarge() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let version = try Version()
        try await fixture.withServer({ Self.uploads(&$0); $0.maxUpload = 100_000 }) { server in
            // Announced: refused from the head, even when the client lies and sends less.
            let announced = try Self.put(port: server.port, version.path(), body: Array(version.archive.prefix(1000)), declaredLength: 200_000)
            #expect(announced.status == 413)
            // Chunked: counted as it arrives.
            var chunked = "PUT \(version.path()) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer \(Self.token)\r\n\r\n"
            let piece = String(repeating: "a", count: 30_000)
            for _ in 0..<5 { chunked += String(piece.utf8.count, radix: 16) + "\r\n" + piece + "\r\n" }
            chunked += "0\r\n\r\n"
            let streamed = RawHTTP.parse(try Self.exchange(port: server.port, Array(chunked.utf8))).first
            #expect(streamed?.status == 413)
            #expect(try RawHTTP.request(port: server.port, "/healthz").status == 200)
        }
        #expect(await eventually { Self.leftovers(fixture.root, name: "pub").isEmpty })
    }

    @Test("an upload that would leave less than --min-free is 507")
    func insufficientStorage() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let version = try Version()
        try await fixture.withServer({ Self.uploads(&$0); $0.minFree = Int64.max / 2 }) { server in
            let response = try Self.put(port: server.port, version.path(), body: version.archive)
            #expect(response.status == 507)
            #expect(String(decoding: response.body, as: UTF8.self).contains("--min-free"))
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/sites/pub"))
    }

    @Test("archive, checksum, manifest: the version is invisible until its manifest, then served whole, listed and latest; publishing again is 200")
    func publishWhole() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let version = try Version(name: "demo")
        try await fixture.withServer(Self.uploads) { server in
            let port = server.port
            let archive = try Self.put(port: port, version.path(), body: version.archive)
            #expect(archive.status == 201)
            // Received and checked, but not a version yet: not served, not listed, latest unchanged.
            #expect(try RawHTTP.request(port: port, version.path()).status == 404)
            #expect(try RawHTTP.request(port: port, "/sites/demo/latest/content.tar.gz")["location"]?.contains(fixture.storeNew) == true)
            #expect(!String(decoding: try RawHTTP.request(port: port, "/sites").body, as: UTF8.self).contains(version.sha256))
            #expect(!FileManager.default.fileExists(atPath: fixture.root + "/sites/demo/\(version.sha256)"))
            #expect(try Self.put(port: port, version.path(ArtifactAddress.checksumFile), body: Array("0  content.tar.gz\n".utf8)).status == 422)
            #expect(try Self.put(port: port, version.path(ArtifactAddress.checksumFile), body: version.checksum).status == 201)
            let manifest = try Self.put(port: port, version.path(ArtifactAddress.manifestFile), body: version.manifest)
            #expect(manifest.status == 201)
            #expect(manifest["location"] == server.origin + version.path())
            // Answered once the catalog lists it: no wait, no retry needed.
            let get = try RawHTTP.request(port: port, version.path())
            #expect(get.status == 200)
            #expect(get.body == version.archive)
            #expect(get["etag"] == "\"sha256:\(version.sha256)\"")
            #expect(try RawHTTP.request(port: port, version.path(ArtifactAddress.checksumFile)).body == version.checksum)
            #expect(try RawHTTP.request(port: port, version.path(ArtifactAddress.manifestFile)).body == version.manifest)
            #expect(try RawHTTP.request(port: port, "/sites/demo/latest/content.tar.gz")["location"] == version.path())
            #expect(String(decoding: try RawHTTP.request(port: port, "/sites").body, as: UTF8.self).contains(version.sha256))
            // The same bytes again: success, nothing changes.
            #expect(try Self.put(port: port, version.path(), body: version.archive).status == 200)
            #expect(try Self.put(port: port, version.path(ArtifactAddress.checksumFile), body: version.checksum).status == 200)
            #expect(try Self.put(port: port, version.path(ArtifactAddress.manifestFile), body: version.manifest).status == 200)
            // Another manifest for a stored version is a conflict; one for another version a mismatch.
            var other = version.manifest
            other.append(UInt8(ascii: "\n"))
            #expect(try Self.put(port: port, version.path(ArtifactAddress.manifestFile), body: other).status == 409)
            let stranger = try Version(name: "demo")
            #expect(try Self.put(port: port, version.path(ArtifactAddress.manifestFile), body: stranger.manifest).status == 422)
            #expect(try RawHTTP.request(port: port, version.path()).body == version.archive)
        }
        // Exactly the version's folder: no temporary file or pending archive left.
        #expect(Self.leftovers(fixture.root, name: "demo").filter { $0.hasPrefix(".") }.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.root + "/content.tar.gz")) == Data(version.archive))
    }

    @Test("a manifest before its archive is 409; Expect: 100-continue gets 100 only once the upload is accepted")
    func orderAndContinue() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let version = try Version()
        try await fixture.withServer(Self.uploads) { server in
            #expect(try Self.put(port: server.port, version.path(ArtifactAddress.manifestFile), body: version.manifest).status == 409)
            // Refused from the head: the final answer instead of 100, no body needed.
            let refused = try await onThread {
                guard let fd = LoopbackSocket.connect(port: server.port) else { throw SystemCallError("connect", errno: errno) }
                defer { close(fd) }
                let head = "PUT \(version.path()) HTTP/1.1\r\nHost: x\r\nContent-Length: \(version.archive.count)\r\nExpect: 100-continue\r\nAuthorization: Bearer nope\r\n\r\n"
                _ = Array(head.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                return String(decoding: Self.readAll(fd), as: UTF8.self)
            }
            #expect(refused.hasPrefix("HTTP/1.1 403 "))
            // Accepted: 100 Continue first, then the body, then 201, on a connection kept alive.
            let accepted = try await onThread {
                guard let fd = LoopbackSocket.connect(port: server.port) else { throw SystemCallError("connect", errno: errno) }
                defer { close(fd) }
                let head = "PUT \(version.path()) HTTP/1.1\r\nHost: x\r\nContent-Length: \(version.archive.count)\r\nExpect: 100-continue\r\nAuthorization: Bearer \(Self.token)\r\n\r\n"
                _ = Array(head.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                let interim = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
                var sent = 0
                while sent < version.archive.count {
                    let n = version.archive[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    guard n > 0 else { break }
                    sent += n
                }
                let next = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                _ = Array(next.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                return (interim, RawHTTP.parse(Self.readAll(fd)).map(\.status))
            }
            #expect(accepted.0 == "HTTP/1.1 100 Continue\r\n\r\n")
            #expect(accepted.1 == [201, 200])
        }
    }

    @Test("an upload cut off midway, or whose body is shorter than announced, leaves nothing behind")
    func cutOff() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let version = try Version(size: 2_000_000)
        try await fixture.withServer(Self.uploads) { server in
            // The client closes after part of the body.
            try await onThread {
                guard let fd = LoopbackSocket.connect(port: server.port) else { throw SystemCallError("connect", errno: errno) }
                let head = "PUT \(version.path()) HTTP/1.1\r\nHost: x\r\nContent-Length: \(version.archive.count)\r\nAuthorization: Bearer \(Self.token)\r\n\r\n"
                let bytes = Array(head.utf8) + version.archive.prefix(500_000)
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(fd)
            }
            // The client says 2 MB, sends 1 MB and half-closes: the body can never complete.
            let short = try Self.put(port: server.port, version.path(), body: Array(version.archive.prefix(1_000_000)),
                                     declaredLength: version.archive.count)
            #expect(short.status == 400)
            #expect(await eventually { Self.leftovers(fixture.root, name: "pub").isEmpty })
            #expect(try RawHTTP.request(port: server.port, version.path()).status == 404)
            // And the server still takes a good upload.
            #expect(try Self.put(port: server.port, version.path(), body: version.archive).status == 201)
        }
    }
}
