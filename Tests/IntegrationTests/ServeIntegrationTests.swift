import Foundation
import SitepackTestSupport
import Testing
import SitepackCore
#if canImport(Glibc)
import Glibc
#endif

/// `sitepack serve` as a process, checked with curl used exactly as the Mesos fetcher uses libcurl.
@Suite("ServeIntegration", .serialized)
struct ServeIntegrationTests {
    static let binary = Subprocess.sitepack

    /// A served folder: a build output (content.tar.gz from GNU tar + gzip, .sha256, manifest.json) and a big file.
    struct Folder {
        let base: URL
        var dist: String { base.appendingPathComponent("dist").path }
        let sha: String
        let size: Int

        init() throws {
            base = FileManager.default.temporaryDirectory.appendingPathComponent("sitepack-serve-it-\(UUID().uuidString)")
            let site = base.appendingPathComponent("site")
            try FileManager.default.createDirectory(at: site.appendingPathComponent("docs"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: base.appendingPathComponent("dist").path, withIntermediateDirectories: true)
            try Data("<h1>hello</h1>\n".utf8).write(to: site.appendingPathComponent("index.html"))
            try run("/bin/sh", ["-c", "head -c 400000 /dev/urandom > '\(site.path)/docs/blob.bin'"])
            let archive = base.appendingPathComponent("dist/content.tar.gz").path
            let packed = try run("/bin/sh", ["-c", "tar --sort=name -C '\(base.path)' -cf - site | gzip -6 -n > '\(archive)'"])
            #expect(packed.status == 0)
            sha = String(try run("/usr/bin/sha256sum", [archive]).output.prefix(64))
            size = Int((try FileManager.default.attributesOfItem(atPath: archive)[.size] as? NSNumber)?.intValue ?? 0)
            try Data("\(sha)  content.tar.gz\n".utf8).write(to: URL(fileURLWithPath: archive + ".sha256"))
            let manifest = Manifest(
                name: "hello", sitepackVersion: "test", prefix: "site", archive: .init(file: "content.tar.gz", sha256: sha, size: Int64(size)),
                tar: .init(sha256: String(repeating: "0", count: 64), size: 0), fileCount: 2, totalBytes: 0, files: [], excluded: [],
                mtime: .init(epoch: 0, source: .sourceDateEpoch),
                compressor: .init(name: "gzip", version: "1", level: 6, format: "gzip", blockSize: 0))
            try Data(try manifest.encoded()).write(to: base.appendingPathComponent("dist/manifest.json"))
            try run("/bin/sh", ["-c", "head -c 12000000 /dev/urandom > '\(base.path)/dist/big.bin'"])
            try Data("SECRET-OUTSIDE".utf8).write(to: base.appendingPathComponent("secret.txt"))
            try FileManager.default.createSymbolicLink(atPath: base.appendingPathComponent("dist/leak.txt").path, withDestinationPath: "../secret.txt")
        }

        func remove() { try? FileManager.default.removeItem(at: base) }
    }

    /// A running `sitepack serve`.
    final class Server {
        let process = Process()
        let port: Int
        let stdoutLines: [String]
        let stderrPath: String

        init(directory: String, extra: [String] = []) throws {
            stderrPath = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString).err").path
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            let stdoutPath = stderrPath + ".out"
            _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: ServeIntegrationTests.binary)
            process.arguments = ["serve", directory, "--host", "127.0.0.1", "--port", "0", "--grace-period", "20s"] + extra
            process.standardError = FileHandle(forWritingAtPath: stderrPath)
            process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
            try process.run()
            var found: Int?
            for _ in 0..<200 {
                let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
                if let range = text.range(of: #"on http://127\.0\.0\.1:([0-9]+) "#, options: .regularExpression) {
                    found = Int(text[range].split(separator: ":").last?.dropLast() ?? "")
                    break
                }
                usleep(50_000)
            }
            guard let found else {
                process.terminate()
                throw SitepackError(.io, "sitepack serve did not start: \((try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")")
            }
            port = found
            stdoutLines = ((try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            try? FileManager.default.removeItem(atPath: stdoutPath)
        }

        var base: String { "http://127.0.0.1:\(port)" }

        /// Sends SIGTERM and waits for the exit status.
        func terminate() -> Int32 {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: stderrPath)
            return process.terminationStatus
        }
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try Subprocess.run([executable] + arguments)
        return (result.status, result.stdout)
    }

    static func curl(_ arguments: [String]) throws -> String { try run("/usr/bin/curl", arguments).output }

    @Test("the Mesos fetcher's download: curl -sS -L -o FILE -w '%{http_code}' gives 200 and the right sha256, also via latest")
    func mesosFetcher() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let server = try Server(directory: folder.dist)
        defer { #expect(server.terminate() == 0) }
        let immutable = "\(server.base)/sites/hello/\(folder.sha)/content.tar.gz"
        #expect(server.stdoutLines.contains(immutable))
        for url in [immutable, "\(server.base)/sites/hello/latest/content.tar.gz", "\(server.base)/content.tar.gz"] {
            let file = folder.base.appendingPathComponent("fetched-\(UUID().uuidString).tar.gz").path
            #expect(try Self.curl(["-sS", "-L", "-o", file, "-w", "%{http_code}", url]) == "200")
            #expect(try Self.run("/usr/bin/sha256sum", [file]).output.hasPrefix(folder.sha))
        }
        // What the fetcher cache does first: HEAD (following redirects), then trust Content-Length.
        let head = try Self.curl(["-sS", "-L", "-I", "\(server.base)/sites/hello/latest/content.tar.gz"]).lowercased()
        #expect(head.contains("content-length: \(folder.size)\r\n"))
        #expect(!head.contains("content-encoding"))
        #expect(head.contains("etag: \"sha256:\(folder.sha)\""))
        let length = try Self.curl(["-sS", "-I", "-o", "/dev/null", "-w", "%{content_type} %{http_code}", immutable])
        #expect(length == "application/gzip 200")
        // The sidecar verifies with sha256sum -c.
        let sidecar = try Self.curl(["-sS", immutable + ".sha256"])
        #expect(sidecar == "\(folder.sha)  content.tar.gz\n")
    }

    @Test("ranges and conditionals through curl")
    func curlRangesAndConditionals() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let server = try Server(directory: folder.dist)
        defer { #expect(server.terminate() == 0) }
        let url = "\(server.base)/big.bin"
        let tail = try Self.curl(["-sS", "-r", "-100", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", url])
        #expect(tail == "206 100")
        let open = try Self.curl(["-sS", "-r", "11999990-", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", url])
        #expect(open == "206 10")
        let beyond = try Self.curl(["-sS", "-i", "-r", "12000000-", url])
        #expect(beyond.hasPrefix("HTTP/1.1 416") && beyond.contains("Content-Range: bytes */12000000"))
        let etag = try Self.curl(["-sS", "-I", url]).split(separator: "\r\n").first { $0.lowercased().hasPrefix("etag:") }?
            .dropFirst(5).trimmingCharacters(in: .whitespaces) ?? ""
        #expect(try Self.curl(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-None-Match: \(etag)", url]) == "304")
        #expect(try Self.curl(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-Match: \"x\"", url]) == "412")
        #expect(try Self.curl(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", url]) == "405")
        for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/leak.txt", "/%5c..%5csecret.txt"] {
            let body = try Self.curl(["-sS", "--path-as-is", "-w", " %{http_code}", server.base + path])
            #expect(!body.contains("SECRET") && (body.hasSuffix("400") || body.hasSuffix("404")), "\(path): \(body)")
        }
    }

    @Test("100 parallel downloads are all byte-exact")
    func parallelDownloads() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let server = try Server(directory: folder.dist, extra: ["--access-log", "off"])
        defer { #expect(server.terminate() == 0) }
        let out = folder.base.appendingPathComponent("parallel")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var arguments = ["-sS", "--no-progress-meter", "--parallel", "--parallel-max", "100", "--parallel-immediate"]
        for index in 0..<100 {
            let path = index % 2 == 0 ? "/sites/hello/\(folder.sha)/content.tar.gz" : "/big.bin"
            arguments += ["-o", out.appendingPathComponent("\(index)").path, server.base + path]
        }
        _ = try Self.curl(arguments)
        let bigSHA = String(try Self.run("/usr/bin/sha256sum", [folder.dist + "/big.bin"]).output.prefix(64))
        let sums = try Self.run("/usr/bin/sha256sum", (0..<100).map { out.appendingPathComponent("\($0)").path }).output
            .split(separator: "\n").map { String($0.prefix(64)) }
        #expect(sums.count == 100)
        for (index, sum) in sums.enumerated() {
            #expect(sum == (index % 2 == 0 ? folder.sha : bigSHA), "download \(index)")
        }
    }

    @Test("SIGTERM during a slow download lets it finish, refuses new connections, and exits 0")
    func gracefulShutdown() async throws {
        let folder = try Folder()
        defer { folder.remove() }
        let server = try Server(directory: folder.dist)
        let file = folder.base.appendingPathComponent("slow.bin").path
        let slow = Process()
        slow.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        slow.arguments = ["-sS", "--limit-rate", "3M", "-o", file, "-w", "%{http_code}", server.base + "/big.bin"]
        let pipe = Pipe()
        slow.standardOutput = pipe
        try slow.run()
        // SIGTERM once the download is under way (not after a fixed pause, which a busy machine outruns).
        let started = waitUntil(30) {
            ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0) > 0
        }
        #expect(started)
        kill(server.process.processIdentifier, SIGTERM)
        // New connections are refused soon after, while the download goes on.
        let refused = waitUntil(20) {
            (try? Self.curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", server.base + "/index.html"])) == "000"
        }
        #expect(refused)
        let code = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        slow.waitUntilExit()
        #expect(code == "200")
        #expect(server.terminate() == 0)
        #expect(try Self.run("/usr/bin/cmp", [file, folder.dist + "/big.bin"]).status == 0)
    }

    @Test("a plain site folder, /bin/<sha256>/sitepack (and the /bin/sitepack redirect) and --advertise, as the task runtime uses them")
    func siteAndBinary() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let server = try Server(directory: folder.base.appendingPathComponent("site").path, extra: ["--advertise", "http://agents.example:7000"])
        defer { #expect(server.terminate() == 0) }
        #expect(try Self.curl(["-sS", server.base + "/"]) == "<h1>hello</h1>\n")
        #expect(try Self.curl(["-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", server.base + "/docs"])
                == "301 \(server.base)/docs/")
        let binary = folder.base.appendingPathComponent("sitepack-download").path
        #expect(try Self.curl(["-sS", "-L", "-o", binary, "-w", "%{http_code}", server.base + "/bin/sitepack"]) == "200")
        #expect(try Self.run("/usr/bin/cmp", [binary, Self.binary]).status == 0)
        // The content-addressed URL: the digest sha256sum prints, advertised on stderr with the --advertise origin.
        let sha = String(try Self.run("/usr/bin/sha256sum", [Self.binary]).output.prefix(64))
        let size = try #require(try FileManager.default.attributesOfItem(atPath: Self.binary)[.size] as? Int)
        let stderr = (try? String(contentsOfFile: server.stderrPath, encoding: .utf8)) ?? ""
        #expect(stderr.contains("binary for --runtime sitepack: http://agents.example:7000/bin/\(sha)/sitepack (\(size) bytes)"), "\(stderr)")
        #expect(try Self.curl(["-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", server.base + "/bin/sitepack"])
                == "307 \(server.base)/bin/\(sha)/sitepack")
        // What the fetcher cache does first: HEAD, whose Content-Length must be the exact GET length.
        let head = try Self.curl(["-sS", "-I", server.base + "/bin/\(sha)/sitepack"]).lowercased()
        #expect(head.hasPrefix("http/1.1 200"))
        #expect(head.contains("content-length: \(size)\r\n"))
        #expect(head.contains("etag: \"sha256:\(sha)\"\r\n"))
        #expect(head.contains("cache-control: public, max-age=31536000, immutable\r\n"))
        let direct = folder.base.appendingPathComponent("sitepack-direct").path
        #expect(try Self.curl(["-sS", "-o", direct, "-w", "%{http_code} %{size_download}", server.base + "/bin/\(sha)/sitepack"]) == "200 \(size)")
        #expect(try Self.run("/usr/bin/cmp", [direct, Self.binary]).status == 0)
        let other = String(repeating: "e", count: 64)
        #expect(try Self.curl(["-sS", "-o", "/dev/null", "-w", "%{http_code}", server.base + "/bin/\(other)/sitepack"]) == "404")
        let second = try Server(directory: folder.dist, extra: ["--advertise", "http://agents.example:7000"])
        defer { #expect(second.terminate() == 0) }
        #expect(second.stdoutLines.first == "http://agents.example:7000/sites/hello/\(folder.sha)/content.tar.gz")
    }

    // MARK: - What users run: the access log and the idle timeout

    /// Waits (polling every 20 ms, up to `timeout`) until `condition` holds; returns whether it did.
    static func eventually(timeout: Duration = .seconds(20), _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    /// One request the log should show: what was sent and what the server answered. (Each event loop
    /// writes its own batch of lines, so requests on different connections may be logged in any order.)
    struct LoggedRequest: Hashable {
        var method: String
        var target: String
        var status: Int
        var bytes: Int
    }

    /// Sends a GET, a HEAD, a miss and a range with curl (user agent and referer set, one with a quote in
    /// it), and returns what each log line must say.
    static func requestsForTheLog(_ server: Server, _ folder: Folder) throws -> [LoggedRequest] {
        let artifact = "/sites/hello/\(folder.sha)/content.tar.gz"
        let common = ["-sS", "-o", "/dev/null", "-A", "agent \"7\"", "-e", "http://ref.example/"]
        _ = try curl(common + [server.base + artifact])
        _ = try curl(common + ["-I", server.base + artifact])
        _ = try curl(common + [server.base + "/missing.txt?x=1"])
        _ = try curl(common + ["-r", "0-99", server.base + "/big.bin"])
        return [
            LoggedRequest(method: "GET", target: artifact, status: 200, bytes: folder.size),
            LoggedRequest(method: "HEAD", target: artifact, status: 200, bytes: 0),
            LoggedRequest(method: "GET", target: "/missing.txt?x=1", status: 404, bytes: "Not Found\n".utf8.count),
            LoggedRequest(method: "GET", target: "/big.bin", status: 206, bytes: 100),
        ]
    }

    static func stderrLines(_ server: Server) -> [String] {
        ((try? String(contentsOfFile: server.stderrPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test("--access-log json: one JSON object a request, with method, target, status, bytes, protocol, remote, agent and referer")
    func accessLogJSON() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let server = try Server(directory: folder.dist, extra: ["--access-log", "json"])
        defer { #expect(server.terminate() == 0) }
        let expected = try Self.requestsForTheLog(server, folder)
        var entries: [[String: Any]] = []
        let complete = Self.eventually {
            entries = Self.stderrLines(server).filter { $0.hasPrefix("{") }.compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            return entries.count >= expected.count
        }
        #expect(complete, "log lines so far: \(Self.stderrLines(server))")
        let logged = entries.map {
            LoggedRequest(method: $0["method"] as? String ?? "", target: $0["target"] as? String ?? "",
                          status: $0["status"] as? Int ?? 0, bytes: $0["bytes"] as? Int ?? -1)
        }
        #expect(Set(logged) == Set(expected) && logged.count == expected.count, "\(logged)")
        let isoTime = try NSRegularExpression(pattern: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"#)
        for entry in entries {
            #expect(entry["protocol"] as? String == "HTTP/1.1")
            #expect(entry["remote"] as? String == "127.0.0.1")
            #expect(entry["user_agent"] as? String == "agent \"7\"")
            #expect(entry["referer"] as? String == "http://ref.example/")
            #expect((entry["duration_ms"] as? Double).map { $0 >= 0 } == true)
            let time = entry["time"] as? String ?? ""
            #expect(isoTime.firstMatch(in: time, range: NSRange(time.startIndex..., in: time)) != nil, "time \(time)")
        }
    }

    @Test("--access-log combined: the nginx/Apache line, with the quoted request, status, bytes, referer and escaped agent")
    func accessLogCombined() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let server = try Server(directory: folder.dist, extra: ["--access-log", "combined"])
        defer { #expect(server.terminate() == 0) }
        let expected = try Self.requestsForTheLog(server, folder)
        // host ident user [time] "method target protocol" status bytes "referer" "agent"
        let combined = try NSRegularExpression(pattern: #"^(\S+) - - \[(\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000)\] "(\S+) (\S+) (HTTP/1\.1)" (\d{3}) (\d+) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$"#)
        var matches: [[String]] = []
        let complete = Self.eventually {
            matches = Self.stderrLines(server).compactMap { line in
                guard let match = combined.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) else { return nil }
                return (1..<match.numberOfRanges).map { Range(match.range(at: $0), in: line).map { String(line[$0]) } ?? "" }
            }
            return matches.count >= expected.count
        }
        #expect(complete, "log lines so far: \(Self.stderrLines(server))")
        let logged = matches.map { LoggedRequest(method: $0[2], target: $0[3], status: Int($0[5]) ?? 0, bytes: Int($0[6]) ?? -1) }
        #expect(Set(logged) == Set(expected) && logged.count == expected.count, "\(logged)")
        for fields in matches {
            #expect(fields[0] == "127.0.0.1")
            #expect(fields[7] == "http://ref.example/")
            #expect(fields[8] == #"agent \"7\""#)
        }
    }

    @Test("--idle-timeout: a kept-alive connection stays usable, then is closed by the server once idle that long")
    func idleTimeout() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let server = try Server(directory: folder.dist, extra: ["--idle-timeout", "2s", "--access-log", "off"])
        defer { #expect(server.terminate() == 0) }
        let connection = try KeepAliveSocket(port: server.port)
        let request = "GET /sites/hello/\(folder.sha)/content.tar.gz.sha256 HTTP/1.1\r\nHost: a\r\n\r\n"
        let sidecar = "\(folder.sha)  content.tar.gz\n"
        #expect(try connection.exchange(request).hasSuffix(sidecar))
        #expect(try connection.exchange(request).hasSuffix(sidecar), "the connection was not kept alive")
        let idleSince = ContinuousClock.now
        // Generous deadline (the socket's 20 s receive timeout); the server must close well before it.
        #expect(connection.waitForClose(), "the server kept an idle connection open for 20 s")
        #expect(ContinuousClock.now - idleSince >= .seconds(1), "closed before the idle timeout")
    }
}

/// A plain TCP connection to 127.0.0.1 that sends requests one at a time on the same connection.
final class KeepAliveSocket {
    let fd: Int32

    init(port: Int) throws {
        guard let fd = LoopbackSocket.connect(port: port) else {
            throw SitepackError(.io, "cannot connect to 127.0.0.1:\(port)")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends a request and reads one whole response (head and Content-Length body) as text.
    func exchange(_ request: String) throws -> String {
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw SitepackError(.io, "send failed")
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let text = String(decoding: received, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if received.count >= text[..<end.upperBound].utf8.count + length { return text }
            }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw SitepackError(.io, "the server closed or timed out mid-response") }
            received += chunk[0..<count]
        }
    }

    /// Waits for the server to close the connection: true on end-of-file or reset, false after the receive timeout.
    func waitForClose() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 || count < 0 && errno == ECONNRESET { return true }
            if count < 0 && errno != EINTR { return false }
        }
    }
}
