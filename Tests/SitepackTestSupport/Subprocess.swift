public import Foundation

/// Runs programs for integration tests: the built `sitepack` binary and its peers (tar, curl, python3…).
public enum Subprocess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public let stdoutData: Data
    }

    /// The package root, found from this file's path.
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The debug binary `swift build` produced (make test builds it before running tests).
    public static var sitepack: String { packageRoot + "/.build/debug/sitepack" }

    /// Runs `arguments[0]` (looked up on PATH, or a path) with the rest as arguments, to completion.
    ///
    /// Output is captured in temporary files rather than pipes: a pipe's write end can leak into a
    /// long-lived process that a parallel test spawns at the same moment (a test server), and then
    /// end-of-file never comes.
    @discardableResult
    public static func run(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:], stdin: Data? = nil) throws -> Result {
        let capture = try TemporaryDirectory("sitepack-subprocess")
        defer { capture.remove() }
        let outPath = capture.join("stdout"), errPath = capture.join("stderr"), inPath = capture.join("stdin")
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        FileManager.default.createFile(atPath: inPath, contents: stdin ?? Data())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SOURCE_DATE_EPOCH")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        try input.close()
        let outData = (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data()
        let errData = (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self), stdoutData: outData)
    }

    /// Runs the sitepack binary.
    @discardableResult
    public static func sitepack(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:], stdin: Data? = nil) throws -> Result {
        try run([sitepack] + arguments, in: directory, environment: environment, stdin: stdin)
    }
}
