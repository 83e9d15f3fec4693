import Foundation
import SitepackCore
import Testing

@Suite("SiteTask")
struct SiteTaskTests {
    static func task(_ request: SiteTaskRequest) throws -> SiteTask {
        try SiteTask(request, randomHex: { "0badc0de" })
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

    @Test("sitepack runtime: a second, executable URI for /bin/sitepack on the artifact server")
    func sitepackRuntime() throws {
        let request = SiteTaskRequest(artifact: MesosFixtures.artifact, runtime: .sitepack, taskID: "docs-fixed-2")
        let output = try Self.render(request, .taskinfo, offers: MesosFixtures.sampleOffers())
        #expect(output == (try MesosFixtures.expected("taskinfo-sitepack.json")))
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
