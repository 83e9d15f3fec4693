/// A checked site task: builds the TaskInfo, the ACCEPT call and the Marathon app.
///
/// Construction refuses, with the reason, whatever Mesos would accept but not do as meant:
/// an artifact that would not be extracted, `cache` on a mutable URL, a binary URL that is not
/// content-addressed, an invalid task id.
public struct SiteTask: Sendable {
    /// The parsed artifact URL.
    public let artifact: ArtifactURL
    /// The site name, as `build` accepts it (``SiteName``); the task's name and `sitepack.site` label.
    public let name: String
    /// The DNS-label form of the name (``SiteName/dnsLabel(_:)``): the task id prefix, the discovery
    /// name and the Marathon app id.
    public let dnsName: String
    /// The task id: `<dnsName>-<first 12 hex of sha256>-<8 random hex>` unless given.
    public let taskID: String
    /// The checked request.
    public let request: SiteTaskRequest
    /// For the sitepack runtime, the binary's content-addressed URL (`…/bin/<sha256>/sitepack`):
    /// `--binary-url`, or the artifact server's URL for the running binary's digest. Nil otherwise.
    public let binaryURL: String?

    /// Health check timing (mesos.md §4.2): first probe 2 s after TASK_RUNNING, failures ignored
    /// for 30 s, killed after 3 consecutive failures.
    public static let healthDelaySeconds = 2.0
    /// Seconds between health checks.
    public static let healthIntervalSeconds = 10.0
    /// Seconds before one health check times out.
    public static let healthTimeoutSeconds = 5.0
    /// Consecutive failures before the executor kills the task.
    public static let healthConsecutiveFailures = 3
    /// Seconds after launch during which failures are ignored.
    public static let healthGracePeriodSeconds = 30.0
    /// SIGTERM → SIGKILL grace period in seconds.
    public static let killGracePeriodSeconds = 5.0
    /// The label keys sitepack sets itself.
    public static let reservedLabelKeys = ["sitepack.site", "sitepack.sha256", "sitepack.version"]

    /// Checks a request; `randomHex` supplies the random task-id suffix (8 hex digits), and
    /// `runningBinary` the digest of the sitepack binary when the sitepack runtime has no `--binary-url`
    /// (by default the running executable's, hashed once: what `serve` of the same build offers).
    public init(_ request: SiteTaskRequest, randomHex: () -> String = SiteTask.randomHex,
                runningBinary: () throws -> BinaryAddress = BinaryAddress.runningExecutable) throws {
        let artifact = try ArtifactURL(parsing: request.artifact)
        try Self.checkFetch(artifact: artifact, cache: request.cache, noCache: request.noCache, outputFile: request.outputFile)
        let binaryURL = try Self.binaryURL(request, artifact: artifact, runningBinary: runningBinary)
        let name = try Self.siteName(request.name, artifact: artifact)
        try Self.checkNeeds(request.needs)
        if let path = request.healthPath { try Self.checkHealthPath(path) }
        try Self.checkLabels(request.labels)
        try Self.checkEnvironment(request.environment)
        if let frameworkID = request.frameworkID, frameworkID.isEmpty {
            throw SitepackError(.taskArgumentRefused, "--framework-id must not be empty")
        }
        let taskID: String
        if let given = request.taskID {
            try Self.checkTaskID(given)
            taskID = given
        } else {
            let digest = artifact.contentAddress.map { "-" + $0.sha256.prefix(12) } ?? ""
            taskID = "\(SiteName.dnsLabel(name))\(digest)-\(randomHex())"
        }
        self.artifact = artifact
        self.name = name
        self.dnsName = SiteName.dnsLabel(name)
        self.taskID = taskID
        self.request = request
        self.binaryURL = binaryURL
    }

    /// 8 random lower-case hex digits.
    public static func randomHex() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = UInt32.random(in: .min ... .max, using: &generator)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    // MARK: - Output

    /// Prints the chosen format. `offers` may be nil only for `marathon`; when given, the first
    /// offer that fits is used (and for `marathon` it only checks that one fits).
    public func render(_ format: TaskOutputFormat, offers: [Offer]?) throws -> String {
        let placement = try offers.map { try OfferMatcher.place(request.needs, in: $0) }
        switch format {
        case .marathon:
            return try MesosJSON.encodePretty(marathonApp())
        case .taskinfo, .accept:
            guard let placement else {
                throw SitepackError(.taskArgumentRefused, "--offer is required for --format \(format.rawValue)")
            }
            if format == .taskinfo { return try MesosJSON.encodePretty(taskInfo(on: placement)) }
            return try MesosJSON.encodePretty(acceptCall(on: placement))
        }
    }

    /// The ACCEPT call launching the task on the placement's offer.
    public func acceptCall(on placement: Placement) -> MesosAcceptCall {
        MesosAcceptCall(
            frameworkID: request.frameworkID ?? placement.offer.frameworkID,
            offerID: placement.offer.id,
            task: taskInfo(on: placement),
            refuseSeconds: request.refuseSeconds
        )
    }

    /// The TaskInfo for the placement.
    public func taskInfo(on placement: Placement) -> MesosTaskInfo {
        let port = placement.port
        var variables = [
            MesosTaskInfo.Environment.Variable(name: "PORT0", value: String(port)),
            MesosTaskInfo.Environment.Variable(name: "PORT", value: String(port)),
        ]
        variables += request.environment.map { MesosTaskInfo.Environment.Variable(name: $0.name, value: $0.value) }

        let command = MesosTaskInfo.CommandInfo(
            uris: uris,
            environment: MesosTaskInfo.Environment(variables: variables),
            shell: request.runtime.shellCommand != nil,
            value: request.runtime.shellCommand
        )

        var container: MesosTaskInfo.ContainerInfo?
        var checkedPort = port
        if request.runtime == .dockerNginx {
            container = MesosTaskInfo.ContainerInfo(
                type: "DOCKER",
                docker: .init(
                    image: "nginx",
                    network: "BRIDGE",
                    portMappings: [.init(hostPort: port, containerPort: SiteRuntime.nginxContainerPort, protocol: "tcp")]
                ),
                volumes: [.init(containerPath: SiteRuntime.nginxHTMLRoot, hostPath: "site", mode: "RO")]
            )
            // The Docker executor runs HTTP checks inside the container's network namespace
            // (src/docker/executor.cpp), where nginx listens on 80, not on the host port.
            checkedPort = SiteRuntime.nginxContainerPort
        }

        let healthCheck = request.healthPath.map { path in
            MesosTaskInfo.HealthCheck(
                http: .init(port: checkedPort, path: path),
                delaySeconds: Self.healthDelaySeconds,
                intervalSeconds: Self.healthIntervalSeconds,
                timeoutSeconds: Self.healthTimeoutSeconds,
                consecutiveFailures: Self.healthConsecutiveFailures,
                gracePeriodSeconds: Self.healthGracePeriodSeconds
            )
        }

        return MesosTaskInfo(
            name: name,
            taskID: .init(taskID),
            agentID: .init(placement.offer.agentID),
            resources: placement.resources,
            command: command,
            container: container,
            healthCheck: healthCheck,
            killPolicy: .init(gracePeriod: .init(nanoseconds: Int64(Self.killGracePeriodSeconds * 1_000_000_000))),
            labels: .init(labels: labels.map { .init(key: $0.key, value: $0.value) }),
            discovery: .init(
                visibility: "EXTERNAL",
                name: dnsName,
                ports: .init(ports: [.init(number: port, name: "http", protocol: "tcp")])
            )
        )
    }

    /// The Marathon app definition.
    public func marathonApp() -> MarathonApp {
        let needs = request.needs
        var app = MarathonApp(
            id: "/sites/\(dnsName)",
            cmd: request.runtime.shellCommand,
            cpus: ScalarQuantity.value(milli: ScalarQuantity.milli(needs.cpus)),
            mem: ScalarQuantity.value(milli: ScalarQuantity.milli(needs.mem)),
            disk: needs.disk.map { ScalarQuantity.value(milli: ScalarQuantity.milli($0)) },
            fetch: uris.map(MarathonApp.Fetch.init),
            labels: Dictionary(labels.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first }),
            taskKillGracePeriodSeconds: Self.killGracePeriodSeconds
        )
        if request.runtime == .dockerNginx {
            app.container = .init(
                docker: .init(image: "nginx"),
                portMappings: [.init(containerPort: SiteRuntime.nginxContainerPort, hostPort: needs.port ?? 0)],
                volumes: [.init(containerPath: SiteRuntime.nginxHTMLRoot, hostPath: "site", mode: "RO")]
            )
            app.networks = [.init(mode: "container/bridge")]
        } else {
            app.portDefinitions = [.init(port: needs.port ?? 0)]
            if needs.port != nil { app.requirePorts = true }
        }
        if let path = request.healthPath {
            app.healthChecks = [.init(
                path: path,
                gracePeriodSeconds: Self.healthGracePeriodSeconds,
                intervalSeconds: Self.healthIntervalSeconds,
                timeoutSeconds: Self.healthTimeoutSeconds,
                maxConsecutiveFailures: Self.healthConsecutiveFailures,
                delaySeconds: Self.healthDelaySeconds
            )]
        }
        if !request.environment.isEmpty {
            app.env = Dictionary(request.environment.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        }
        if !needs.constraints.isEmpty {
            app.constraints = needs.constraints.map { [$0.attribute, "LIKE", Self.marathonPattern(for: $0.value)] }
        }
        return app
    }

    /// The URIs to fetch: the artifact, extracted into the sandbox, and for the sitepack runtime the
    /// agent binary, made executable. The TaskInfo carries them; Marathon's `fetch` is mapped from them.
    ///
    /// Both are cached when their URL is content-addressed (the bytes behind it never change, so the
    /// fetcher cache, which never refreshes, is safe, mesos.md §1.7): each agent then downloads the
    /// binary once, not once per task. `--no-cache` turns that off for both.
    public var uris: [MesosURI] {
        var list = [MesosURI(value: artifact.text, extract: true, executable: false, cache: cachesArtifact, outputFile: request.outputFile)]
        if let binaryURL {
            list.append(MesosURI(value: binaryURL, extract: false, executable: true, cache: !request.noCache))
        }
        return list
    }

    /// Whether the artifact is fetched with `cache: true`: for a content-addressed URL unless
    /// `--no-cache` (or `--output-file`, which cache mode ignores) is given; `--cache` on another URL
    /// was refused.
    public var cachesArtifact: Bool {
        !request.noCache && request.outputFile == nil && (request.cache || artifact.isImmutable)
    }

    /// sitepack's labels, then the user's.
    var labels: [(key: String, value: String)] {
        var list: [(key: String, value: String)] = [("sitepack.site", name)]
        if let digest = artifact.contentAddress?.sha256 { list.append(("sitepack.sha256", digest)) }
        list.append(("sitepack.version", SitepackVersion.current))
        return list + request.labels
    }

    /// A Marathon LIKE pattern (a full-match Java regex) that matches `value` alone or as one
    /// item of a comma-separated TEXT attribute, as sitepack's own matching does.
    static func marathonPattern(for value: String) -> String {
        let special = Set("\\^$.|?*+()[]{}")
        let escaped = String(value.flatMap { special.contains($0) ? ["\\", $0] : [$0] })
        return "(.*,)?\(escaped)(,.*)?"
    }

    // MARK: - Checks

    static func refuse(_ message: String) -> SitepackError {
        SitepackError(.taskArgumentRefused, message)
    }

    static func checkFetch(artifact: ArtifactURL, cache: Bool, noCache: Bool, outputFile: String?) throws {
        if cache && noCache {
            throw refuse("--cache and --no-cache conflict: choose one")
        }
        if cache && !artifact.isImmutable {
            throw refuse("--cache refused for \(artifact): the fetcher cache never refreshes an entry (mesos.md §1.7), so only an immutable content-addressed URL (…/sites/NAME/SHA256/content.tar.gz, no query string) may be cached")
        }
        if let outputFile {
            if cache {
                throw refuse("--output-file cannot be combined with --cache: in cache mode the fetcher names the file after the URL, not output_file, so the archive would not be extracted (mesos.md §1.4)")
            }
            try checkOutputFile(outputFile)
        } else if let problem = artifact.extractionProblem {
            throw refuse("--artifact \(artifact) refused: Mesos would not extract it: \(problem). Use the immutable URL sitepack serve gives (…/sites/NAME/SHA256/content.tar.gz), or name the download with --output-file content.tar.gz (without --cache)")
        }
    }

    /// The sitepack runtime's binary URL: `--binary-url` checked, or the artifact server's
    /// content-addressed URL for `runningBinary`'s digest; nil for the other runtimes.
    static func binaryURL(_ request: SiteTaskRequest, artifact: ArtifactURL, runningBinary: () throws -> BinaryAddress) throws -> String? {
        guard request.runtime == .sitepack else {
            if let given = request.binaryURL {
                throw refuse("--binary-url \(given): only --runtime sitepack fetches the sitepack binary (this task runs \(request.runtime))")
            }
            return nil
        }
        if let given = request.binaryURL {
            try checkBinaryURL(given)
            return given
        }
        let binary: BinaryAddress
        do {
            binary = try runningBinary()
        } catch {
            throw SitepackError(.io, "cannot work out the sitepack binary's URL for --runtime sitepack: \(error). Pass --binary-url http://HOST:PORT/bin/SHA256/sitepack (sitepack serve prints it)")
        }
        return SiteRuntime.binaryURL(for: artifact, binary: binary)
    }

    /// A `--binary-url` the fetcher downloads as `./sitepack`, whose bytes can never change:
    /// http(s), `…/bin/<sha256>/sitepack`, no query string or fragment.
    static func checkBinaryURL(_ text: String) throws {
        let example = "e.g. http://HOST:PORT/bin/SHA256/sitepack, the URL sitepack serve prints"
        guard let separator = text.firstRange(of: "://"), ["http", "https"].contains(text[..<separator.lowerBound].lowercased()) else {
            throw refuse("--binary-url \(text): expected an http:// or https:// URL (\(example))")
        }
        if text.unicodeScalars.contains(where: { $0 == "\\" || $0 == "'" || $0 == " " || $0.value < 0x20 || $0.value == 0x7F }) {
            throw refuse("--binary-url \(text): contains a backslash, single quote or control character (the Mesos fetcher refuses them) or an unencoded space")
        }
        guard !text.contains("?"), !text.contains("#") else {
            throw refuse("--binary-url \(text): must have no query string or fragment: the fetcher would keep it in the file name, and ./sitepack would not exist (mesos.md §1.4)")
        }
        let remainder = text[separator.upperBound...]
        guard let slash = remainder.firstIndex(of: "/"), slash != remainder.startIndex,
              BinaryAddress.parse(urlPath: String(remainder[slash...])) != nil else {
            throw refuse("--binary-url \(text): must be the binary's content-addressed URL, …/bin/<64 lower-case hex sha256>/sitepack (\(example)); a mutable URL such as /bin/sitepack can hand two agents different binaries, and the fetcher cache would never refresh it")
        }
    }

    static func checkOutputFile(_ outputFile: String) throws {
        guard !outputFile.isEmpty, !outputFile.hasPrefix("/") else {
            throw refuse("--output-file \(outputFile): must be a non-empty path relative to the sandbox")
        }
        let components = outputFile.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) else {
            throw refuse("--output-file \(outputFile): must not contain empty, '.' or '..' components (Mesos does not check '..', mesos.md §1.4)")
        }
        guard MesosURI.isArtifactName(outputFile) else {
            throw refuse("--output-file \(outputFile): must end in .tar.gz or .tgz, or the fetcher would not extract it (mesos.md §1.6)")
        }
    }

    static func siteName(_ given: String?, artifact: ArtifactURL) throws -> String {
        let name: String
        let origin: String
        if let given {
            name = given
            origin = "--name \(given)"
        } else if let address = artifact.contentAddress {
            name = address.name
            origin = "the site name \(address.name) in --artifact"
        } else {
            var base = artifact.path.split(separator: "/").last.map(String.init) ?? ""
            for suffix in MesosURI.artifactSuffixes where base.hasSuffix(suffix) {
                base.removeLast(suffix.count)
            }
            name = base
            origin = "the name \"\(base)\" taken from the artifact URL"
        }
        guard SiteName.isValid(name) else {
            throw refuse("\(origin) is not a valid site name: use 1-\(SiteName.maximumLength) letters, digits, '.', '_' or '-', not starting with '.' (the rule sitepack build uses); pass --name")
        }
        return name
    }

    /// The master's task id rules (src/common/validation.cpp), plus no bare numbers.
    static func checkTaskID(_ id: String) throws {
        guard !id.isEmpty, id.utf8.count <= 255 else {
            throw refuse("--task-id must be 1 to 255 bytes long (Mesos rejects others)")
        }
        guard id != ".", id != ".." else {
            throw refuse("--task-id must not be '.' or '..' (Mesos rejects them)")
        }
        guard !id.unicodeScalars.contains(where: { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }) else {
            throw refuse("--task-id \(id): Mesos rejects task ids containing '/', '\\' or control characters")
        }
        guard !id.allSatisfy(\.isNumber) else {
            throw refuse("--task-id \(id): a bare number collides with the tutorial's random.randint(1, 100) ids and with earlier tasks; leave --task-id out to get <name>-<sha256 prefix>-<random>")
        }
    }

    static func checkNeeds(_ needs: TaskNeeds) throws {
        for (flag, value) in [("--cpus", needs.cpus), ("--mem", needs.mem)] where !(value.isFinite && ScalarQuantity.milli(value) > 0) {
            throw refuse("\(flag) \(value): must be a positive number (Mesos keeps three decimals)")
        }
        if let disk = needs.disk, !(disk.isFinite && ScalarQuantity.milli(disk) > 0) {
            throw refuse("--disk \(disk): must be a positive number of MB")
        }
        if let port = needs.port, !(1...65535).contains(port) {
            throw refuse("--port \(port): must be 1-65535 or auto")
        }
    }

    static func checkHealthPath(_ path: String) throws {
        guard path.hasPrefix("/"), !path.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            throw refuse("--health-path \(path): must start with '/' and contain no spaces or control characters (Mesos requires a path starting with '/')")
        }
    }

    static func checkLabels(_ labels: [(key: String, value: String)]) throws {
        var seen = Set(reservedLabelKeys)
        for label in labels {
            guard !label.key.isEmpty else { throw refuse("--label =\(label.value): the key must not be empty (K=V)") }
            guard seen.insert(label.key).inserted else {
                throw refuse("--label \(label.key): \(reservedLabelKeys.contains(label.key) ? "sitepack sets this label itself" : "given twice")")
            }
        }
    }

    static func checkEnvironment(_ environment: [(name: String, value: String)]) throws {
        var seen: Set<String> = ["PORT0", "PORT"]
        for variable in environment {
            let bytes = Array(variable.name.utf8)
            let valid = !bytes.isEmpty && !(48...57).contains(bytes[0]) && bytes.allSatisfy {
                (65...90).contains($0) || (97...122).contains($0) || (48...57).contains($0) || $0 == UInt8(ascii: "_")
            }
            guard valid else {
                throw refuse("--env \(variable.name)=…: the name must be letters, digits and '_', not starting with a digit")
            }
            guard seen.insert(variable.name).inserted else {
                throw refuse("--env \(variable.name): \(variable.name == "PORT0" || variable.name == "PORT" ? "sitepack sets PORT0 and PORT to the port taken from the offer" : "given twice")")
            }
        }
    }
}
