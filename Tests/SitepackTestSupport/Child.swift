public import Foundation
import Glibc

/// A running child process whose stderr goes to a file, stopped with SIGTERM on `stop()`.
public final class Child: @unchecked Sendable {
    /// The process.
    public let process = Process()
    /// Where its stderr is written.
    public let stderrPath: String

    /// Starts `arguments` (looked up on PATH through /usr/bin/env) in `directory`.
    public init(_ arguments: [String], in directory: String, environment: [String: String] = [:], stderrPath: String) throws {
        self.stderrPath = stderrPath
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// What the child wrote to stderr so far.
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Stops the child: SIGTERM (or SIGKILL with `kill`), then SIGKILL if it has not exited within 10 s. SIGKILL is for programs that keep the test
    /// runner's blocked signal mask (it survives exec; sitepack reads signals through signalfd, python cannot).
    @discardableResult
    public func stop(kill: Bool = false) -> Int32 {
        let pid = process.processIdentifier
        if process.isRunning { Glibc.kill(pid, kill ? SIGKILL : SIGTERM) }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { Glibc.kill(pid, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// `sitepack serve DIR` on 127.0.0.1, port 0; returns the child and the origin it printed (`http://127.0.0.1:PORT`),
    /// or nil for the origin if it did not start within `seconds`.
    public static func serve(_ directory: String, in workDirectory: String, extra: [String] = [], seconds: Double = 30) throws -> (Child, String?) {
        let child = try Child([Subprocess.sitepack, "serve", directory, "--host", "127.0.0.1", "--port", "0"] + extra,
                              in: workDirectory, stderrPath: workDirectory + "/serve-\(UUID().uuidString).err")
        var origin: String?
        _ = waitUntil(seconds) {
            guard let range = child.stderr.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else { return false }
            origin = String(child.stderr[range])
            return true
        }
        return (child, origin)
    }
}

/// Polls `condition` every 50 ms until it holds or `seconds` pass; never a fixed sleep.
public func waitUntil(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}
