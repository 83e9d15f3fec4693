import Foundation
import SitepackTestSupport
import Testing

/// Helpers for the fetch/verify integration tests: the built binary, processes, temp folders, the
/// generated corpus and the local HTTP server.
enum FetchTestSupport {
    static let binary = Subprocess.sitepack
    static let fixtures = Subprocess.packageRoot + "/Tests/Fixtures/fetch"

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program to completion (see ``Subprocess/run(_:in:environment:stdin:)``).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], cwd: String? = nil) throws -> Output {
        let result = try Subprocess.run([executable] + arguments, in: cwd)
        return Output(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// Runs `sitepack` with arguments.
    @discardableResult
    static func sitepack(_ arguments: [String], cwd: String? = nil) throws -> Output {
        try run(binary, arguments, cwd: cwd)
    }

    /// Runs a shell command (for peers: tar, bsdtar).
    @discardableResult
    static func shell(_ command: String) throws -> Output {
        try run("/bin/sh", ["-c", command])
    }

    /// The sorted entries under `path` (relative), without following symlinks.
    static func listing(_ path: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return [] }
        var names: [String] = []
        while let name = enumerator.nextObject() as? String { names.append(name) }
        return names.sorted()
    }
}

/// A temporary folder removed on deinit.
final class FetchTempDir {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "sitepack-fetch-test-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw CocoaError(.fileWriteUnknown)
        }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func sub(_ name: String, create: Bool = true) throws -> String {
        let full = "\(path)/\(name)"
        if create { try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true) }
        return full
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The corpus written by Tests/Fixtures/fetch/hostile_corpus.py into a temp folder, with a canary folder
/// beside the sandboxes that hostile archives aim at, and the test HTTP server serving it.
final class FetchCorpus {
    let temp: FetchTempDir
    let files: String
    let canary: String
    let server: Process
    let port: Int
    var baseURL: String { "http://127.0.0.1:\(port)" }

    init() throws {
        temp = try FetchTempDir()
        files = try temp.sub("files", create: false)
        canary = try temp.sub("canary")
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: "\(canary)/secret.txt"))
        let generated = try FetchTestSupport.run("/usr/bin/env", ["python3", "\(FetchTestSupport.fixtures)/hostile_corpus.py", files, canary])
        guard generated.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "corpus generator failed: \(generated.stderr)"])
        }
        server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "\(FetchTestSupport.fixtures)/test_server.py", files]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0a]) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(server.processIdentifier, SIGKILL)
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "test server did not print its port"])
        }
        self.port = port
    }

    func url(_ name: String) -> String { "\(baseURL)/files/\(name)" }

    /// Packs `files` (relative path → text) with GNU tar into `<temp>/packed/<name>.tar.gz`; returns its path.
    func pack(_ files: [String: String], as name: String) throws -> String {
        let folder = try temp.sub("packed/\(name)")
        for (path, text) in files {
            let full = "\(folder)/\(path)"
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        }
        let archive = "\(folder).tar.gz"
        let tops = Set(files.keys.compactMap { $0.split(separator: "/").first.map(String.init) }).sorted()
        let packed = try FetchTestSupport.run("/usr/bin/tar", ["-czf", archive, "-C", folder] + tops)
        guard packed.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "tar failed: \(packed.stderr)"])
        }
        return archive
    }

    /// The sha256 of a file, by `sha256sum`.
    func sha256(_ path: String) throws -> String {
        String(try FetchTestSupport.run("/usr/bin/sha256sum", [path]).stdout.prefix(64))
    }

    /// Serves `archive` at the content-addressed URL `…/<store>/sites/<site>/<digest>/content.tar.gz`,
    /// where `digest` is the archive's own sha256 unless given (a server answering with wrong bytes).
    func publish(_ archive: String, site: String = "demo", store: String = "store", digest: String? = nil) throws -> (url: String, sha256: String) {
        let sha = try digest ?? sha256(archive)
        let relative = "\(store)/sites/\(site)/\(sha)/content.tar.gz"
        let target = "\(files)/\(relative)"
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: archive, toPath: target)
        return (url(relative), sha)
    }

    /// A fresh, empty sandbox folder beside the canary, so "../canary" from it reaches the canary.
    func sandbox(_ name: String) throws -> String { try temp.sub("sb-\(name)") }

    /// What the canary folder holds (it must only ever hold secret.txt).
    var canaryListing: [String] { FetchTestSupport.listing(canary) }

    deinit {
        // SIGKILL: the test runner's threads may block SIGTERM, and a spawned child inherits that mask.
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
    }
}
