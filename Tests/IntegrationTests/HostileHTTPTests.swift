import Foundation
import SitepackTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Malformed and hostile requests, sent byte for byte over raw sockets to `sitepack serve` (taking
/// uploads) over a store: each is answered with a 4xx or a closed connection — never a 5xx, a crash, a
/// hang, or a byte from outside the served folder — and the server answers a normal request after each.
@Suite("serve: a corpus of hostile HTTP", .serialized)
struct HostileHTTPTests {
    /// One entry of the corpus: the bytes sent, and the statuses allowed besides "closed without an answer".
    struct Case: CustomStringConvertible {
        let name: String
        let bytes: [UInt8]
        /// The status classes an answer may have; 4 unless a case says otherwise (e.g. a range the RFC lets
        /// the server ignore answers 200 with the whole file, which is harmless).
        var allowed: Set<Int> = [4]
        var description: String { name }

        init(_ name: String, _ text: String, allowed: Set<Int> = [4]) {
            self.name = name
            bytes = Array(text.utf8)
            self.allowed = allowed
        }

        init(_ name: String, bytes: [UInt8], allowed: Set<Int> = [4]) {
            self.name = name
            self.bytes = bytes
            self.allowed = allowed
        }
    }

    static let token = "hostile-test-token"
    static let secret = "SECRET-OUTSIDE-THE-FOLDER"

    /// The served store: a built site, a plain file, a symlink leading out, and a secret beside the folder.
    struct Store {
        let dir: TemporaryDirectory
        let sha: String
        var served: String { dir.join("dist") }

        init() throws {
            dir = try TemporaryDirectory("sitepack-hostile")
            try dir.write("site/index.html", "<h1>hostile</h1>\n")
            let built = try Subprocess.sitepack(["build", dir.join("site"), "-o", dir.join("dist"), "--name", "docs", "--quiet"])
            #expect(built.status == 0, "\(built.stderr)")
            sha = String(built.stdout.prefix(64))
            try dir.write("secret.txt", HostileHTTPTests.secret + "\n")
            try dir.write("dist/plain.txt", String(repeating: "p", count: 5000))
            try FileManager.default.createSymbolicLink(atPath: dir.join("dist/leak.txt"), withDestinationPath: "../secret.txt")
            try dir.write("token", HostileHTTPTests.token + "\n")
        }
    }

    static func corpus(sha: String) -> [Case] {
        let artifact = "/sites/docs/\(sha)/content.tar.gz"
        let put = "PUT \(artifact) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
        let many = (0..<400).map { "X-H\($0): v\r\n" }.joined()
        let ranges = (0..<1200).map { "\($0 * 2)-\($0 * 2)" }.joined(separator: ",")
        var cases: [Case] = [
            // Request lines.
            Case("garbage line", "GARBAGE\r\n\r\n"),
            Case("method only", "GET\r\n\r\n"),
            Case("HTTP/0.9 request", "GET /plain.txt\r\n\r\n"),
            Case("HTTP/0.9 version", "GET /plain.txt HTTP/0.9\r\nHost: x\r\n\r\n"),
            Case("HTTP/2.0 over HTTP/1 framing", "GET /plain.txt HTTP/2.0\r\nHost: x\r\n\r\n"),
            Case("unknown version 1.2", "GET /plain.txt HTTP/1.2\r\nHost: x\r\n\r\n"),
            Case("unknown version 9.9", "GET /plain.txt HTTP/9.9\r\nHost: x\r\n\r\n"),
            Case("not HTTP at all", "GET /plain.txt FOO/1.1\r\nHost: x\r\n\r\n"),
            Case("extra token on the request line", "GET /plain.txt HTTP/1.1 extra\r\nHost: x\r\n\r\n"),
            Case("leading space", " GET /plain.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
            // NIO's parser (llhttp), like nginx, reads repeated spaces as one: the same target, served.
            Case("two spaces", "GET  /plain.txt HTTP/1.1\r\nHost: x\r\n\r\n", allowed: [2, 4]),
            Case("lower-case method", "get /plain.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("binary garbage", bytes: (0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 13) }),
            Case("NUL in the request line", bytes: Array("GET /plain.txt\0 HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
            Case("a 100 KB target", "GET /" + String(repeating: "a", count: 100_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("empty lines only", "\r\n\r\n\r\n\r\n"),
            // Targets.
            Case("absolute-form target", "GET http://127.0.0.1/plain.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("absolute-form escaping", "GET http://127.0.0.1/../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("asterisk-form GET", "GET * HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("CONNECT authority-form", "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n"),
            Case("dot-dot", "GET /../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("encoded dot-dot", "GET /%2e%2e/secret.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("encoded slash", "GET /..%2fsecret.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("backslash", "GET /..\\secret.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("encoded backslash", "GET /%5c..%5csecret.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("lone percent", "GET /% HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("short escape", "GET /%4 HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("non-hex escape", "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("encoded NUL", "GET /plain.txt%00.html HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("overlong UTF-8 dots", "GET /%c0%ae%c0%ae/secret.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("invalid UTF-8", "GET /%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("encoded CR LF", "GET /a%0d%0aSet-Cookie:x HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("symlink out of the folder", "GET /leak.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("bad /sites query", "GET /sites?limit=-1 HTTP/1.1\r\nHost: x\r\n\r\n"),
            // Headers.
            Case("too many headers", "GET /plain.txt HTTP/1.1\r\nHost: x\r\n" + many + "\r\n"),
            Case("one 64 KB header", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 65536) + "\r\n\r\n"),
            Case("header without a colon", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"),
            Case("space before the colon", "GET /plain.txt HTTP/1.1\r\nHost : x\r\n\r\n"),
            Case("obsolete line folding", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n b\r\n\r\n"),
            Case("NUL in a header", bytes: Array("GET /plain.txt HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b\r\n\r\n".utf8)),
            Case("bare CR in a header", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nX-Cr: a\rb\r\n\r\n"),
            // Framing and smuggling shapes.
            Case("Content-Length and Transfer-Encoding", "POST /plain.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /leak.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
            Case("two different Content-Lengths", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhello"),
            Case("signed Content-Length", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello"),
            Case("negative Content-Length", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
            Case("hex Content-Length", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n"),
            Case("overflowing Content-Length", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
            Case("Transfer-Encoding not chunked last", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
            Case("unknown Transfer-Encoding", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
            Case("Transfer-Encoding with a space before the colon", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
            Case("bad chunk size", "POST /plain.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
            Case("overflowing chunk size", "POST /plain.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
            Case("a GET body hiding a request", "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 38\r\n\r\nGET /leak.txt HTTP/1.1\r\nHost: x\r\n\r\n", allowed: [2, 4]),
            // Ranges.
            Case("1,200 ranges", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=\(ranges)\r\n\r\n", allowed: [2, 4]),
            Case("overflowing range", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-99999999999999999999999\r\n\r\n", allowed: [2, 4]),
            Case("overflowing suffix range", "GET /plain.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=-99999999999999999999999\r\n\r\n", allowed: [2, 4]),
            Case("inverted range", "GET \(artifact) HTTP/1.1\r\nHost: x\r\nRange: bytes=50-10\r\n\r\n", allowed: [2, 4]),
            Case("garbage range", "GET \(artifact) HTTP/1.1\r\nHost: x\r\nRange: bytes=--,-,a-b,,,\r\n\r\n", allowed: [2, 4]),
            Case("range past the end", "GET \(artifact) HTTP/1.1\r\nHost: x\r\nRange: bytes=99999999-\r\n\r\n"),
            // Uploads that lie.
            Case("PUT announcing more than it sends", put + "Content-Length: 100000\r\n\r\nshort body"),
            Case("PUT announcing less than it sends", put + "Content-Length: 4\r\n\r\nthis body is longer than announced"),
            Case("PUT over --max-upload", put + "Content-Length: 999999999999\r\n\r\n"),
            Case("PUT with a negative length", put + "Content-Length: -5\r\n\r\n"),
            Case("PUT with both lengths", put + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
            Case("PUT chunked with a bad chunk", put + "Transfer-Encoding: chunked\r\n\r\n5\r\nab\r\nzz\r\n"),
            Case("PUT chunked past --max-upload", put + "Transfer-Encoding: chunked\r\n\r\n" + String(repeating: "10000\r\n" + String(repeating: "u", count: 65536) + "\r\n", count: 20) + "0\r\n\r\n"),
            Case("PUT without a token", "PUT \(artifact) HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"),
            Case("PUT with a wrong token", "PUT \(artifact) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nContent-Length: 5\r\n\r\nhello"),
            Case("PUT outside the store", "PUT /../secret.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: 5\r\n\r\nhello"),
            Case("PUT to a plain file", "PUT /plain.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: 5\r\n\r\nhello"),
            Case("PUT of the wrong bytes", put + "Content-Length: 5\r\n\r\nhello"),
            Case("PUT with an unknown Expect", put + "Content-Length: 5\r\nExpect: 200-ok\r\n\r\nhello"),
            Case("DELETE", "DELETE \(artifact) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n"),
        ]
        // Pipelined junk after a good request: the good one may be answered, the junk never with a 5xx.
        cases.append(Case("good request then junk", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n\u{1}\u{2}\u{3} nonsense\r\n\r\n", allowed: [2, 4]))
        return cases
    }

    /// Sends the bytes, half-closes, reads until the server closes (or 20 s pass: a hang).
    static func exchange(port: Int, _ bytes: [UInt8]) throws -> (answer: [UInt8], hung: Bool) {
        try LoopbackSocket.exchange(port: port, bytes)
    }

    /// The status code of every response head in `text`.
    static func statuses(_ text: String) -> [Int] {
        text.components(separatedBy: "\r\n").compactMap { line in
            guard line.hasPrefix("HTTP/1.1 ") || line.hasPrefix("HTTP/1.0 ") else { return nil }
            return Int(line.dropFirst(9).prefix(3))
        }
    }

    @Test("every malformed or hostile request gets a 4xx or a closed connection, never a 5xx, a hang or an outside byte")
    func corpus() throws {
        let store = try Store()
        defer { store.dir.remove() }
        let (server, origin) = try Child.serve(store.served, in: store.dir.path, extra: [
            "--publish-token-file", store.dir.join("token"), "--max-upload", "1M", "--min-free", "0", "--header-timeout", "3s",
            "--access-log", "off",
        ])
        defer { server.stop() }
        let base = try #require(origin)
        let port = try #require(Int(base.split(separator: ":").last ?? ""))
        var tried = 0
        for entry in Self.corpus(sha: store.sha) {
            let (answer, hung) = try Self.exchange(port: port, entry.bytes)
            let text = String(decoding: answer, as: UTF8.self)
            let codes = Self.statuses(text)
            #expect(!hung, "\(entry): no answer and no close within 20 s")
            #expect(!text.contains(Self.secret), "\(entry): leaked a byte from outside the folder")
            #expect(codes.allSatisfy { entry.allowed.contains($0 / 100) }, "\(entry): answered \(codes)")
            #expect(!codes.contains { $0 >= 500 }, "\(entry): answered \(codes)")
            if answer.count > 0 { #expect(!codes.isEmpty, "\(entry): bytes that are not an HTTP/1.1 response: \(text.prefix(80))") }
            // Still alive, and still right.
            let (normal, _) = try Self.exchange(port: port, Array("GET /plain.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
            let normalText = String(decoding: normal, as: UTF8.self)
            #expect(normalText.hasPrefix("HTTP/1.1 200 OK") && normalText.hasSuffix(String(repeating: "p", count: 5000)),
                    "after \(entry): a normal request got \(normalText.prefix(40))")
            tried += 1
        }
        #expect(tried == Self.corpus(sha: store.sha).count)
        // Nothing any of it sent was kept: the store holds exactly what build put there.
        let versions = try FileManager.default.contentsOfDirectory(atPath: store.served + "/sites/docs")
        #expect(versions == [store.sha])
        #expect(server.process.isRunning)
        #expect(server.stop() == 0)
    }
}
