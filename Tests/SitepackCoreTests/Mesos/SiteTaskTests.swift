import Foundation
import SitepackCore
import Testing

@Suite("SiteTask")
struct SiteTaskTests {
    static func task(_ request: SiteTaskRequest) throws -> SiteTask {
        try SiteTask(request, randomHex: { "0badc0de" }, runningBinary: { try BinaryAddress(sha256: MesosFixtures.binarySHA256) })
    }

    static func render(_ request: SiteTaskRequest, _ format: TaskOutputFormat, offers: [Offer]?) throws -> MesosJSON {
        try MesosFixtures.parsed(try task(request).render(format, offers: offers))
    }

    @Test("python, ACCEPT: the full call for the sample offer matches the fixture")
    func acceptPython() throws {
        let output = try Self.render(SiteTaskRequest(artifact: MesosFixtures.artifact), .accept, offers: MesosFixtures.sampleOffers())
        #expect(output == (try MesosFixtures.expected("accept-python.json")))
    }

    @Test("busybox, TaskInfo on the MULTI_ROLE offer: role and allocation_info copied, --port, --disk, --env, --label, --cache")
    func busyboxMultiRole() throws {
        var request = SiteTaskRequest(
            artifact: MesosFixtures.artifact,
            needs: TaskNeeds(cpus: 0.5, mem: 64, disk: 32, port: 31500),
            runtime: .busybox,
            healthPath: "/index.html",
            cache: true,
            taskID: "docs-fixed-1"
        )
        request.labels = [(key: "team", value: "web")]
        request.environment = [(name: "SITE_ENV", value: "prod")]
        let output = try Self.render(request, .taskinfo, offers: MesosFixtures.multiRoleOffers())
        #expect(output == (try MesosFixtures.expected("taskinfo-busybox-multirole.json")))
    }

    @Test("sitepack runtime: a second, executable, cached URI for /bin/<sha256>/sitepack on the artifact server")
    func sitepackRuntime() throws {
        let request = SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: .sitepack, taskID: "docs-fixed-2")
        let output = try Self.render(request, .taskinfo, offers: MesosFixtures.sampleOffers())
        #expect(output == (try MesosFixtures.expected("taskinfo-sitepack.json")))
        // --binary-url gives the same TaskInfo when it names the same binary.
        var given = request
        given.binaryURL = MesosFixtures.binaryURL
        let fromFlag = try SiteTask(given, runningBinary: { throw SitepackError(.io, "must not be hashed") })
        #expect(fromFlag.binaryURL == MesosFixtures.binaryURL)
        #expect(try MesosFixtures.parsed(try fromFlag.render(.taskinfo, offers: MesosFixtures.sampleOffers())) == output)
    }

    @Test("the sitepack binary's default URL is the artifact's origin with the running binary's digest; only sitepack hashes it")
    func defaultBinaryURL() throws {
        let sha = MesosFixtures.sha256
        let task = try Self.task(SiteTaskRequest(artifact: "https://cdn.example/pack/sites/docs/\(sha)/content.tar.gz", runtime: .sitepack))
        #expect(task.binaryURL == "https://cdn.example/bin/\(MesosFixtures.binarySHA256)/sitepack")
        #expect(task.uris.last == MesosURI(value: "https://cdn.example/bin/\(MesosFixtures.binarySHA256)/sitepack", extract: false, executable: true, cache: true))
        // Other runtimes never hash the binary.
        for runtime in SiteRuntime.allCases where runtime != .sitepack {
            let other = try SiteTask(SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: runtime),
                                     runningBinary: { throw SitepackError(.io, "must not be hashed") })
            #expect(other.binaryURL == nil)
            #expect(other.uris.count == 1)
        }
        // Without /proc/self/exe (or unreadable), the error says what to pass instead.
        let error = MesosFixtures.error {
            _ = try SiteTask(SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: .sitepack),
                             runningBinary: { throw SitepackError(.io, "cannot open /proc/self/exe") })
        }
        #expect(error?.code == .io)
        #expect(error?.message.contains("--binary-url") == true)
        // The real running binary: the digest of its bytes, as sha256sum would print it.
        let running = try BinaryAddress.runningExecutable()
        #expect(try SiteTask(SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: .sitepack)).binaryURL
                == "http://pack.example:8080/bin/\(running.sha256)/sitepack")
    }

    @Test("--binary-url must be a content-addressed http(s) URL, and only for the sitepack runtime")
    func binaryURLRefusals() throws {
        func refused(_ url: String, runtime: SiteRuntime = .sitepack, _ words: String) {
            let error = MesosFixtures.error { _ = try Self.task(SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: runtime, binaryURL: url)) }
            #expect(error?.code == .taskArgumentRefused, "\(url)")
            #expect(error?.message.contains(words) == true, "\(error?.message ?? "no error") lacks \(words)")
        }
        let sha = MesosFixtures.binarySHA256
        refused("http://pack.example:8080/bin/sitepack", "content-addressed")
        refused("http://pack.example:8080/bin/\(sha.uppercased())/sitepack", "content-addressed")
        refused("http://pack.example:8080/bin/\(sha.prefix(63))/sitepack", "content-addressed")
        refused("http://pack.example:8080/bin/\(sha)/sitepack2", "content-addressed")
        refused("http://pack.example:8080/bin/\(sha)/sitepack?v=2", "query string")
        refused("ftp://pack.example/bin/\(sha)/sitepack", "http://")
        refused("/bin/\(sha)/sitepack", "http://")
        refused("http:///bin/\(sha)/sitepack", "content-addressed")
        refused("http://pack.example/bin/\(sha)/it's", "single quote")
        refused("http://pack.example:8080/bin/\(sha)/sitepack", runtime: .python, "only --runtime sitepack")
        // Any prefix before /bin is fine (a server behind a proxy path).
        let proxied = "https://gw.example/pack/bin/\(sha)/sitepack"
        #expect(try Self.task(SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: .sitepack, binaryURL: proxied)).uris.last?.value == proxied)
    }

    @Test("cache: true by default for content-addressed URLs only; --no-cache and --output-file turn it off")
    func cacheDefaults() throws {
        func caches(_ request: SiteTaskRequest) throws -> [Bool] { try Self.task(request).uris.map(\.cache) }
        #expect(try caches(SiteTaskRequest(artifact: MesosFixtures.artifact)) == [true])
        #expect(try caches(SiteTaskRequest(artifact: MesosFixtures.artifact, cache: true)) == [true])
        #expect(try caches(SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: .sitepack)) == [true, true])
        #expect(try caches(SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: .sitepack, noCache: true)) == [false, false])
        #expect(try caches(SiteTaskRequest(artifact: MesosFixtures.artifact, noCache: true)) == [false])
        // Mutable URLs: never cached (the fetcher cache would serve them stale); the binary still is.
        #expect(try caches(SiteTaskRequest(artifact: "http://h/dl/blog.tgz")) == [false])
        #expect(try caches(SiteTaskRequest(artifact: "http://h/sites/docs/latest/content.tar.gz", runtime: .sitepack)) == [false, true])
        // Cache mode names the file after the URL, never output_file: --output-file means no cache.
        #expect(try caches(SiteTaskRequest(artifact: MesosFixtures.artifact, outputFile: "site.tar.gz")) == [false])
        let conflict = MesosFixtures.error { _ = try Self.task(SiteTaskRequest(artifact: MesosFixtures.artifact, cache: true, noCache: true)) }
        #expect(conflict?.message.contains("--cache and --no-cache conflict") == true)
        #expect(try Self.task(SiteTaskRequest(artifact: MesosFixtures.artifact)).cachesArtifact)
        // Marathon's fetch[] carries the same cache values.
        let app = try Self.task(SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: .sitepack)).marathonApp()
        #expect(app.fetch.map(\.cache) == [true, true])
        #expect(app.fetch.last?.uri == MesosFixtures.binaryURL)
    }

    @Test("docker-nginx: DOCKER container, BRIDGE port mapping host port → 80, site mounted read-only")
    func dockerNginx() throws {
        let request = SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: .dockerNginx, taskID: "docs-fixed-3")
        let output = try Self.render(request, .taskinfo, offers: MesosFixtures.sampleOffers())
        #expect(output == (try MesosFixtures.expected("taskinfo-docker-nginx.json")))
    }

    @Test("Marathon app for python with --port, --env and constraints")
    func marathonPython() throws {
        var request = SiteTaskRequest(
            artifact: MesosFixtures.artifact,
            needs: TaskNeeds(cpus: 0.2, mem: 100, port: 9500, constraints: [
                AttributeConstraint(attribute: "rack", value: "r2d2"), AttributeConstraint(attribute: "pod", value: "demo"),
            ])
        )
        request.environment = [(name: "SITE_ENV", value: "prod")]
        #expect(try Self.render(request, .marathon, offers: nil) == (try MesosFixtures.expected("marathon-python.json")))
        // With an offer, marathon output is the same, and the offer must fit.
        #expect(try Self.render(request, .marathon, offers: MesosFixtures.sampleOffers()) == (try MesosFixtures.expected("marathon-python.json")))
    }

    @Test("Marathon app for docker-nginx")
    func marathonDocker() throws {
        let request = SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: .dockerNginx)
        #expect(try Self.render(request, .marathon, offers: nil) == (try MesosFixtures.expected("marathon-docker-nginx.json")))
    }

    @Test("for every runtime, ACCEPT wraps exactly the TaskInfo, and the port is the same everywhere", arguments: SiteRuntime.allCases)
    func everyRuntime(_ runtime: SiteRuntime) throws {
        let request = SiteTaskRequest(artifact: MesosFixtures.artifact, needs: TaskNeeds(cpus: 0.2, mem: 100, port: 9123), runtime: runtime, taskID: "t-\(runtime)")
        let offers = try MesosFixtures.sampleOffers()
        let accept = try Self.render(request, .accept, offers: offers)
        let taskInfo = try Self.render(request, .taskinfo, offers: offers)
        let marathon = try Self.render(request, .marathon, offers: nil)
        #expect(accept["accept"]?["operations"]?.arrayValue?.first?["launch"]?["task_infos"] == .array([taskInfo]))
        let port = MesosJSON.number(9123)
        let ports = taskInfo["resources"]?.arrayValue?.first { $0["name"] == .string("ports") }
        #expect(ports?["ranges"]?["range"] == .array([.object(["begin": port, "end": port])]))
        #expect(taskInfo["command"]?["environment"]?["variables"]?.arrayValue?.prefix(2).map { $0["value"] } == [.string("9123"), .string("9123")])
        #expect(taskInfo["discovery"]?["ports"]?["ports"]?.arrayValue?.first?["number"] == port)
        let checked = taskInfo["health_check"]?["http"]?["port"]
        #expect(checked == (runtime == .dockerNginx ? .number(80) : port))
        if runtime == .dockerNginx {
            #expect(taskInfo["container"]?["docker"]?["port_mappings"]?.arrayValue?.first?["host_port"] == port)
            #expect(marathon["container"]?["portMappings"]?.arrayValue?.first?["hostPort"] == port)
        } else {
            #expect(taskInfo["command"]?["value"]?.stringValue?.contains("\"$PORT0\"") == true)
            #expect(marathon["cmd"] == taskInfo["command"]?["value"])
            #expect(marathon["portDefinitions"]?.arrayValue?.first?["port"] == port)
        }
        #expect(marathon["fetch"]?.arrayValue?.count == (runtime == .sitepack ? 2 : 1))
    }

    @Test("the output is byte-for-byte the same for the same input and task id")
    func deterministic() throws {
        let task = try Self.task(SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: .dockerNginx))
        let offers = try MesosFixtures.sampleOffers()
        let first = try task.render(.accept, offers: offers)
        #expect(first == (try task.render(.accept, offers: offers)))
        #expect(first == (try Self.task(SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: .dockerNginx)).render(.accept, offers: offers)))
    }

    @Test("the task id is <name>-<12 hex of the sha256>-<8 random hex>, or <name>-<8 hex> without a digest")
    func taskIDs() throws {
        #expect(try Self.task(SiteTaskRequest(artifact: MesosFixtures.artifact)).taskID == "docs-9b1e5f0c2a7d-0badc0de")
        let generated = try SiteTask(SiteTaskRequest(artifact: MesosFixtures.artifact)).taskID
        #expect(generated.hasPrefix("docs-9b1e5f0c2a7d-"))
        let suffix = generated.dropFirst("docs-9b1e5f0c2a7d-".count)
        #expect(suffix.count == 8 && suffix.allSatisfy(\.isHexDigit))
        let plain = try Self.task(SiteTaskRequest(artifact: "http://h/dl/blog.tgz"))
        #expect(plain.name == "blog")
        #expect(plain.taskID == "blog-0badc0de")
        #expect(SiteTask.randomHex().count == 8)
    }

    @Test("refusals: artifact not extracted, cache on a mutable URL, output-file rules")
    func fetchRefusals() {
        func refused(_ request: SiteTaskRequest, _ words: String) {
            let error = MesosFixtures.error { _ = try Self.task(request) }
            #expect(error?.code == .taskArgumentRefused)
            #expect(error?.code.exitStatus == SitepackError.ExitStatus.usage)
            #expect(error?.message.contains(words) == true, "\(error?.message ?? "no error") lacks \(words)")
        }
        refused(SiteTaskRequest(artifact: "http://h/dl/content.tar.gz?v=3"), "Mesos would not extract it")
        refused(SiteTaskRequest(artifact: "http://h/dl/site.zip"), "does not end in .tar.gz or .tgz")
        refused(SiteTaskRequest(artifact: "http://h/sites/docs/latest/content.tar.gz", cache: true), "--cache refused")
        refused(SiteTaskRequest(artifact: MesosFixtures.artifact, cache: true, outputFile: "site.tar.gz"), "cannot be combined with --cache")
        refused(SiteTaskRequest(artifact: "http://h/dl/content.tar.gz?v=3", outputFile: "site.zip"), "must end in .tar.gz or .tgz")
        refused(SiteTaskRequest(artifact: "http://h/dl/content.tar.gz?v=3", outputFile: "../site.tar.gz"), "'..'")
        refused(SiteTaskRequest(artifact: "http://h/dl/content.tar.gz?v=3", outputFile: "/tmp/site.tar.gz"), "relative to the sandbox")
    }

    @Test("--output-file rescues a query-string URL when the cache is off")
    func outputFileAccepted() throws {
        let task = try Self.task(SiteTaskRequest(artifact: "http://h/get/content.tar.gz?v=3", name: "docs", outputFile: "content.tar.gz", taskID: "t-1"))
        let output = try MesosFixtures.parsed(try task.render(.taskinfo, offers: MesosFixtures.sampleOffers()))
        let uri = output["command"]?["uris"]?.arrayValue?.first
        #expect(uri?["output_file"] == .string("content.tar.gz"))
        #expect(uri?["cache"] == .bool(false))
        #expect(output["labels"]?["labels"]?.arrayValue?.count == 2)
    }

    @Test("any name build accepts is accepted; the task id, discovery name and Marathon id use its DNS label")
    func buildNamesAccepted() throws {
        let sha = MesosFixtures.sha256
        let task = try Self.task(SiteTaskRequest(artifact: "http://h:9/sites/My_Site.v2/\(sha)/content.tar.gz"))
        #expect(task.name == "My_Site.v2")
        #expect(task.dnsName == "my-site-v2")
        #expect(task.taskID == "my-site-v2-\(sha.prefix(12))-0badc0de")
        let info = try MesosFixtures.parsed(try task.render(.taskinfo, offers: MesosFixtures.sampleOffers()))
        #expect(info["name"] == .string("My_Site.v2"))
        #expect(info["discovery"]?["name"] == .string("my-site-v2"))
        #expect(info["labels"]?["labels"]?.arrayValue?.first?["value"] == .string("My_Site.v2"))
        let app = try MesosFixtures.parsed(try task.render(.marathon, offers: nil))
        #expect(app["id"] == .string("/sites/my-site-v2"))
        for (name, label) in [("Docs", "docs"), ("-docs-", "docs"), ("a__b", "a-b"), ("___", "site"),
                              (String(repeating: "x", count: 70) + "-y", String(repeating: "x", count: 63))] {
            #expect(SiteName.dnsLabel(name) == label, "\(name)")
        }
    }

    @Test("refusals: names, task ids, labels, environment, health path, amounts")
    func argumentRefusals() {
        func refused(_ request: SiteTaskRequest) {
            #expect(MesosFixtures.error { _ = try Self.task(request) }?.code == .taskArgumentRefused)
        }
        let artifact = MesosFixtures.artifact
        refused(SiteTaskRequest(artifact: artifact, name: ".docs"))
        refused(SiteTaskRequest(artifact: artifact, name: "my site"))
        refused(SiteTaskRequest(artifact: "http://h/dl/My%20Site.tgz"))
        refused(SiteTaskRequest(artifact: artifact, taskID: "42"))
        refused(SiteTaskRequest(artifact: artifact, taskID: "a/b"))
        refused(SiteTaskRequest(artifact: artifact, taskID: ".."))
        refused(SiteTaskRequest(artifact: artifact, taskID: String(repeating: "x", count: 256)))
        refused(SiteTaskRequest(artifact: artifact, labels: [(key: "sitepack.site", value: "x")]))
        refused(SiteTaskRequest(artifact: artifact, labels: [(key: "a", value: "1"), (key: "a", value: "2")]))
        refused(SiteTaskRequest(artifact: artifact, environment: [(name: "PORT0", value: "1")]))
        refused(SiteTaskRequest(artifact: artifact, environment: [(name: "1X", value: "1")]))
        refused(SiteTaskRequest(artifact: artifact, healthPath: "index.html"))
        refused(SiteTaskRequest(artifact: artifact, needs: TaskNeeds(cpus: 0, mem: 100)))
        refused(SiteTaskRequest(artifact: artifact, needs: TaskNeeds(cpus: 0.1, mem: -1)))
        refused(SiteTaskRequest(artifact: artifact, needs: TaskNeeds(cpus: 0.1, mem: 10, port: 70000)))
        refused(SiteTaskRequest(artifact: artifact, frameworkID: ""))
    }

    @Test("--framework-id overrides the offer's; --no-health-check drops the check; ACCEPT needs an offer")
    func options() throws {
        let request = SiteTaskRequest(artifact: MesosFixtures.artifact, healthPath: nil, frameworkID: "other-0002")
        let output = try Self.render(request, .accept, offers: MesosFixtures.sampleOffers())
        #expect(output["framework_id"] == .object(["value": .string("other-0002")]))
        let task = output["accept"]?["operations"]?.arrayValue?.first?["launch"]?["task_infos"]?.arrayValue?.first
        #expect(task?["health_check"] == nil)
        #expect(task?["name"] == .string("docs"))
        #expect(MesosFixtures.error { _ = try Self.task(request).render(.accept, offers: nil) }?.code == .taskArgumentRefused)
    }
}
