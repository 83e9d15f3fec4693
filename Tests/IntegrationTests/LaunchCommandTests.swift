import Foundation
import Glibc
import MesosMasterEmulator
import SitepackCore
import SitepackTestSupport
import Testing

/// `sitepack launch` against the Mesos master emulator (Tests/MesosMasterEmulator): a launch ends with the
/// site answering on its port, failures exit non-zero with the master's or the agent's words, signals
/// kill and tear down, --detach and --kill, and the protocol's awkward parts (307, 503, 401, 403, a
/// dropped stream, silent heartbeats, RESCIND). No process is left behind.
@Suite("launch: a v1 scheduler framework against the master emulator", .serialized)
struct LaunchCommandTests {
    static let sample = Subprocess.packageRoot + "/samples/hello-site"

    /// `sitepack launch …` running in the background, stdout and stderr in files.
    final class Launch: @unchecked Sendable {
        let process = Process()
        let outPath: String
        let errPath: String

        init(_ arguments: [String], in directory: TemporaryDirectory) throws {
            let name = UUID().uuidString
            outPath = directory.join("launch-\(name).out")
            errPath = directory.join("launch-\(name).err")
            FileManager.default.createFile(atPath: outPath, contents: nil)
            FileManager.default.createFile(atPath: errPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: Subprocess.sitepack)
            process.arguments = ["launch"] + arguments
            process.standardOutput = FileHandle(forWritingAtPath: outPath)
            process.standardError = FileHandle(forWritingAtPath: errPath)
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }

        /// Waits for the exit (SIGKILL after `seconds`, so nothing outlives a test); returns the status.
        @discardableResult
        func wait(_ seconds: Double = 60) -> Int32 {
            if !waitUntil(seconds, { !process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return process.terminationStatus
        }

        func signal(_ number: Int32) { kill(process.processIdentifier, number) }
    }

    /// Builds the sample, serves it; returns the server and the artifact URL.
    static func servedSample(_ dir: TemporaryDirectory) throws -> (Child, String) {
        let build = try Subprocess.sitepack(["build", sample, "-o", dir.join("dist"), "--quiet"])
        try #require(build.status == 0, "\(build.stderr)")
        let version = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.join("dist/sites/hello-site")).first)
        let (server, origin) = try Child.serve(dir.join("dist"), in: dir.path)
        let served = try #require(origin, "serve did not start: \(server.stderr)")
        return (server, "\(served)/sites/hello-site/\(version)/content.tar.gz")
    }

    static func curl(_ url: String) throws -> (status: String, body: String) {
        let result = try Subprocess.run(["curl", "-s", "-w", "\n%{http_code}", "--max-time", "10", url])
        let parts = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (String(parts.last ?? ""), parts.dropLast().joined(separator: "\n"))
    }

    /// Agents that only pretend to run tasks (no sandbox, no process), for the protocol tests.
    static func pretendAgents(_ count: Int = 2, portsEach: UInt64 = 5) -> EmulatorConfiguration {
        var configuration = EmulatorConfiguration(agents: (0..<count).map { index in
            let base = 40000 + UInt64(index) * 100
            return .init(id: "pretend-S\(index)", hostname: "agent\(index).test", cpus: 8, mem: 8192, ports: [ValueRange(begin: base, end: base + portsEach - 1)])
        })
        configuration.runTasks = false
        return configuration
    }

    static let pretendArtifact = "http://127.0.0.1:9/sites/hello-site/\(String(repeating: "ab", count: 32))/content.tar.gz"

    @Test("launch ends with curl getting the site's index.html (200); SIGINT kills the task, tears down, exits 0")
    func launchServesTheSite() async throws {
        let dir = try TemporaryDirectory("launch-site")
        defer { dir.remove() }
        let (server, artifact) = try Self.servedSample(dir)
        defer { server.stop() }
        let master = try await MesosMasterEmulator.start(.localAgent())
        let launch = try Launch(["--master", master.url, "--artifact", artifact, "--timeout", "120s"], in: dir)
        defer { launch.wait(1); Task { await master.shutdown() } }

        #expect(waitUntil(120) { !launch.lines.isEmpty || !launch.process.isRunning }, "no URL: \(launch.stderr)")
        let url = try #require(launch.lines.first, "launch printed no URL: \(launch.stderr)")
        #expect(url.hasPrefix("http://127.0.0.1:") && url.hasSuffix("/"))
        let answer = try Self.curl(url)
        #expect(answer.status == "200")
        #expect(answer.body == (try String(contentsOfFile: Self.sample + "/index.html", encoding: .utf8)))
        for step in ["STAGING", "STARTING", "RUNNING", "healthy"] { #expect(launch.stderr.contains(step), "no \(step) in:\n\(launch.stderr)") }
        #expect(waitUntil(10) { master.unacknowledged == 0 }, "updates left unacknowledged")
        #expect(master.calls.contains("ACCEPT") && master.calls.contains("SUPPRESS") && master.calls.contains("ACKNOWLEDGE"))

        launch.signal(SIGINT)
        #expect(launch.wait(60) == 0, "\(launch.stderr)")
        #expect(master.calls.contains("KILL") && master.calls.last == "TEARDOWN", "\(master.calls)")
        #expect(master.processes.isEmpty)
        #expect(try Self.curl(url).status == "000", "the site still answers after the launch stopped")
        await master.shutdown()
    }

    @Test("a DIST_DIR is served by launch itself while the task runs")
    func launchesAStore() async throws {
        let dir = try TemporaryDirectory("launch-store")
        defer { dir.remove() }
        let build = try Subprocess.sitepack(["build", Self.sample, "-o", dir.join("dist"), "--quiet"])
        try #require(build.status == 0, "\(build.stderr)")
        let master = try await MesosMasterEmulator.start(.localAgent())
        let launch = try Launch(["--master", master.url, dir.join("dist"), "--serve-host", "127.0.0.1", "--timeout", "120s"], in: dir)
        defer { launch.wait(1) }
        #expect(waitUntil(120) { !launch.lines.isEmpty || !launch.process.isRunning }, "no URL: \(launch.stderr)")
        let url = try #require(launch.lines.first, "\(launch.stderr)")
        #expect(try Self.curl(url).status == "200")
        #expect(launch.stderr.contains("serving http://"))
        launch.signal(SIGTERM)
        #expect(launch.wait(60) == 0, "\(launch.stderr)")
        #expect(master.processes.isEmpty)
        await master.shutdown()
    }

    @Test("a fetch failure exits 1 with TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED and a sitepack check hint")
    func fetchFailure() async throws {
        let dir = try TemporaryDirectory("launch-fetch")
        defer { dir.remove() }
        let (server, artifact) = try Self.servedSample(dir)
        defer { server.stop() }
        let missing = artifact.replacingOccurrences(of: #"/[0-9a-f]{64}/"#, with: "/\(String(repeating: "0", count: 64))/", options: .regularExpression)
        let master = try await MesosMasterEmulator.start(.localAgent())
        let launch = try Launch(["--master", master.url, "--artifact", missing, "--timeout", "60s"], in: dir)
        #expect(launch.wait(90) == 1)
        await master.shutdown()
        #expect(launch.stderr.contains("TASK_FAILED"))
        #expect(launch.stderr.contains("REASON_CONTAINER_LAUNCH_FAILED"))
        #expect(launch.stderr.contains("Failed to fetch all URIs"))
        #expect(launch.stderr.contains("sitepack check \(missing)"))
        #expect(launch.stdout.isEmpty)
        #expect(!master.tornDown.isEmpty, "the failed framework was not torn down")
    }

    @Test("--detach prints the URL and the framework id and leaves the site running; --kill tears it down")
    func detachThenKill() async throws {
        let dir = try TemporaryDirectory("launch-detach")
        defer { dir.remove() }
        let (server, artifact) = try Self.servedSample(dir)
        defer { server.stop() }
        let master = try await MesosMasterEmulator.start(.localAgent())
        let launch = try Launch(["--master", master.url, "--artifact", artifact, "--detach", "--timeout", "120s"], in: dir)
        #expect(launch.wait(150) == 0, "\(launch.stderr)")
        let lines = launch.lines
        try #require(lines.count == 2, "stdout: \(launch.stdout)\nstderr: \(launch.stderr)")
        #expect(try Self.curl(lines[0]).status == "200", "the detached site does not answer")
        #expect(master.tornDown.isEmpty)
        let frameworkID = lines[1]

        let killer = try Subprocess.sitepack(["launch", "--kill", "--framework-id", frameworkID, "--master", master.url, "--timeout", "30s"])
        #expect(killer.status == 0, "\(killer.stderr)")
        #expect(master.tornDown == [frameworkID])
        #expect(master.processes.isEmpty)
        #expect(try Self.curl(lines[0]).status == "000")
        await master.shutdown()
    }

    @Test("a non-leader's 307 is followed to the leader; 503s are retried; a dropped stream is resubscribed and reconciled")
    func redirectsRetriesAndResubscribes() async throws {
        let dir = try TemporaryDirectory("launch-protocol")
        defer { dir.remove() }
        var configuration = Self.pretendAgents()
        configuration.unavailableRequests = 2
        configuration.dropStreamAfterUpdates = 1
        let leader = try await MesosMasterEmulator.start(configuration)
        var follower = EmulatorConfiguration(agents: [])
        follower.leaderPort = leader.port
        let other = try await MesosMasterEmulator.start(follower)
        let launch = try Launch(["--master", other.url, "--artifact", Self.pretendArtifact, "--instances", "2", "--timeout", "60s"], in: dir)
        #expect(waitUntil(60) { launch.lines.count == 2 || !launch.process.isRunning }, "\(launch.stderr)")
        #expect(Set(launch.lines.map { $0.components(separatedBy: ":")[1] }) == ["//agent0.test", "//agent1.test"], "not spread over the agents: \(launch.lines)")
        #expect(other.statuses.allSatisfy { $0 == 307 })
        #expect(leader.statuses.prefix(2) == [503, 503])
        #expect(leader.subscriptions >= 2, "no resubscription after the dropped stream")
        #expect(leader.calls.contains("RECONCILE"))
        #expect(launch.stderr.contains("503"))
        launch.signal(SIGTERM)
        #expect(launch.wait(30) == 0, "\(launch.stderr)")
        #expect(leader.calls.last == "TEARDOWN")
        await leader.shutdown()
        await other.shutdown()
    }

    @Test("no heartbeat for 5 × the interval: reconnect, resubscribe with the framework id, reconcile; a rescinded offer is survived")
    func silentMasterAndRescind() async throws {
        let dir = try TemporaryDirectory("launch-heartbeat")
        defer { dir.remove() }
        var configuration = Self.pretendAgents()
        configuration.heartbeatIntervalSeconds = 0.3
        configuration.silenceAfterUpdates = 1
        configuration.rescindFirstOffer = true
        let master = try await MesosMasterEmulator.start(configuration)
        let launch = try Launch(["--master", master.url, "--artifact", Self.pretendArtifact, "--timeout", "60s"], in: dir)
        #expect(waitUntil(60) { !launch.lines.isEmpty || !launch.process.isRunning }, "\(launch.stderr)")
        #expect(launch.stderr.contains("no event or heartbeat"), "\(launch.stderr)")
        #expect(launch.stderr.contains("rescinded"))
        #expect(master.subscriptions >= 2)
        #expect(master.calls.contains("RECONCILE"))
        launch.signal(SIGINT)
        #expect(launch.wait(30) == 0, "\(launch.stderr)")
        await master.shutdown()
    }

    @Test("401 without credentials (the master's words, a hint), 403 for a forbidden role; the secret never printed")
    func authentication() async throws {
        let dir = try TemporaryDirectory("launch-auth")
        defer { dir.remove() }
        var configuration = Self.pretendAgents()
        let secret = "s3cr3t-\(UInt32.random(in: 1000...9999))"
        configuration.credentials = .init(principal: "ops", secret: secret)
        configuration.forbiddenRoles = ["forbidden"]
        let master = try await MesosMasterEmulator.start(configuration)
        try secret.write(toFile: dir.join("secret"), atomically: true, encoding: .utf8)
        try "wrong\n".write(toFile: dir.join("wrong"), atomically: true, encoding: .utf8)

        let anonymous = try Subprocess.sitepack(["launch", "--master", master.url, "--artifact", Self.pretendArtifact, "--timeout", "20s"])
        #expect(anonymous.status == 1)
        #expect(anonymous.stderr.contains("401") && anonymous.stderr.contains("--principal"), "\(anonymous.stderr)")

        let wrong = try Subprocess.sitepack(["launch", "--master", master.url, "--artifact", Self.pretendArtifact, "--principal", "ops", "--secret-file", dir.join("wrong"), "--timeout", "20s"])
        #expect(wrong.status == 1 && wrong.stderr.contains("401"))

        let forbidden = try Subprocess.sitepack(["launch", "--master", master.url, "--artifact", Self.pretendArtifact, "--principal", "ops", "--secret-file", dir.join("secret"), "--role", "forbidden", "--timeout", "20s"])
        #expect(forbidden.status == 1)
        #expect(forbidden.stderr.contains("403") && forbidden.stderr.contains("Not authorized to use role 'forbidden'"), "\(forbidden.stderr)")
        #expect(!forbidden.stderr.contains(secret) && !forbidden.stdout.contains(secret))

        let launch = try Launch(["--master", master.url, "--artifact", Self.pretendArtifact, "--principal", "ops", "--secret-file", dir.join("secret"), "--timeout", "30s"], in: dir)
        #expect(waitUntil(30) { !launch.lines.isEmpty || !launch.process.isRunning }, "\(launch.stderr)")
        launch.signal(SIGTERM)
        #expect(launch.wait(30) == 0)
        #expect(!launch.stderr.contains(secret))
        await master.shutdown()
    }

    @Test("an address that is not a Mesos master is named as such")
    func notAMaster() throws {
        let dir = try TemporaryDirectory("launch-not-master")
        defer { dir.remove() }
        let (server, origin) = try Child.serve(Self.sample, in: dir.path)
        defer { server.stop() }
        let result = try Subprocess.sitepack(["launch", "--master", try #require(origin), "--artifact", Self.pretendArtifact, "--timeout", "20s"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("not a Mesos master"), "\(result.stderr)")
    }

    @Test("the emulator as curl sees it: 400 and 415 for Content-Type, a RecordIO stream with a Mesos-Stream-Id, TASK_ERROR for an invalid task")
    func emulatorWithCurl() async throws {
        let dir = try TemporaryDirectory("launch-emulator")
        defer { dir.remove() }
        let master = try await MesosMasterEmulator.start(Self.pretendAgents(1))
        defer { Task { await master.shutdown() } }
        let endpoint = master.url + "/api/v1/scheduler"
        let subscribe = #"{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"nobody","name":"curl"}}}"#
        func status(_ arguments: [String]) throws -> String {
            try Subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"] + arguments + [endpoint]).stdout
        }
        #expect(try status(["--data", subscribe, "-H", "Content-Type:"]) == "400")
        #expect(try status(["--data", subscribe, "-H", "Content-Type: application/json; charset=utf-8"]) == "415")
        #expect(try status(["--data", subscribe, "-H", "Content-Type: application/json", "-H", "Mesos-Stream-Id: x"]) == "400")

        let stream = dir.join("stream"), headers = dir.join("headers")
        let curl = try Child(["curl", "-sN", "-D", headers, "-o", stream, "-X", "POST", "-H", "Content-Type: application/json", "--data", subscribe, endpoint],
                             in: dir.path, stderrPath: dir.join("curl.err"))
        defer { curl.stop(kill: true) }
        func events() -> [MesosJSON] {
            var decoder = RecordIODecoder()
            let records = (try? decoder.decode([UInt8]((try? Data(contentsOf: URL(fileURLWithPath: stream))) ?? Data()))) ?? []
            return records.compactMap { try? MesosJSON.parse($0, source: "stream") }
        }
        #expect(waitUntil(20) { events().contains { $0["type"]?.stringValue == "OFFERS" } })
        let head = try String(contentsOfFile: headers, encoding: .utf8)
        #expect(head.lowercased().contains("transfer-encoding: chunked"))
        let streamID = try #require(head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("mesos-stream-id:") }?.split(separator: " ").last.map(String.init))
        let all = events()
        #expect(all.first?["type"]?.stringValue == "SUBSCRIBED")
        let frameworkID = try #require(all.first?["subscribed"]?["framework_id"]?["value"]?.stringValue)
        let offer = try #require(all.first { $0["type"]?.stringValue == "OFFERS" }?["offers"]?["offers"]?.arrayValue?.first)
        let offerID = try #require(offer["id"]?["value"]?.stringValue), agentID = try #require(offer["agent_id"]?["value"]?.stringValue)
        let accept = """
            {"type":"ACCEPT","framework_id":{"value":"\(frameworkID)"},"accept":{"offer_ids":[{"value":"\(offerID)"}],
             "operations":[{"type":"LAUNCH","launch":{"task_infos":[{"name":"bad","task_id":{"value":"bad-1"},"agent_id":{"value":"\(agentID)"},
             "resources":[],"command":{"value":"true"}}]}}]}}
            """
        #expect(try status(["--data", accept, "-H", "Content-Type: application/json"]) == "400", "a call without Mesos-Stream-Id")
        #expect(try status(["--data", accept, "-H", "Content-Type: application/json", "-H", "Mesos-Stream-Id: \(streamID)"]) == "202")
        #expect(waitUntil(20) { events().contains { $0["update"]?["status"]?["state"]?.stringValue == "TASK_ERROR" } })
        let error = try #require(events().first { $0["update"]?["status"]?["state"]?.stringValue == "TASK_ERROR" }?["update"]?["status"])
        #expect(error["reason"]?.stringValue == "REASON_TASK_INVALID")
        #expect(error["message"]?.stringValue?.contains("Task uses no resources") == true)
        #expect(error["uuid"] == nil, "a master-generated update carries no uuid")
        curl.stop(kill: true)
        await master.shutdown()
    }

    /// Issue 11's memory budget: 1,000 tasks' state under 64 MiB RSS (VmHWM, the peak), measured while
    /// the emulator reports them RUNNING without running them. Checks memory only, never time.
    @Test("launch holding 1,000 tasks stays under 64 MiB peak RSS")
    func thousandTasksMemory() async throws {
        let dir = try TemporaryDirectory("launch-memory")
        defer { dir.remove() }
        var configuration = Self.pretendAgents(100, portsEach: 12)
        configuration.updateRetrySeconds = 5
        let master = try await MesosMasterEmulator.start(configuration)
        let launch = try Launch(["--master", master.url, "--artifact", Self.pretendArtifact, "--instances", "1000", "--cpus", "0.1", "--mem", "32",
                                 "--timeout", "600s"], in: dir)
        defer { launch.wait(1) }
        #expect(waitUntil(600) { launch.lines.count >= 1000 || !launch.process.isRunning }, "\(launch.lines.count) URLs; \(launch.stderr)")
        try #require(launch.process.isRunning, "launch ended: \(launch.stderr.suffix(3000))")
        let status = try String(contentsOfFile: "/proc/\(launch.process.processIdentifier)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        let kilobytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        print("launch --instances 1000: VmHWM \(kilobytes) kB")
        #expect(launch.lines.count == 1000)
        #expect(Set(launch.lines).count == 1000)
        #expect(kilobytes < 64 * 1024, "peak RSS \(kilobytes) kB")
        launch.signal(SIGINT)
        #expect(launch.wait(300) == 0, "\(launch.stderr)")
        #expect(master.liveTasks.isEmpty)
        await master.shutdown()
    }
}
