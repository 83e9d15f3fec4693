import SitepackTestSupport
import Foundation
import Logging
import Testing
@testable import SitepackCore
#if canImport(Glibc)
import Glibc
#endif

/// A served folder on disk for the live tests: a build output with an artifact, a store with two
/// versions of another site, small and large plain files, dotfiles, and symlinks in and out.
struct ServeFixture {
    let base: URL
    var root: String { base.appendingPathComponent("dist").path }
    let artifact: [UInt8]
    let artifactSHA: String
    let storeOld: String
    let storeNew: String
    let tampered: String
    let large: [UInt8]

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("sitepack-serve-\(UUID().uuidString)")
        let fm = FileManager.default
        let dist = base.appendingPathComponent("dist")
        try fm.createDirectory(at: dist.appendingPathComponent("sub/.git"), withIntermediateDirectories: true)
        try fm.createDirectory(at: base.appendingPathComponent("outside"), withIntermediateDirectories: true)
        artifact = Self.randomBytes(300_000)
        artifactSHA = try Self.writeArtifact(artifact, name: "hello", in: dist)
        large = Self.randomBytes(200_000)
        try Data(large).write(to: dist.appendingPathComponent("large.bin"))
        try Data("<h1>home</h1>\n".utf8).write(to: dist.appendingPathComponent("index.html"))
        try Data("sub page\n".utf8).write(to: dist.appendingPathComponent("sub/index.html"))
        try Data(String(repeating: "x", count: 1024).utf8).write(to: dist.appendingPathComponent("small.txt"))
        try Data("body{}".utf8).write(to: dist.appendingPathComponent("style.css"))
        try Data("SECRET-DOTFILE".utf8).write(to: dist.appendingPathComponent(".env"))
        try Data("SECRET-GIT".utf8).write(to: dist.appendingPathComponent("sub/.git/config"))
        try Data("SECRET-OUTSIDE".utf8).write(to: base.appendingPathComponent("outside/secret.txt"))
        try fm.createSymbolicLink(atPath: dist.appendingPathComponent("escape.txt").path, withDestinationPath: "../outside/secret.txt")
        try fm.createSymbolicLink(atPath: dist.appendingPathComponent("escapedir").path, withDestinationPath: "../outside")
        try fm.createSymbolicLink(atPath: dist.appendingPathComponent("absolute.txt").path, withDestinationPath: base.appendingPathComponent("outside/secret.txt").path)
        try fm.createSymbolicLink(atPath: dist.appendingPathComponent("alias.txt").path, withDestinationPath: "small.txt")
        try fm.createSymbolicLink(atPath: dist.appendingPathComponent("envlink.txt").path, withDestinationPath: ".env")
        // A store with two versions of "demo"; the second is newer.
        let oldBytes = Self.randomBytes(5000), newBytes = Self.randomBytes(6000)
        let oldSHA = Self.sha(oldBytes), newSHA = Self.sha(newBytes)
        let oldFolder = dist.appendingPathComponent("sites/demo/\(oldSHA)")
        let newFolder = dist.appendingPathComponent("sites/demo/\(newSHA)")
        try fm.createDirectory(at: oldFolder, withIntermediateDirectories: true)
        try fm.createDirectory(at: newFolder, withIntermediateDirectories: true)
        _ = try Self.writeArtifact(oldBytes, name: "demo", in: oldFolder)
        _ = try Self.writeArtifact(newBytes, name: "demo", in: newFolder)
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: oldFolder.appendingPathComponent("content.tar.gz").path)
        // What makes a store version newest is its folder's mtime (build sets it when it adds the version).
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: oldFolder.path)
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: newFolder.path)
        storeOld = oldSHA
        storeNew = newSHA
        // A tampered store entry: manifest and folder say one digest, the bytes have another.
        let claimed = Self.randomBytes(3000)
        tampered = Self.sha(claimed)
        let badFolder = dist.appendingPathComponent("sites/bad/\(tampered)")
        try fm.createDirectory(at: badFolder, withIntermediateDirectories: true)
        try Self.writeArtifact(claimed, name: "bad", in: badFolder)
        try Data(Self.randomBytes(3000)).write(to: badFolder.appendingPathComponent("content.tar.gz"))
    }

    func remove() { try? FileManager.default.removeItem(at: base) }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Pseudo-random bytes from a seed, fast enough for tens of megabytes (xorshift64*).
    static func patternBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < count {
                state ^= state >> 12
                state ^= state << 25
                state ^= state >> 27
                var word = (state &* 2_685_821_657_736_338_717).littleEndian
                let take = min(8, count - offset)
                withUnsafeBytes(of: &word) { raw.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: take) }
                offset += take
            }
        }
        return bytes
    }

    /// Adds a version to the store under `root` the way build does: written into a hidden temporary folder,
    /// renamed into `sites/<name>/<sha256>/`, its folder mtime set to now. Returns the digest.
    @discardableResult
    static func publish(_ bytes: [UInt8], name: String, root: String) throws -> String {
        let staging = URL(fileURLWithPath: root + "/sites/\(name)/.tmp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        let digest = try writeArtifact(bytes, name: name, in: staging)
        let folder = root + "/sites/\(name)/\(digest)"
        guard rename(staging.path, folder) == 0 else { throw SystemCallError("rename", errno: errno) }
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: folder)
        return digest
    }

    /// Removes a version the way gc does: renamed aside to a hidden `.gc-` folder, then deleted.
    static func collect(name: String, sha256: String, root: String) throws {
        let aside = root + "/sites/\(name)/.gc-\(sha256)-\(UUID().uuidString.prefix(6))"
        guard rename(root + "/sites/\(name)/\(sha256)", aside) == 0 else { throw SystemCallError("rename", errno: errno) }
        try FileManager.default.removeItem(atPath: aside)
    }

    static func sha(_ bytes: [UInt8]) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return ArtifactCatalog.sha256(of: path) ?? ""
    }

    @discardableResult
    static func writeArtifact(_ bytes: [UInt8], name: String, in folder: URL) throws -> String {
        let digest = sha(bytes)
        try Data(bytes).write(to: folder.appendingPathComponent("content.tar.gz"))
        try Data("\(digest)  content.tar.gz\n".utf8).write(to: folder.appendingPathComponent("content.tar.gz.sha256"))
        let manifest = Manifest(
            name: name, sitepackVersion: "test", prefix: "site",
            archive: .init(file: "content.tar.gz", sha256: digest, size: Int64(bytes.count)),
            tar: .init(sha256: String(repeating: "0", count: 64), size: 0), fileCount: 0, totalBytes: 0, files: [], excluded: [],
            mtime: .init(epoch: 0, source: .sourceDateEpoch),
            compressor: .init(name: "test", version: "0", level: 6, format: "gzip-members", blockSize: 1 << 20))
        try Data(try manifest.encoded()).write(to: folder.appendingPathComponent("manifest.json"))
        return digest
    }

    /// Starts a server on 127.0.0.1 port 0 over the fixture, runs `body` with it, then shuts it down.
    func withServer(_ tweak: (inout ServeConfiguration) -> Void = { _ in },
                    _ body: @Sendable (ArtifactServer) async throws -> Void) async throws {
        var configuration = ServeConfiguration(root: root, host: "127.0.0.1", port: 0, accessLog: .off, gracePeriod: .seconds(5))
        tweak(&configuration)
        let server = try await ArtifactServer.make(configuration: configuration, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            do {
                try await body(server)
            } catch {
                server.shutdown()
                throw error
            }
            server.shutdown()
            try await group.waitForAll()
        }
    }
}

/// A parsed HTTP/1.1 response from a raw socket.
struct RawResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    subscript(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Speaks HTTP over a plain socket, so request targets reach the server exactly as written
/// (curl and URLSession normalise paths).
enum RawHTTP {
    /// Sends `request` bytes, half-closes, and reads until the server closes.
    static func exchange(port: Int, _ request: String, receiveBufferSize: Int32? = nil) throws -> [UInt8] {
        try LoopbackSocket.exchange(port: port, Array(request.utf8), receiveBuffer: receiveBufferSize).answer
    }

    /// Splits pipelined responses; `heads[i]` says whether response i answers a HEAD (no body).
    static func parse(_ bytes: [UInt8], heads: [Bool] = []) -> [RawResponse] {
        var responses: [RawResponse] = []
        var index = 0
        let separator: [UInt8] = [13, 10, 13, 10]
        while index < bytes.count {
            guard let end = find(separator, in: bytes, from: index) else { break }
            let text = String(decoding: bytes[index..<end], as: UTF8.self)
            var lines = text.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ")
            var headers: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
            index = end + 4
            let isHead = responses.count < heads.count && heads[responses.count]
            var length = Int(headers["content-length"] ?? "0") ?? 0
            if isHead || status == 304 { length = 0 }
            let bodyEnd = min(bytes.count, index + length)
            responses.append(RawResponse(status: status, headers: headers, body: Array(bytes[index..<bodyEnd])))
            index = bodyEnd
        }
        return responses
    }

    /// One request, one parsed response.
    static func request(port: Int, method: String = "GET", _ target: String, headers: [String: String] = [:]) throws -> RawResponse {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        let responses = parse(try exchange(port: port, text), heads: [method == "HEAD"])
        guard let first = responses.first else { throw SitepackError(.io, "no response to \(method) \(target)") }
        return first
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var i = start
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}

/// Runs blocking work (socket calls) on a thread of its own and awaits it, so tests never block the
/// concurrency pool's few threads while a server on the same machine answers.
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.start()
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held. For
/// conditions a busy machine reaches in its own time: the deadline is generous, never a sleep to assert on.
func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
