import Foundation
import Glibc
import SitepackTestSupport
import Testing

/// `sitepack check` against the built binary: the sample passes with the python and sitepack runtimes,
/// and each way a task breaks fails at its own step, with no process left behind.
@Suite("check: run the site as a Mesos agent would, and say which step broke")
struct CheckCommandTests {
    private static let sample = Subprocess.packageRoot + "/samples/hello-site"

    /// The report `check --json` prints.
    struct Report: Decodable {
        struct Step: Decodable {
            var name: String
            var status: String
            var detail: String
            var hint: String?
        }
        var steps: [Step]
        var passed: Bool
        var sandbox: String?
        var exit_status: Int32

        var failed: Step? { steps.first { $0.status == "FAIL" } }
        func step(_ name: String) -> Step? { steps.first { $0.name == name } }
    }

    /// Runs `sitepack check ARGS --json`.
    static func check(_ arguments: [String], in directory: String? = nil) throws -> (Subprocess.Result, Report) {
        let result = try Subprocess.sitepack(["check"] + arguments + ["--json"], in: directory)
        let report = try JSONDecoder().decode(Report.self, from: result.stdoutData)
        return (result, report)
    }

    /// A port nothing listens on, found by binding port 0.
    static func freePort() throws -> Int {
        let script = "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
        return try #require(Int(Subprocess.run(["python3", "-c", script]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Whether some process's command line contains `marker`.
    static func running(_ marker: String) throws -> Bool {
        try Subprocess.run(["pgrep", "-f", marker]).status == 0
    }

    /// A unique marker usable in a `sleep` duration: `600.<digits>`.
    static func sleepMarker() -> String { "600.\(UInt32.random(in: 100_000...999_999))\(getpid())" }

    /// A TaskInfo for a command task on `port` (ports resource, PORT0, a quick HTTP health check).
    static func taskInfo(id: String, command: String, port: Int, uris: [[String: Any]] = []) throws -> Data {
        let task: [String: Any] = [
            "name": "check-test",
            "task_id": ["value": id],
            "agent_id": ["value": "agent-S0"],
            "resources": [
                ["name": "cpus", "type": "SCALAR", "scalar": ["value": 0.1], "role": "*"],
                ["name": "mem", "type": "SCALAR", "scalar": ["value": 32], "role": "*"],
                ["name": "ports", "type": "RANGES", "ranges": ["range": [["begin": port, "end": port]]], "role": "*"],
            ],
            "command": [
                "uris": uris,
                "environment": ["variables": [["name": "PORT0", "type": "VALUE", "value": String(port)]]],
                "shell": true,
                "value": command,
            ],
            "health_check": ["type": "HTTP", "http": ["scheme": "http", "port": port, "path": "/"],
                             "delay_seconds": 0, "interval_seconds": 1, "timeout_seconds": 2,
                             "consecutive_failures": 3, "grace_period_seconds": 5],
            "kill_policy": ["grace_period": ["nanoseconds": 2_000_000_000]],
        ]
        return try JSONSerialization.data(withJSONObject: task)
    }

    static func build(_ site: String, into dir: TemporaryDirectory, name: String = "dist") throws -> String {
        let build = try Subprocess.sitepack(["build", site, "-o", dir.join(name), "--quiet"])
        #expect(build.status == 0, "\(build.stderr)")
        return dir.join(name)
    }

    @Test("the sample passes every step with the python, sitepack and (where installed) busybox runtimes; nothing is left running",
          arguments: ["python", "sitepack", "busybox"])
    func samplePasses(runtime: String) throws {
        let dir = try TemporaryDirectory("sitepack-check")
        defer { dir.remove() }
        let dist = try Self.build(Self.sample, into: dir)
        let (result, report) = try Self.check([dist, "--runtime", runtime, "--timeout", "60s"])
        if runtime == "busybox", try Subprocess.run(["sh", "-c", "command -v busybox"]).status != 0 {
            // Not installed here: a SKIP with the reason and exit 77, never a pass.
            #expect(result.status == 77, "\(result.stdout)")
            #expect(report.step("run")?.status == "SKIP")
            #expect(!report.passed)
            return
        }
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(report.passed)
        #expect(report.steps.map(\.name) == ["verify", "serve", "task", "fetch", "run", "probe", "stop"])
        #expect(report.steps.allSatisfy { $0.status == "PASS" }, "\(result.stdout)")
        #expect(report.step("probe")?.detail.contains("files match the manifest") == true)
        let sandbox = try #require(report.sandbox)
        #expect(!FileManager.default.fileExists(atPath: sandbox), "the sandbox was not removed")
        let detail = try #require(report.step("task")?.detail)
        let port = try #require(detail.range(of: #"port [0-9]+"#, options: .regularExpression).map { String(detail[$0].dropFirst(5)) })
        let marker = ["python": "http.server \(port) ", "sitepack": "serve site --port \(port)", "busybox": "httpd -f -p \(port)"][runtime]!
        #expect(try !Self.running(marker), "a \(runtime) server on port \(port) is still running")
    }

    @Test("a dot-file the sitepack runtime keeps private (404) is reported, not a failure; python serves it and it matches")
    func hiddenFile() throws {
        let dir = try TemporaryDirectory("sitepack-check")
        defer { dir.remove() }
        try dir.write("site/index.html", "<p>hi</p>\n")
        try dir.write("site/.buildinfo", "config: 1\n")
        let dist = try Self.build(dir.join("site"), into: dir)
        let (sitepack, sitepackReport) = try Self.check([dist, "--runtime", "sitepack", "--timeout", "60s"])
        #expect(sitepack.status == 0, "\(sitepack.stdout)")
        #expect(sitepackReport.step("probe")?.detail.contains("not served (hidden, 404): /.buildinfo") == true, "\(sitepack.stdout)")
        let (python, pythonReport) = try Self.check([dist, "--runtime", "python", "--timeout", "60s"])
        #expect(python.status == 0, "\(python.stdout)")
        #expect(pythonReport.step("probe")?.detail.contains("not served") == false, "\(python.stdout)")
    }

    @Test("a command that exits at once fails at run, with its stderr")
    func exitsAtOnce() throws {
        let dir = try TemporaryDirectory("sitepack-check")
        defer { dir.remove() }
        let file = dir.join("task.json")
        try Self.taskInfo(id: "exit-at-once", command: "echo going away >&2; exit 3", port: Self.freePort()).write(to: URL(fileURLWithPath: file))
        let (result, report) = try Self.check(["--task", file, "--keep"])
        #expect(result.status == 1)
        #expect(report.failed?.name == "run", "\(result.stdout)")
        #expect(report.failed?.detail.contains("exited with status 3") == true)
        #expect(report.step("stop")?.status == "PASS")
        let sandbox = try #require(report.sandbox)
        defer { try? FileManager.default.removeItem(atPath: sandbox.components(separatedBy: "/slaves/")[0]) }
        let stderr = try String(contentsOfFile: sandbox + "/stderr", encoding: .utf8)
        #expect(stderr.contains("going away"))
    }

    @Test("a site without index.html fails at probe")
    func noIndex() throws {
        let dir = try TemporaryDirectory("sitepack-check")
        defer { dir.remove() }
        try dir.write("site/about.html", "<p>about</p>\n")
        let dist = try Self.build(dir.join("site"), into: dir)
        let (result, report) = try Self.check([dist, "--timeout", "30s"])
        #expect(result.status == 1)
        #expect(report.failed?.name == "probe", "\(result.stdout)")
        #expect(report.failed?.detail.contains("index.html") == true)
        #expect(report.step("stop")?.status == "PASS")
    }

    @Test("a port that never opens fails at probe after --timeout, and the task is stopped")
    func portNeverOpens() throws {
        let dir = try TemporaryDirectory("sitepack-check")
        defer { dir.remove() }
        let marker = Self.sleepMarker()
        let file = dir.join("task.json")
        try Self.taskInfo(id: "never-listens", command: "sleep \(marker)", port: Self.freePort()).write(to: URL(fileURLWithPath: file))
        let (result, report) = try Self.check(["--task", file, "--timeout", "5s"])
        #expect(result.status == 1)
        #expect(report.step("run")?.status == "PASS")
        #expect(report.failed?.name == "probe", "\(result.stdout)")
        #expect(report.failed?.detail.contains("nothing listens") == true)
        #expect(try !Self.running("sleep \(marker)"))
    }

    @Test("a server on the wrong port fails at probe, and is stopped")
    func wrongPort() throws {
        let dir = try TemporaryDirectory("sitepack-check")
        defer { dir.remove() }
        let other = try Self.freePort()
        let file = dir.join("task.json")
        try Self.taskInfo(id: "wrong-port", command: "exec python3 -m http.server \(other) --bind 127.0.0.1", port: Self.freePort())
            .write(to: URL(fileURLWithPath: file))
        let (result, report) = try Self.check(["--task", file, "--timeout", "5s"])
        #expect(result.status == 1)
        #expect(report.failed?.name == "probe", "\(result.stdout)")
        #expect(report.failed?.detail.contains("listens on \(other) instead") == true, "\(result.stdout)")
        #expect(try !Self.running("http.server \(other) "))
    }

    @Test("a task that ignores SIGTERM is killed with SIGKILL after the kill policy's grace period")
    func ignoresSIGTERM() throws {
        let dir = try TemporaryDirectory("sitepack-check")
        defer { dir.remove() }
        let port = try Self.freePort()
        let file = dir.join("task.json")
        try Self.taskInfo(id: "ignores-term", command: "trap '' TERM; exec python3 -m http.server \(port) --bind 127.0.0.1", port: port)
            .write(to: URL(fileURLWithPath: file))
        let (result, report) = try Self.check(["--task", file, "--timeout", "30s"])
        #expect(result.status == 0, "\(result.stdout)")
        let stop = try #require(report.step("stop"))
        #expect(stop.status == "PASS")
        #expect(stop.detail.contains("SIGKILL after the 2 s grace period"), "\(stop.detail)")
        #expect(try !Self.running("http.server \(port) "))
    }

    @Test("a tampered artifact (its bytes no longer hash to its folder's sha256) fails at verify")
    func tampered() throws {
        let dir = try TemporaryDirectory("sitepack-check")
        defer { dir.remove() }
        let dist = try Self.build(Self.sample, into: dir)
        try dir.write("other/index.html", "<p>other</p>\n")
        let other = try Self.build(dir.join("other"), into: dir, name: "other-dist")
        let versions = try FileManager.default.contentsOfDirectory(atPath: dist + "/sites/hello-site")
        let version = try #require(versions.first { $0.count == 64 })
        let target = dist + "/sites/hello-site/\(version)/content.tar.gz"
        try FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: other + "/content.tar.gz", toPath: target)
        let (result, report) = try Self.check([dist])
        #expect(result.status == 1)
        #expect(report.failed?.name == "verify", "\(result.stdout)")
        #expect(report.failed?.detail.contains("changed after it was built") == true, "\(result.stdout)")
        // Verification runs beside the other steps; whatever they did, the task was stopped.
        #expect(report.step("stop")?.status != "FAIL", "\(result.stdout)")
        #expect(!report.passed)
    }

    @Test("a task id Mesos would refuse fails at task, naming the field")
    func badTaskID() throws {
        let dir = try TemporaryDirectory("sitepack-check")
        defer { dir.remove() }
        let file = dir.join("task.json")
        try Self.taskInfo(id: "site/one", command: "exit 0", port: Self.freePort()).write(to: URL(fileURLWithPath: file))
        let (result, report) = try Self.check(["--task", file])
        #expect(result.status == 1)
        #expect(report.failed?.name == "task", "\(result.stdout)")
        #expect(report.failed?.detail.contains("task_id.value") == true)
        #expect(report.step("fetch")?.status == "SKIP")
    }

    @Test("a URI with a query string fails at fetch: Mesos would not extract it")
    func queryString() throws {
        let dir = try TemporaryDirectory("sitepack-check")
        defer { dir.remove() }
        let file = dir.join("task.json")
        let uri: [String: Any] = ["value": "http://127.0.0.1:9/sites/x/content.tar.gz?v=3", "extract": true]
        try Self.taskInfo(id: "query-uri", command: "exit 0", port: Self.freePort(), uris: [uri]).write(to: URL(fileURLWithPath: file))
        let (result, report) = try Self.check(["--task", file])
        #expect(result.status == 1)
        #expect(report.failed?.name == "fetch", "\(result.stdout)")
        #expect(report.failed?.hint?.contains("query string") == true)
        let sandbox = try #require(report.sandbox)
        #expect(!FileManager.default.fileExists(atPath: sandbox))
    }

    /// A Python server of `root` whose GET is right and whose HEAD gives no Content-Length (`none`) or
    /// one byte more than the file (`wrong`); it writes its port to stderr.
    static let headServer = """
        import http.server, os, sys
        mode, root = sys.argv[1], sys.argv[2]
        class H(http.server.BaseHTTPRequestHandler):
            def body(self):
                path = os.path.join(root, self.path.lstrip('/'))
                return open(path, 'rb').read() if os.path.isfile(path) else None
            def do_GET(self):
                data = self.body()
                if data is None: return self.send_error(404)
                self.send_response(200); self.send_header('Content-Length', str(len(data))); self.end_headers(); self.wfile.write(data)
            def do_HEAD(self):
                data = self.body()
                if data is None: return self.send_error(404)
                self.send_response(200)
                if mode == 'wrong': self.send_header('Content-Length', str(len(data) + 1))
                self.end_headers()
            def log_message(self, *args): pass
        server = http.server.HTTPServer(('127.0.0.1', 0), H)
        print('port', server.server_address[1], file=sys.stderr, flush=True)
        server.serve_forever()
        """

    @Test("a server whose HEAD the agent's fetcher cache cannot use fails at fetch (cache: true sizes by HEAD)", arguments: ["none", "wrong"])
    func headAnsweredWrongly(mode: String) throws {
        let dir = try TemporaryDirectory("sitepack-check")
        defer { dir.remove() }
        let dist = try Self.build(Self.sample, into: dir)
        let script = try dir.write("head.py", Self.headServer)
        let server = try Child(["python3", script, mode, dist], in: dir.path, stderrPath: dir.join("head.err"))
        defer { server.stop(kill: true) }
        var port = ""
        #expect(waitUntil(30) {
            guard let range = server.stderr.range(of: #"port [0-9]+"#, options: .regularExpression) else { return false }
            port = String(server.stderr[range].dropFirst(5))
            return true
        }, "the HEAD server did not start: \(server.stderr)")
        let sha = String(try String(contentsOfFile: dist + "/content.tar.gz.sha256", encoding: .utf8).prefix(64))
        let url = "http://127.0.0.1:\(port)/sites/hello-site/\(sha)/content.tar.gz"
        let (result, report) = try Self.check([url, "--timeout", "60s"])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(report.failed?.name == "fetch", "\(result.stdout)")
        #expect(report.failed?.detail.contains("HEAD") == true, "\(result.stdout)")
        #expect(report.failed?.detail.contains(mode == "none" ? "no Content-Length" : "but the GET sent") == true, "\(result.stdout)")
        #expect(report.step("run")?.status == "SKIP")
        // The same artifact fetched without the cache makes no HEAD: it passes.
        let (uncached, uncachedReport) = try Self.check([url, "--timeout", "60s", "--no-cache"])
        #expect(uncached.status == 0, "\(uncached.stdout)\n\(uncached.stderr)")
        #expect(uncachedReport.passed)
    }

    @Test("SIGINT or SIGTERM to check stops the task's process group and removes the sandbox", arguments: [SIGINT, SIGTERM])
    func interrupted(signal: Int32) throws {
        let dir = try TemporaryDirectory("sitepack-check")
        defer { dir.remove() }
        let marker = Self.sleepMarker()
        let file = dir.join("task.json")
        let id = "interrupted-\(signal)"
        try Self.taskInfo(id: id, command: "sleep \(marker)", port: Self.freePort()).write(to: URL(fileURLWithPath: file))
        let child = try Child([Subprocess.sitepack, "check", "--task", file, "--timeout", "120s"], in: dir.path, stderrPath: dir.join("check.err"))
        defer { child.stop(kill: true) }
        #expect(try waitUntil(30) { try Self.running("sleep \(marker)") }, "the task never started: \(child.stderr)")
        kill(child.process.processIdentifier, signal)
        #expect(waitUntil(30) { !child.process.isRunning }, "check did not exit on signal \(signal)")
        child.process.waitUntilExit()
        #expect(child.process.terminationStatus == 128 + signal)
        #expect(try waitUntil(10) { try !Self.running("sleep \(marker)") }, "the task survived check's signal \(signal)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
            .filter { $0.hasPrefix("sitepack-check-") }
        for folder in leftovers {
            let path = NSTemporaryDirectory() + "/" + folder
            let found = (try? FileManager.default.subpathsOfDirectory(atPath: path))?.contains { $0.contains("executors/\(id)/") } ?? false
            #expect(!found, "the sandbox of the interrupted task was left in \(path)")
        }
    }
}
