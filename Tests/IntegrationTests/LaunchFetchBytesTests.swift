import Foundation
import MesosMasterEmulator
import SitepackCore
import SitepackTestSupport
import Testing

/// Issue 14's measure: what the artifact server sends for a 100-task launch on 10 agents, with the
/// fetcher cache (`cache: true`, the default for content-addressed URLs: one download per agent) and
/// without (`--no-cache`: one per task). Counted by serve's own `/metrics` (response bytes), with the
/// emulator's agents fetching each task's URIs as an agent does, one fetcher cache per agent.
@Suite("launch: bytes moved by the artifact server for 100 tasks on 10 agents", .serialized)
struct LaunchFetchBytesTests {
    static let agents = 10
    static let tasks = 100

    /// The sample plus 1 MiB of fixed pseudo-random bytes, so the artifact dominates the count.
    static func servedSite(_ dir: TemporaryDirectory) throws -> (Child, origin: String, artifact: String, size: Int) {
        let site = dir.join("site")
        try FileManager.default.copyItem(atPath: Subprocess.packageRoot + "/samples/hello-site", toPath: site)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<(1 << 20)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: site + "/noise.bin"))
        let build = try Subprocess.sitepack(["build", site, "-o", dir.join("dist"), "--quiet"])
        try #require(build.status == 0, "\(build.stderr)")
        let sha = String(try String(contentsOfFile: dir.join("dist/content.tar.gz.sha256"), encoding: .utf8).prefix(64))
        let size = try #require((try FileManager.default.attributesOfItem(atPath: dir.join("dist/content.tar.gz"))[.size] as? NSNumber)?.intValue)
        let (server, origin) = try Child.serve(dir.join("dist"), in: dir.path)
        let served = try #require(origin, "serve did not start: \(server.stderr)")
        return (server, served, "\(served)/sites/site/\(sha)/content.tar.gz", size)
    }

    /// serve's `sitepack_http_response_bytes_total`.
    static func bytesSent(_ origin: String) throws -> Int {
        let metrics = try Subprocess.run(["curl", "-sS", "--max-time", "10", origin + "/metrics"]).stdout
        let line = try #require(metrics.split(separator: "\n").first { $0.hasPrefix("sitepack_http_response_bytes_total ") })
        return try #require(Int(line.split(separator: " ")[1]))
    }

    /// Launches `tasks` instances (detached) on `agents` emulated agents that fetch but run nothing;
    /// returns the bytes serve sent meanwhile.
    static func launch(_ extra: [String], origin: String, artifact: String, in dir: TemporaryDirectory) async throws -> Int {
        var configuration = EmulatorConfiguration(agents: (0..<agents).map { index in
            let base = 41000 + UInt64(index) * 100
            return .init(id: "cache-S\(index)", hostname: "agent\(index).test", cpus: 8, mem: 8192,
                         ports: [ValueRange(begin: base, end: base + UInt64(tasks / agents) - 1)])
        })
        configuration.fetchOnly = true
        let caches = dir.join("agent-caches-\(UUID().uuidString)")
        configuration.agentCacheFolder = caches
        let master = try await MesosMasterEmulator.start(configuration)
        let before = try bytesSent(origin)
        let result = try Subprocess.sitepack(["launch", "--master", master.url, "--artifact", artifact, "--instances", String(tasks),
                                              "--cpus", "0.1", "--mem", "32", "--detach", "--timeout", "300s"] + extra, in: dir.path)
        let after = try bytesSent(origin)
        await master.shutdown()
        try? FileManager.default.removeItem(atPath: caches)
        try #require(result.status == 0, "launch \(extra) exited \(result.status): \(result.stderr.suffix(3000))")
        #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("http://") }.count == tasks)
        return after - before
    }

    @Test("with the fetcher cache each agent downloads the artifact (and the sitepack binary) once; without it every task does")
    func oneDownloadPerAgent() async throws {
        let dir = try TemporaryDirectory("launch-bytes")
        defer { dir.remove() }
        let (server, origin, artifact, size) = try Self.servedSite(dir)
        defer { server.stop() }
        // What is sent besides the downloads: the first /metrics answer (a few KiB). Downloads are whole
        // artifacts, so the count of downloads is the quotient.
        let slack = size / 2

        let cached = try await Self.launch(["--runtime", "python"], origin: origin, artifact: artifact, in: dir)
        let uncached = try await Self.launch(["--runtime", "python", "--no-cache"], origin: origin, artifact: artifact, in: dir)
        print("100 tasks on 10 agents, artifact \(size) bytes: cache: true \(cached) bytes (\(cached / size) downloads); --no-cache \(uncached) bytes (\(uncached / size) downloads)")
        #expect(cached >= Self.agents * size && cached < Self.agents * size + slack, "cache: true sent \(cached) bytes, not \(Self.agents) artifacts")
        #expect(uncached >= Self.tasks * size && uncached < Self.tasks * size + slack, "--no-cache sent \(uncached) bytes, not \(Self.tasks) artifacts")

        // The sitepack runtime adds the binary at its content-addressed /bin/<sha256>/sitepack: once per agent too.
        let binary = try #require((try FileManager.default.attributesOfItem(atPath: Subprocess.sitepack)[.size] as? NSNumber)?.intValue)
        let withBinary = try await Self.launch(["--runtime", "sitepack"], origin: origin, artifact: artifact, in: dir)
        print("--runtime sitepack, cache: true: \(withBinary) bytes = \(Self.agents) × (artifact \(size) + binary \(binary)) + \(withBinary - Self.agents * (size + binary))")
        #expect(withBinary >= Self.agents * (size + binary) && withBinary < Self.agents * (size + binary) + slack,
                "the sitepack runtime sent \(withBinary) bytes, not \(Self.agents) × (artifact + binary)")
    }
}
