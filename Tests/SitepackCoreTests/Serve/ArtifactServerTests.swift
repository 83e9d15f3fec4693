import SitepackTestSupport
import Foundation
import Testing
@testable import SitepackCore
#if canImport(Glibc)
import Glibc
#endif

@Suite("ArtifactServer", .serialized)
struct ArtifactServerTests {
    @Test("artifacts are served at their immutable URL with the headers agents need")
    func artifactRoutes() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            let port = server.port
            let url = "/sites/hello/\(fixture.artifactSHA)/content.tar.gz"
            let get = try RawHTTP.request(port: port, url)
            #expect(get.status == 200)
            #expect(get.body == fixture.artifact)
            #expect(get["content-length"] == String(fixture.artifact.count))
            #expect(get["content-type"] == "application/gzip")
            #expect(get["content-encoding"] == nil)
            #expect(get["etag"] == "\"sha256:\(fixture.artifactSHA)\"")
            #expect(get["cache-control"] == "public, max-age=31536000, immutable")
            #expect(get["last-modified"] != nil)
            let head = try RawHTTP.request(port: port, method: "HEAD", url)
            #expect(head.status == 200)
            #expect(head["content-length"] == String(fixture.artifact.count))
            #expect(head.body.isEmpty)
            let sidecar = try RawHTTP.request(port: port, url + ".sha256")
            #expect(String(decoding: sidecar.body, as: UTF8.self) == "\(fixture.artifactSHA)  content.tar.gz\n")
            let manifest = try RawHTTP.request(port: port, "/sites/hello/\(fixture.artifactSHA)/manifest.json")
            #expect(manifest.status == 200)
            #expect(String(decoding: manifest.body, as: UTF8.self).contains("\"name\" : \"hello\""))
            // The plain path of a build output still works.
            #expect(try RawHTTP.request(port: port, "/content.tar.gz").body == fixture.artifact)
            // A store entry whose bytes do not match its digest is never served, not even as a plain file.
            #expect(try RawHTTP.request(port: port, "/sites/bad/\(fixture.tampered)/content.tar.gz").status == 404)
            #expect(try RawHTTP.request(port: port, "/sites/bad/latest/content.tar.gz").status == 404)
            // Unknown digests are not found.
            #expect(try RawHTTP.request(port: port, "/sites/hello/\(String(repeating: "0", count: 64))/content.tar.gz").status == 404)
        }
    }

    @Test("latest redirects to the newest artifact of a store, never the bytes")
    func latest() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            let response = try RawHTTP.request(port: server.port, "/sites/demo/latest/content.tar.gz")
            #expect(response.status == 307)
            #expect(response["location"] == "/sites/demo/\(fixture.storeNew)/content.tar.gz")
            #expect(response["content-type"]?.hasPrefix("text/plain") == true)
            let old = try RawHTTP.request(port: server.port, "/sites/demo/\(fixture.storeOld)/content.tar.gz")
            #expect(old.status == 200)
            #expect(try RawHTTP.request(port: server.port, "/sites/nothing/latest/content.tar.gz").status == 404)
            #expect(server.advertisedURLs.contains("\(server.origin)/sites/demo/latest/content.tar.gz"))
        }
    }

    @Test("an artifact published into the store while serving is found at once, and latest follows it")
    func publishWhileServing() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            #expect(try RawHTTP.request(port: server.port, "/sites/demo/latest/content.tar.gz")["location"]?.contains(fixture.storeNew) == true)
            let bytes = ServeFixture.randomBytes(7000)
            let digest = ServeFixture.sha(bytes)
            let staging = URL(fileURLWithPath: fixture.root + "/sites/demo/.staging-\(digest)")
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            try ServeFixture.writeArtifact(bytes, name: "demo", in: staging)
            #expect(rename(staging.path, fixture.root + "/sites/demo/\(digest)") == 0)
            let fetched = try RawHTTP.request(port: server.port, "/sites/demo/\(digest)/content.tar.gz")
            #expect(fetched.status == 200)
            #expect(fetched.body == bytes)
            #expect(try RawHTTP.request(port: server.port, "/sites/demo/latest/content.tar.gz")["location"] == "/sites/demo/\(digest)/content.tar.gz")
        }
    }

    @Test("/sites lists every artifact as JSON, or HTML when asked; /healthz and /metrics answer")
    func listings() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            let json = try RawHTTP.request(port: server.port, "/sites")
            #expect(json["content-type"] == "application/json")
            let object = try JSONSerialization.jsonObject(with: Data(json.body)) as? [String: Any]
            let artifacts = object?["artifacts"] as? [[String: Any]] ?? []
            #expect(Set(artifacts.compactMap { $0["sha256"] as? String }) == [fixture.artifactSHA, fixture.storeOld, fixture.storeNew])
            #expect(artifacts.contains { ($0["url"] as? String) == "\(server.origin)/sites/hello/\(fixture.artifactSHA)/content.tar.gz" })
            let html = try RawHTTP.request(port: server.port, "/sites", headers: ["Accept": "text/html,*/*"])
            #expect(html["content-type"] == "text/html; charset=utf-8")
            #expect(String(decoding: html.body, as: UTF8.self).contains(fixture.storeNew))
            #expect(try RawHTTP.request(port: server.port, "/healthz").body == Array("ok\n".utf8))
            let metrics = String(decoding: try RawHTTP.request(port: server.port, "/metrics").body, as: UTF8.self)
            #expect(metrics.contains("sitepack_http_requests_total{route=\"sites\",status=\"200\"} 2"))
            #expect(metrics.contains("sitepack_http_request_duration_seconds_count"))
            // This request's own connection is open; earlier ones may still be closing.
            let open = metrics.split(separator: "\n").first { $0.hasPrefix("sitepack_http_open_connections ") }
            #expect((open?.split(separator: " ").last).flatMap { Int($0) } ?? 0 >= 1)
        }
    }

    @Test("a plain folder is a static site: index.html, directory redirects, types, symlinks inside")
    func staticSite() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            let port = server.port
            let home = try RawHTTP.request(port: port, "/")
            #expect(home.status == 200)
            #expect(home.body == Array("<h1>home</h1>\n".utf8))
            #expect(home["content-type"] == "text/html; charset=utf-8")
            let redirect = try RawHTTP.request(port: port, "/sub?x=1")
            #expect(redirect.status == 301)
            #expect(redirect["location"] == "/sub/?x=1")
            #expect(try RawHTTP.request(port: port, "/sub/").body == Array("sub page\n".utf8))
            #expect(try RawHTTP.request(port: port, "/style.css")["content-type"] == "text/css; charset=utf-8")
            #expect(try RawHTTP.request(port: port, "/alias.txt").body.count == 1024)
            #expect(try RawHTTP.request(port: port, "/small.txt/").status == 404)
            #expect(try RawHTTP.request(port: port, "/missing").status == 404)
            let etag = try RawHTTP.request(port: port, "/small.txt")["etag"] ?? ""
            #expect(etag.hasPrefix("\"") && !etag.hasPrefix("W/"))
        }
    }

    @Test("the traversal corpus never returns bytes from outside the folder or from dotfiles")
    func traversal() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let corpus = [
            "/../outside/secret.txt", "/../../../../etc/passwd", "/%2e%2e/outside/secret.txt", "/%2E%2E/%2E%2E/etc/passwd",
            "/..%2foutside/secret.txt", "/..%2Foutside%2Fsecret.txt", "/%5c..%5coutside%5csecret.txt", "/..\\outside\\secret.txt",
            "/small.txt%00.html", "/%00", "//etc/passwd", "///etc/passwd", "http://127.0.0.1/../outside/secret.txt",
            "/escape.txt", "/escapedir/secret.txt", "/absolute.txt", "/.env", "/%2eenv", "/sub/.git/config", "/envlink.txt",
            "/sub/../../outside/secret.txt", "/./small.txt", "/sites/../../outside/secret.txt", "/%252e%252e/outside/secret.txt",
            "/bin/../../outside/secret.txt", "*",
        ]
        try await fixture.withServer { server in
            for target in corpus {
                let response = try RawHTTP.request(port: server.port, target)
                let text = String(decoding: response.body, as: UTF8.self)
                #expect([400, 404].contains(response.status), "\(target) answered \(response.status)")
                #expect(!text.contains("SECRET") && !text.contains("root:"), "\(target) leaked bytes")
            }
        }
    }

    @Test("ranges: suffix, open, clamped, unsatisfiable and invalid, for sendfile and cached files")
    func ranges() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            for (path, content) in [("/large.bin", fixture.large), ("/small.txt", Array(String(repeating: "x", count: 1024).utf8))] {
                let size = content.count
                let cases: [(String, Int, Range<Int>?)] = [
                    ("bytes=0-9", 206, 0..<10), ("bytes=-10", 206, (size - 10)..<size), ("bytes=\(size - 5)-", 206, (size - 5)..<size),
                    ("bytes=10-99999999", 206, 10..<size), ("bytes=\(size)-", 416, nil), ("bytes=99999999-", 416, nil),
                    ("bytes=100-50", 200, 0..<size), ("bytes=0-1,5-9", 200, 0..<size), ("bytes=x", 200, 0..<size),
                ]
                for (range, status, slice) in cases {
                    let response = try RawHTTP.request(port: server.port, path, headers: ["Range": range])
                    #expect(response.status == status, "\(path) \(range)")
                    if let slice {
                        #expect(response.body == Array(content[slice]), "\(path) \(range)")
                        #expect(response["content-length"] == String(slice.count))
                    }
                    if status == 206, let slice {
                        #expect(response["content-range"] == "bytes \(slice.lowerBound)-\(slice.upperBound - 1)/\(size)")
                    }
                    if status == 416 { #expect(response["content-range"] == "bytes */\(size)") }
                }
                // HEAD ignores Range and reports the full length.
                let head = try RawHTTP.request(port: server.port, method: "HEAD", path, headers: ["Range": "bytes=0-9"])
                #expect(head.status == 200 && head["content-length"] == String(size))
            }
        }
    }

    @Test("conditionals: 304, 412 and If-Range")
    func conditionals() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            let port = server.port
            for path in ["/large.bin", "/small.txt", "/sites/hello/\(fixture.artifactSHA)/content.tar.gz"] {
                let first = try RawHTTP.request(port: port, path)
                let etag = try #require(first["etag"])
                let modified = try #require(first["last-modified"])
                let notModified = try RawHTTP.request(port: port, path, headers: ["If-None-Match": etag])
                #expect(notModified.status == 304 && notModified.body.isEmpty && notModified["etag"] == etag)
                #expect(try RawHTTP.request(port: port, path, headers: ["If-None-Match": "*"]).status == 304)
                #expect(try RawHTTP.request(port: port, path, headers: ["If-None-Match": "\"nope\""]).status == 200)
                #expect(try RawHTTP.request(port: port, path, headers: ["If-Modified-Since": modified]).status == 304)
                #expect(try RawHTTP.request(port: port, path, headers: ["If-Modified-Since": "Thu, 01 Jan 1970 00:00:01 GMT"]).status == 200)
                #expect(try RawHTTP.request(port: port, path, headers: ["If-Match": "\"nope\""]).status == 412)
                #expect(try RawHTTP.request(port: port, path, headers: ["If-Match": etag]).status == 200)
                #expect(try RawHTTP.request(port: port, path, headers: ["If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:01 GMT"]).status == 412)
                #expect(try RawHTTP.request(port: port, path, headers: ["If-Range": etag, "Range": "bytes=0-0"]).status == 206)
                #expect(try RawHTTP.request(port: port, path, headers: ["If-Range": "W/\(etag)", "Range": "bytes=0-0"]).status == 200)
                #expect(try RawHTTP.request(port: port, path, headers: ["If-Range": "\"old\"", "Range": "bytes=0-0"]).status == 200)
                #expect(try RawHTTP.request(port: port, path, headers: ["If-Range": modified, "Range": "bytes=0-0"]).status == 206)
            }
        }
    }

    @Test("methods other than GET and HEAD get 405 with Allow")
    func methods() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"] {
                let response = try RawHTTP.request(port: server.port, method: method, "/small.txt")
                #expect(response.status == 405, "\(method)")
                #expect(response["allow"] == "GET, HEAD")
            }
        }
    }

    @Test("pipelined requests are answered in order on one connection")
    func pipelining() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            let request = "GET /small.txt HTTP/1.1\r\nHost: a\r\n\r\n" + "HEAD /large.bin HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /large.bin HTTP/1.1\r\nHost: a\r\nRange: bytes=-3\r\n\r\n" + "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
            let responses = RawHTTP.parse(try RawHTTP.exchange(port: server.port, request), heads: [false, true, false, false])
            #expect(responses.map(\.status) == [200, 200, 206, 200])
            #expect(responses.count == 4)
            guard responses.count == 4 else { return }
            #expect(responses[0].body.count == 1024)
            #expect(responses[1]["content-length"] == String(fixture.large.count) && responses[1].body.isEmpty)
            #expect(responses[2].body == Array(fixture.large.suffix(3)))
            #expect(responses[3].body == Array("ok\n".utf8))
        }
    }

    @Test("too many or too large headers are refused with 431")
    func headerLimits() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            var many = "GET /small.txt HTTP/1.1\r\nHost: a\r\n"
            for index in 0..<200 { many += "X-\(index): y\r\n" }
            let tooMany = RawHTTP.parse(try RawHTTP.exchange(port: server.port, many + "\r\n"))
            #expect(tooMany.first?.status == 431)
            let big = "GET /small.txt HTTP/1.1\r\nHost: a\r\nX-Big: \(String(repeating: "a", count: 20_000))\r\n\r\n"
            #expect(RawHTTP.parse(try RawHTTP.exchange(port: server.port, big)).first?.status == 431)
            #expect(RawHTTP.parse(try RawHTTP.exchange(port: server.port, "NONSENSE\r\n\r\n")).first?.status == 400)
        }
    }

    @Test("a changed small file is seen after the cache's one-second revalidation")
    func cacheRevalidation() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            let path = fixture.root + "/small.txt"
            #expect(try RawHTTP.request(port: server.port, "/small.txt").body.count == 1024)
            let replacement = path + ".new"
            try Data("changed\n".utf8).write(to: URL(fileURLWithPath: replacement))
            #expect(rename(replacement, path) == 0)
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try RawHTTP.request(port: server.port, "/small.txt").body == Array("changed\n".utf8))
            #expect(unlink(path) == 0)
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try RawHTTP.request(port: server.port, "/small.txt").status == 404)
        }
    }

    @Test("the connection cap closes extra connections, and a stalled request head is cut off")
    func limits() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer({ $0.headerTimeout = .milliseconds(200) }) { server in
            // Half a request and then silence: the server must close rather than wait forever.
            let stalled = try RawHTTP.exchangeWithoutClosing(port: server.port, "GET /small.txt HTTP/1.1\r\nHost: a\r\n")
            #expect(stalled.isEmpty)
        }
        try await fixture.withServer({ $0.maxConnections = 1 }) { server in
            let held = try RawHTTP.connect(port: server.port)
            defer { close(held) }
            // One answered request proves the first connection was accepted before the second arrives.
            let hello = Array("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
            _ = hello.withUnsafeBytes { send(held, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let answered = buffer.withUnsafeMutableBytes { recv(held, $0.baseAddress, $0.count, 0) }
            #expect(answered > 0)
            let refused = RawHTTP.parse(try RawHTTP.exchange(port: server.port, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"))
            #expect(refused.isEmpty)
            #expect(server.metrics.render().contains("sitepack_http_connections_refused_total 1"))
        }
    }

    @Test("a file truncated in place while it is sent ends the response instead of spinning")
    func truncatedWhileSending() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let path = fixture.root + "/growing.bin"
        let size = 48 << 20
        #expect(FileManager.default.createFile(atPath: path, contents: Data(count: size)))
        try await fixture.withServer { server in
            let fd = try RawHTTP.connect(port: server.port)
            defer { close(fd) }
            var small: Int32 = 16 * 1024
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            var timeout = timeval(tv_sec: 20, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let request = Array("GET /growing.bin HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            var buffer = [UInt8](repeating: 0, count: 65536)
            var received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            #expect(received > 0)
            #expect(truncate(path, 1000) == 0)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count == 0 { break }
                if count < 0 {
                    #expect(errno == ECONNRESET, "the server neither finished nor closed (errno \(errno))")
                    break
                }
                received += count
            }
            #expect(received < size)
        }
    }

    @Test("a client that stops reading is dropped after the send timeout")
    func stalledReader() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        let size = 48 << 20
        #expect(FileManager.default.createFile(atPath: fixture.root + "/stall.bin", contents: Data(count: size)))
        try await fixture.withServer({ $0.sendTimeout = .seconds(1) }) { server in
            let fd = try RawHTTP.connect(port: server.port)
            defer { close(fd) }
            var small: Int32 = 4096
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let request = Array("GET /stall.bin HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 1000, 0) }
            try await Task.sleep(for: .seconds(6))
            var reset = false
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count <= 0 { reset = count < 0 && errno == ECONNRESET || count == 0; break }
                received += count
            }
            #expect(reset)
            #expect(received < size)
        }
    }

    @Test("the origin from --advertise and from the bind address")
    func origin() {
        #expect(ArtifactServer.origin(advertise: "http://agents.example:8080/", host: "0.0.0.0", port: 9000) == "http://agents.example:8080")
        #expect(ArtifactServer.origin(advertise: "10.0.0.5:7000", host: "0.0.0.0", port: 9000) == "http://10.0.0.5:7000")
        #expect(ArtifactServer.origin(advertise: "files.internal", host: "0.0.0.0", port: 9000) == "http://files.internal:9000")
        #expect(ArtifactServer.origin(advertise: nil, host: "127.0.0.1", port: 9000) == "http://127.0.0.1:9000")
        #expect(DurationText.parse("30s") == .seconds(30))
        #expect(DurationText.parse("500ms") == .milliseconds(500))
        #expect(DurationText.parse("2m") == .seconds(120))
        #expect(DurationText.parse("soon") == nil)
        #expect(DurationText.wholeSeconds(.milliseconds(1500)) == 2)
        #expect(DurationText.wholeSeconds(.seconds(60)) == 60)
    }
}

extension RawHTTP {
    /// A connected socket to 127.0.0.1:port.
    static func connect(port: Int) throws -> Int32 {
        guard let fd = LoopbackSocket.connect(port: port) else { throw SystemCallError("connect", errno: errno) }
        return fd
    }

    /// Sends bytes without half-closing and reads until the server closes (or 20 s pass).
    static func exchangeWithoutClosing(port: Int, _ request: String) throws -> [UInt8] {
        let fd = try connect(port: port)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 {
                if count < 0 { throw SystemCallError("recv (the server did not close the connection)", errno: errno) }
                break
            }
            result.append(contentsOf: buffer[0..<count])
        }
        return result
    }
}
