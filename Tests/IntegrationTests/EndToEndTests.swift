import Foundation
import Glibc
import SitepackTestSupport
import Testing

/// The whole path, locally, as a cluster would run it: build the sample, serve it, turn
/// `samples/offer.json` into a TaskInfo, fetch every URI of that TaskInfo into a sandbox as an agent
/// does, run the task's own command there with the environment Mesos would give it, and probe the site
/// the way the HTTP health check does (curl on 127.0.0.1).
@Suite("end to end: build → serve → task → fetch → run → probe")
struct EndToEndTests {
    private static let sample = Subprocess.packageRoot + "/samples/hello-site"
    private static let offer = Subprocess.packageRoot + "/samples/offer.json"

    private static func freeOfferedPort() throws -> Int {
        let script = """
            import random, socket
            for port in random.sample(range(9001, 10001), 1000):
                s = socket.socket()
                try:
                    s.bind(("0.0.0.0", port)); print(port); break
                except OSError:
                    pass
                finally:
                    s.close()
            """
        return try #require(Int(Subprocess.run(["python3", "-c", script]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test("the python and sitepack runtimes serve the sample from the sandbox", arguments: ["python", "sitepack"])
    func wholePath(runtime: String) throws {
        let dir = try TemporaryDirectory("sitepack-e2e")
        defer { dir.remove() }

        let build = try Subprocess.sitepack(["build", Self.sample, "-o", dir.join("dist"), "--quiet"])
        #expect(build.status == 0, "\(build.stderr)")
        let sha = String(build.stdout.prefix(64))

        let server = try Child([Subprocess.sitepack, "serve", dir.join("dist"), "--host", "127.0.0.1", "--port", "0"],
                               in: dir.path, stderrPath: dir.join("serve.err"))
        defer { #expect(server.stop() == 0) }
        var origin = ""
        let started = waitUntil(10) {
            guard let range = server.stderr.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else { return false }
            origin = String(server.stderr[range])
            return true
        }
        #expect(started, "\(server.stderr)")

        let port = try Self.freeOfferedPort()
        let artifact = "\(origin)/sites/hello-site/\(sha)/content.tar.gz"
        let task = try Subprocess.sitepack(["task", "--offer", Self.offer, "--artifact", artifact, "--format", "taskinfo",
                                            "--runtime", runtime, "--port", String(port), "--task-id", "e2e-\(runtime)"])
        #expect(task.status == 0, "\(task.stderr)")
        try task.stdoutData.write(to: URL(fileURLWithPath: dir.join("taskinfo.json")))
        let taskInfo = try #require(try JSONSerialization.jsonObject(with: task.stdoutData) as? [String: Any])
        let command = try #require(taskInfo["command"] as? [String: Any])
        let value = try #require(command["value"] as? String)
        let variables = try #require((command["environment"] as? [String: Any])?["variables"] as? [[String: String]])
        var environment: [String: String] = [:]
        for variable in variables { environment[variable["name"] ?? ""] = variable["value"] }
        #expect(environment["PORT0"] == String(port))

        // Every URI is content-addressed (the artifact, and the binary at /bin/<sha256>/sitepack), so cached.
        let uris = try #require(command["uris"] as? [[String: Any]])
        #expect(uris.allSatisfy { $0["cache"] as? Bool == true })

        // The agent's fetcher: every URI of the TaskInfo into a fresh sandbox, through a cache of the test's own.
        let sandbox = dir.join("sandbox")
        let fetch = try Subprocess.sitepack(["fetch", "--task", dir.join("taskinfo.json"), "--sandbox", sandbox, "--cache-dir", dir.join("fetcher-cache")])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        // In cache mode Mesos extracts straight from the cache file and copies no archive into the sandbox.
        #expect(!FileManager.default.fileExists(atPath: sandbox + "/content.tar.gz"))
        #expect(FileManager.default.fileExists(atPath: sandbox + "/site/index.html"))
        if runtime == "sitepack" {
            #expect(FileManager.default.isExecutableFile(atPath: sandbox + "/sitepack"))
        }

        // The command executor: /bin/sh -c value, in the sandbox, with MESOS_SANDBOX and the task's environment,
        // in a session of its own (its id written to a file) so that stopping it stops the server it started.
        environment["MESOS_SANDBOX"] = sandbox
        let sessionFile = dir.join("task.sid")
        let site = try Child(["setsid", "--wait", "/bin/sh", "-c", "echo $$ > \"$1\"; exec /bin/sh -c \"$2\"", "task", sessionFile, value],
                             in: sandbox, environment: environment, stderrPath: dir.join("task.err"))
        defer {
            if let text = try? String(contentsOfFile: sessionFile, encoding: .utf8), let session = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                Glibc.kill(-session, SIGKILL)
            }
            site.stop(kill: true)
        }

        // The HTTP health check: curl on 127.0.0.1:<port><path>, success for 200-399.
        let page = dir.join("page.html")
        let healthy = try waitUntil(15) {
            let probe = try Subprocess.run(["curl", "-s", "-S", "-L", "-o", page, "-w", "%{http_code}", "http://127.0.0.1:\(port)/"])
            return probe.stdout == "200"
        }
        #expect(healthy, "\(site.stderr)")
        let served = try Data(contentsOf: URL(fileURLWithPath: page))
        let original = try Data(contentsOf: URL(fileURLWithPath: Self.sample + "/index.html"))
        #expect(served == original)
        // The site folder is served, not the sandbox root (which holds stdout, stderr and the archive).
        let root = try Subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/content.tar.gz"])
        #expect(root.stdout == "404")
    }
}
