import Foundation
import SitepackTestSupport
import Testing

/// Runs the built `sitepack task` and checks its JSON with Python's json module, an
/// independent parser, the way a user piping it into `curl -d @-` would rely on it.
@Suite("sitepack task (built binary)")
struct TaskCommandTests {
    static let root = URL(fileURLWithPath: Subprocess.packageRoot)
    static let binary = Subprocess.sitepack
    static let sampleOffer = root.appendingPathComponent("samples/offer.json").path
    static let sha256 = "9b1e5f0c2a7d4e8b6c3f1a0d9e8b7c6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1dc4"
    static let artifact = "http://pack.example:8080/sites/docs/\(sha256)/content.tar.gz"

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable arguments`, feeding `input` on stdin.
    static func run(_ executable: String, _ arguments: [String], input: String = "") throws -> Outcome {
        let result = try Subprocess.run([executable] + arguments, stdin: Data(input.utf8))
        return Outcome(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    static func sitepack(_ arguments: [String], input: String = "") throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("\(binary) is missing: run `swift build` first")
            return Outcome(status: -1, stdout: "", stderr: "")
        }
        return try run(binary, ["task"] + arguments, input: input)
    }

    /// Feeds `json` to a Python script that reads it as `d` and asserts; returns its outcome.
    static func python(_ script: String, json: String) throws -> Outcome {
        let program = "import json, sys\nd = json.loads(sys.stdin.read())\n" + script + "\nprint('ok')\n"
        return try run("/usr/bin/env", ["python3", "-c", program], input: json)
    }

    @Test("ACCEPT for samples/offer.json: one port used everywhere, Python's json agrees")
    func acceptSample() throws {
        let result = try Self.sitepack(["--offer", Self.sampleOffer, "--artifact", Self.artifact, "--task-id", "docs-it-1", "--constraint", "rack:r2d2", "--constraint", "pod:demo"])
        #expect(result.status == 0, "\(result.stderr)")
        let check = try Self.python("""
            assert d["type"] == "ACCEPT", d["type"]
            assert d["framework_id"]["value"] == "474970d2-1b5e-40f9-82a2-135c71cd1448-0000"
            acc = d["accept"]
            assert acc["offer_ids"] == [{"value": "474970d2-1b5e-40f9-82a2-135c71cd1448-O0"}]
            assert acc["filters"]["refuse_seconds"] == 5
            op = acc["operations"][0]
            assert op["type"] == "LAUNCH"
            t = op["launch"]["task_infos"][0]
            assert t["task_id"]["value"] == "docs-it-1"
            assert t["agent_id"]["value"] == "474970d2-1b5e-40f9-82a2-135c71cd1448-S0"
            res = {r["name"]: r for r in t["resources"]}
            assert res["cpus"]["scalar"]["value"] == 0.2 and res["mem"]["scalar"]["value"] == 100
            assert all(r["role"] == "*" for r in t["resources"])
            port = res["ports"]["ranges"]["range"][0]["begin"]
            assert port == res["ports"]["ranges"]["range"][0]["end"] == 9000
            env = {v["name"]: v["value"] for v in t["command"]["environment"]["variables"]}
            assert env["PORT0"] == env["PORT"] == str(port)
            assert '"$PORT0"' in t["command"]["value"] and "$MESOS_SANDBOX/site" in t["command"]["value"]
            assert t["health_check"]["http"]["port"] == port and t["health_check"]["type"] == "HTTP"
            assert t["discovery"]["ports"]["ports"][0]["number"] == port
            uri = t["command"]["uris"][0]
            assert uri == {"value": "\(Self.artifact)", "extract": True, "executable": False, "cache": True}, uri
            labels = {l["key"]: l["value"] for l in t["labels"]["labels"]}
            assert labels["sitepack.sha256"] == "\(Self.sha256)" and labels["sitepack.site"] == "docs"
            """, json: result.stdout)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout == "ok\n")
    }

    @Test("--offer - reads the tutorial's {offers:[…]} from stdin; output is deterministic")
    func stdinTaskInfo() throws {
        let offers = try String(contentsOfFile: Self.sampleOffer, encoding: .utf8)
        let tutorialShape = try Self.python("print(json.dumps({'offers': d['offers']['offers']}))\nsys.exit(0)", json: offers).stdout
        let arguments = ["--offer", "-", "--artifact", Self.artifact, "--task-id", "docs-it-2", "--format", "taskinfo", "--runtime", "docker-nginx", "--port", "9999"]
        let first = try Self.sitepack(arguments, input: tutorialShape)
        let second = try Self.sitepack(arguments, input: tutorialShape)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == second.stdout)
        let check = try Self.python("""
            assert d["name"] == "docs" and d["task_id"]["value"] == "docs-it-2"
            c = d["container"]
            assert c["type"] == "DOCKER" and c["docker"]["network"] == "BRIDGE" and c["docker"]["image"] == "nginx"
            assert c["docker"]["port_mappings"] == [{"host_port": 9999, "container_port": 80, "protocol": "tcp"}]
            assert c["volumes"] == [{"container_path": "/usr/share/nginx/html", "host_path": "site", "mode": "RO"}]
            assert d["command"]["shell"] is False and "value" not in d["command"]
            assert [r for r in d["resources"] if r["name"] == "ports"][0]["ranges"]["range"] == [{"begin": 9999, "end": 9999}]
            """, json: first.stdout)
        #expect(check.status == 0, "\(check.stderr)")
    }

    /// The sha256 of the built binary, as sha256sum prints it: what `serve` of this build offers at /bin/<sha256>/sitepack.
    static func binarySHA256() throws -> String {
        String(try run("/usr/bin/sha256sum", [binary]).stdout.prefix(64))
    }

    @Test("--format marathon needs no offer; the binary is fetched from /bin/<sha256 of this binary>/sitepack, cached")
    func marathon() throws {
        let result = try Self.sitepack(["--artifact", Self.artifact, "--format", "marathon", "--runtime", "sitepack"])
        #expect(result.status == 0, "\(result.stderr)")
        let sha = try Self.binarySHA256()
        let check = try Self.python("""
            assert d["id"] == "/sites/docs" and d["instances"] == 1
            assert d["cmd"] == './sitepack serve site --port "$PORT0"'
            assert [f["uri"] for f in d["fetch"]] == ["\(Self.artifact)", "http://pack.example:8080/bin/\(sha)/sitepack"], d["fetch"]
            assert d["fetch"][1]["executable"] is True and d["fetch"][1]["extract"] is False
            assert [f["cache"] for f in d["fetch"]] == [True, True]
            assert d["portDefinitions"] == [{"port": 0, "protocol": "tcp", "name": "http"}]
            assert d["healthChecks"][0]["protocol"] == "MESOS_HTTP" and d["healthChecks"][0]["portIndex"] == 0
            assert d["taskKillGracePeriodSeconds"] == 5
            """, json: result.stdout)
        #expect(check.status == 0, "\(check.stderr)")
    }

    @Test("--binary-url and --no-cache: what the TaskInfo carries, and what is refused")
    func binaryURLAndNoCache() throws {
        let sha = String(repeating: "5a", count: 32)
        let url = "http://other.example:9000/bin/\(sha)/sitepack"
        let given = try Self.sitepack(["--offer", Self.sampleOffer, "--artifact", Self.artifact, "--format", "taskinfo", "--runtime", "sitepack",
                                       "--binary-url", url, "--no-cache"])
        #expect(given.status == 0, "\(given.stderr)")
        let check = try Self.python("""
            assert d["command"]["uris"] == [
                {"value": "\(Self.artifact)", "extract": True, "executable": False, "cache": False},
                {"value": "\(url)", "extract": False, "executable": True, "cache": False}], d["command"]["uris"]
            """, json: given.stdout)
        #expect(check.status == 0, "\(check.stderr)")
        // A mutable artifact URL is not cached by default; the content-addressed binary still is.
        let mutable = try Self.sitepack(["--offer", Self.sampleOffer, "--artifact", "http://pack.example:8080/sites/docs/latest/content.tar.gz",
                                         "--format", "taskinfo", "--runtime", "sitepack", "--binary-url", url])
        #expect(mutable.status == 0, "\(mutable.stderr)")
        let caches = try Self.python("assert [u['cache'] for u in d['command']['uris']] == [False, True], d['command']['uris']", json: mutable.stdout)
        #expect(caches.status == 0, "\(caches.stderr)")
        for (arguments, words) in [
            (["--runtime", "sitepack", "--binary-url", "http://pack.example:8080/bin/sitepack"], "content-addressed"),
            (["--runtime", "sitepack", "--binary-url", url + "?v=1"], "query string"),
            (["--runtime", "python", "--binary-url", url], "--runtime sitepack"),
            (["--cache", "--no-cache"], "conflict"),
        ] {
            let refused = try Self.sitepack(["--offer", Self.sampleOffer, "--artifact", Self.artifact] + arguments)
            #expect(refused.status == 2, "\(arguments)")
            #expect(refused.stdout.isEmpty)
            #expect(refused.stderr.contains(words), "\(arguments): \(refused.stderr)")
        }
    }

    @Test("exit 1 when no offer fits, listing the offer and what it lacks")
    func noFit() throws {
        let result = try Self.sitepack(["--offer", Self.sampleOffer, "--artifact", Self.artifact, "--cpus", "4", "--port", "8080", "--constraint", "rack:r1"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("474970d2-1b5e-40f9-82a2-135c71cd1448-O0"))
        #expect(result.stderr.contains("cpus: 4 needed, 2 offered"))
        #expect(result.stderr.contains("port 8080 is not offered (offered ports: [9000-10000])"))
        #expect(result.stderr.contains("attribute rack is r2d2, not r1"))
    }

    @Test("exit 1 with line and column for malformed JSON, and the missing field for a non-offer")
    func badOffers() throws {
        let malformed = try Self.sitepack(["--offer", "-", "--artifact", Self.artifact], input: "{\n  \"offers\": [\n    {,}\n")
        #expect(malformed.status == 1)
        #expect(malformed.stderr.contains("stdin: malformed JSON at line 3, column 6"), "\(malformed.stderr)")
        let notOffer = try Self.sitepack(["--offer", "-", "--artifact", Self.artifact], input: #"{"offers": [{"id": {"value": "o"}}]}"#)
        #expect(notOffer.status == 1)
        #expect(notOffer.stderr.contains("`offers[0].framework_id`"), "\(notOffer.stderr)")
    }

    @Test("exit 2 for refused artifacts and conflicting flags")
    func refusals() throws {
        let query = try Self.sitepack(["--offer", Self.sampleOffer, "--artifact", "http://h/content.tar.gz?v=2"])
        #expect(query.status == 2)
        #expect(query.stderr.contains("Mesos would not extract it"))
        let mutableCache = try Self.sitepack(["--offer", Self.sampleOffer, "--artifact", "http://h/sites/docs/latest/content.tar.gz", "--cache"])
        #expect(mutableCache.status == 2)
        #expect(mutableCache.stderr.contains("--cache refused"))
        let conflict = try Self.sitepack(["--offer", Self.sampleOffer, "--artifact", Self.artifact, "--cache", "--output-file", "c.tar.gz"])
        #expect(conflict.status == 2)
        let noOffer = try Self.sitepack(["--artifact", Self.artifact])
        #expect(noOffer.status == 2)
        #expect(noOffer.stderr.contains("--offer"))
        let healthConflict = try Self.sitepack(["--offer", Self.sampleOffer, "--artifact", Self.artifact, "--no-health-check", "--health-path", "/x"])
        #expect(healthConflict.status == 2)
        let badRuntime = try Self.sitepack(["--offer", Self.sampleOffer, "--artifact", Self.artifact, "--runtime", "apache"])
        #expect(badRuntime.status == 2)
    }

    /// A Python with Apache Mesos's own generated protobuf classes (`mesos.interface`, whose
    /// `mesos_pb2` is compiled from mesos.proto) and protobuf 3.x: the venv `make test-deps` creates,
    /// or `SITEPACK_MESOS_PROTO_PYTHON` to use another.
    static let protoPython = ProcessInfo.processInfo.environment["SITEPACK_MESOS_PROTO_PYTHON"]
        ?? root.appendingPathComponent(".build/mesos-proto-python/bin/python").path

    /// Parses TaskInfos strictly with protobuf's JSON parser (unknown fields are errors) against
    /// Mesos's generated classes and lists missing required fields; exits 3 if they cannot be loaded.
    static let protoCheck = root.appendingPathComponent("Tests/Fixtures/task/mesos_proto_check.py").path

    @Test("every runtime's ACCEPT and TaskInfo parse strictly with Mesos's own protobuf classes",
          arguments: ["python", "busybox", "sitepack", "docker-nginx"])
    func protobufStrict(_ runtime: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.protoPython),
                     "\(Self.protoPython) is missing: run `make test-deps`, which creates it with mesos.interface and protobuf 3")
        let multiRole = Self.root.appendingPathComponent("Tests/SitepackCoreTests/Mesos/Fixtures/offer-multirole.json").path
        for format in ["accept", "taskinfo"] {
            let result = try Self.sitepack(["--offer", multiRole, "--artifact", Self.artifact, "--runtime", runtime, "--format", format,
                                            "--disk", "10", "--env", "A=b", "--label", "x=y", "--cache"])
            #expect(result.status == 0, "\(result.stderr)")
            let check = try Self.run(Self.protoPython, [Self.protoCheck], input: result.stdout)
            try #require(check.status != 3, "\(check.stderr)")
            #expect(check.status == 0, "\(runtime) \(format): \(check.stderr)")
            #expect(check.stdout == "ok\n")
        }
    }
}
