#if canImport(Glibc)
import Glibc
#endif
public import Logging
import Foundation

/// `sitepack check`: the whole path, locally, as a cluster would run it — verify the artifact, serve
/// it, build and validate the TaskInfo against an offer describing this machine, fetch its URIs into a
/// fresh sandbox, run its command as the command executor does, probe it as the health checker does,
/// and stop it as the kill policy says — reporting which step broke and what to change.
public struct SiteChecker: Sendable {
    /// What to check.
    public var options: CheckOptions
    private let logger: Logger

    /// The synthetic offer's ids.
    static let frameworkID = "sitepack-check-0000"
    static let agentID = "sitepack-check-S0"

    /// A checker logging to `logger` (the server's and fetcher's warnings).
    public init(options: CheckOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Runs every step; never throws: a failure is a FAIL step in the report. SIGINT/SIGTERM meanwhile
    /// stop the task and remove the sandbox, and exit with 128 + the signal.
    public func run() async -> CheckReport {
        CheckInterruption.shared.install()
        LocalAgent.becomeSubreaper()
        let report = await steps()
        CheckInterruption.shared.waitIfInterrupted()
        return report
    }

    /// The steps, in order.
    func steps() async -> CheckReport {
        var report = CheckReport(target: target, taskID: nil, sandbox: nil, kept: options.keep, steps: [])
        var manifest: Manifest?
        var artifactURL: String?

        switch options.source {
        case .store(let directory):
            let started = Self.now()
            let root: String, version: StoredVersion, loaded: Manifest
            do {
                (root, version, loaded) = try selectVersion(directory)
            } catch let failure as StepFailure {
                report.steps.append(failure.step(seconds: Self.now() - started))
                return finish(report)
            } catch {
                report.steps.append(CheckStep(.verify, .fail, seconds: Self.now() - started, "\(error)"))
                return finish(report)
            }
            report.target = "\(directory) (\(version.address))"
            // Verification reads the whole artifact on a thread of its own, started when the fetch step ended
            // (the fetch keeps the cores), beside run and probe (what runs is what strict fetch extracted
            // from bytes matching the digest); it is reported first.
            let verification = BackgroundWork(deferred: true) { [self] in
                let verifyStarted = Self.now()
                do {
                    let detail = try verifyVersion(version, manifest: loaded, in: root)
                    return CheckStep(.verify, .pass, seconds: Self.now() - verifyStarted, detail)
                } catch let failure as StepFailure {
                    return failure.step(seconds: Self.now() - verifyStarted)
                } catch {
                    return CheckStep(.verify, .fail, seconds: Self.now() - verifyStarted, "\(error)")
                }
            }
            report.steps.append(CheckStep(.verify, .pass, "running beside the other steps"))
            var served = await serving(root, version: version, manifest: loaded, report: report, afterFetch: { verification.start() })
            served.steps[0] = (try? verification.wait().get()) ?? CheckStep(.verify, .fail, "the verification ended without a result")
            return served
        case .url(let url):
            artifactURL = url
            report.steps.append(CheckStep(.verify, .skip, "an artifact URL is checked as fetched: the fetch step verifies a content-addressed URL against its digest", counts: false))
            report.steps.append(CheckStep(.serve, .skip, "the artifact URL is used as is", counts: false))
        case .task:
            report.steps.append(CheckStep(.verify, .skip, "the task's URIs are checked as fetched", counts: false))
            report.steps.append(CheckStep(.serve, .skip, "the task's URIs are used as given", counts: false))
        }
        return await runTask(artifactURL: artifactURL, manifest: manifest, report: report)
    }

    /// What the report names as checked.
    var target: String {
        switch options.source {
        case .store(let directory): return directory
        case .url(let url): return url
        case .task(let file): return file
        }
    }

    // MARK: - 1. verify

    /// A failed step, thrown out of a step's work.
    struct StepFailure: Error {
        var name: CheckStep.Name
        var detail: String
        var hint: String?
        func step(seconds: Double) -> CheckStep { CheckStep(name, .fail, seconds: seconds, detail, hint: hint) }
    }

    /// Picks the version (newest, or `--name`/`--sha256`) and reads its manifest: the store's root, the
    /// version and the manifest.
    func selectVersion(_ given: String) throws -> (String, StoredVersion, Manifest) {
        var directory = given
        var options = self.options
        // A version's own archive (…/sites/<name>/<sha256>/content.tar.gz) names its store and version.
        if FileSystem.status(given).map({ $0.st_mode & S_IFMT == S_IFREG }) == true {
            let absolute = ArtifactStore(root: given).root
            let folder = (absolute as NSString).deletingLastPathComponent
            // The store's top-level content.tar.gz links the newest version; its .sha256 names it.
            let checksum = (try? String(contentsOfFile: folder + "/" + ArtifactAddress.checksumFile, encoding: .utf8)).map { String($0.prefix(64)) }
            let topLevel = absolute.hasSuffix("/" + ArtifactAddress.archiveFile) && FileSystem.isDirectory(ArtifactAddress.sitesFolder(in: folder))
            let address = ArtifactAddress.parse(urlPath: absolute)
                ?? (topLevel ? checksum.flatMap { sha in ArtifactStore(root: folder).siteNames().lazy.compactMap { try? ArtifactAddress(name: $0, sha256: sha) }
                    .first { FileSystem.isDirectory($0.versionFolder(in: folder)) } } : nil)
            guard let address else {
                throw StepFailure(name: .verify, detail: "\(given) is a file but not a stored version's archive (…/sites/NAME/SHA256/content.tar.gz)",
                                  hint: "give the store folder (build -o DIR), or run sitepack verify on a loose archive")
            }
            directory = ArtifactAddress.parse(urlPath: absolute) != nil ? String(absolute.dropLast(address.urlPath().count)) : folder
            options.name = address.name
            options.sha256 = address.sha256
        }
        let store = ArtifactStore(root: directory)
        let names = store.siteNames()
        let name: String
        if let given = options.name {
            guard names.contains(given) else {
                throw StepFailure(name: .verify, detail: "\(directory) holds no site named \(given) (it holds: \(names.isEmpty ? "none" : names.joined(separator: ", ")))",
                                  hint: "build it first: sitepack build SITE -o \(directory) --name \(given)")
            }
            name = given
        } else {
            guard let only = names.first else {
                throw StepFailure(name: .verify, detail: "\(directory) is not a store with a built site (no sites/<name>/<sha256>/)",
                                  hint: "build one first: sitepack build SITE -o \(directory)")
            }
            guard names.count == 1 else {
                throw StepFailure(name: .verify, detail: "\(directory) holds several sites: \(names.joined(separator: ", "))", hint: "pick one with --name")
            }
            name = only
        }
        let versions = store.versions(of: name)
        let version: StoredVersion
        if let sha = options.sha256?.lowercased() {
            guard let match = versions.first(where: { $0.address.sha256 == sha }) else {
                throw StepFailure(name: .verify, detail: "\(name) has no version \(sha) in \(directory)", hint: "list the versions with ls \(directory)/sites/\(name)")
            }
            version = match
        } else {
            guard let newest = versions.first else {
                throw StepFailure(name: .verify, detail: "\(name) has no complete version in \(directory)", hint: "build it again")
            }
            version = newest
        }
        let manifest: Manifest
        do {
            manifest = try Manifest.load(from: version.path(ArtifactAddress.manifestFile))
        } catch {
            throw StepFailure(name: .verify, detail: "cannot read the manifest of \(version.address): \(error)", hint: "rebuild the site: sitepack build SITE -o \(directory)")
        }
        return (store.root, version, manifest)
    }

    /// Verifies the version's archive against its manifest (the `verify` rules); returns the step's detail.
    func verifyVersion(_ version: StoredVersion, manifest: Manifest, in directory: String) throws -> String {
        let verified = try ArchiveVerifier.verify(archive: version.path(), manifest: manifest)
        if verified.sha256 != version.address.sha256 {
            throw StepFailure(name: .verify, detail: "\(version.path()) hashes to \(verified.sha256), but its folder names \(version.address.sha256): the artifact was changed after it was built",
                              hint: "rebuild the site (sitepack build SITE -o \(directory)); never edit a stored version")
        }
        if let error = verified.findings.first(where: { $0.severity == .error }) {
            throw StepFailure(name: .verify, detail: "\(error.rule)\(error.entry.map { " '\($0)'" } ?? ""): \(error.message)", hint: error.fix)
        }
        let warnings = verified.findings.filter { $0.severity == .warning }.map(\.rule)
        let note = warnings.isEmpty ? "" : "; warnings: \(warnings.joined(separator: ", "))"
        return ("\(version.address.name)@\(version.address.sha256.prefix(12)): \(verified.files) files match the manifest\(note)")
    }

    // MARK: - 2. serve

    /// Serves the store on 127.0.0.1, port 0, for the rest of the steps.
    /// `afterFetch` runs once the fetch step ended (check starts verifying there, so the fetch has the cores).
    func serving(_ directory: String, version: StoredVersion, manifest: Manifest, report: CheckReport,
                 afterFetch: @escaping @Sendable () -> Void = {}) async -> CheckReport {
        var report = report
        let started = Self.now()
        // Only the sitepack runtime fetches the binary: hashing it (tens of MB) is not done for the others.
        let configuration = ServeConfiguration(root: directory, host: "127.0.0.1", port: 0, accessLog: .off,
                                               gracePeriod: .seconds(1), threads: 1,
                                               executablePath: options.runtime == .sitepack ? BinaryAddress.runningExecutablePath : nil)
        let server: ArtifactServer
        do {
            server = try await ArtifactServer.make(configuration: configuration, logger: logger)
        } catch {
            report.steps.append(CheckStep(.serve, .fail, seconds: Self.now() - started, "\(error)", hint: "check that \(directory) is readable"))
            return finish(report)
        }
        let url = server.origin + version.address.urlPath()
        guard server.catalog.artifacts.contains(where: { $0.address == version.address }) else {
            report.steps.append(CheckStep(.serve, .fail, seconds: Self.now() - started, "the server does not serve \(version.address) (its catalog refused it)",
                                          hint: "sitepack verify \(version.path()) --manifest \(version.path(ArtifactAddress.manifestFile))"))
            server.shutdown()
            try? await server.run()
            return finish(report)
        }
        report.steps.append(CheckStep(.serve, .pass, seconds: Self.now() - started, url))
        let rest = report
        return await withTaskGroup(of: CheckReport?.self) { group in
            group.addTask {
                try? await server.run()
                return nil
            }
            group.addTask {
                let result = await runTask(artifactURL: url, binaryURL: server.binaryURL, manifest: manifest, report: rest, afterFetch: afterFetch)
                server.shutdown()
                return result
            }
            var final = rest
            for await result in group { if let result { final = result } }
            return final
        }
    }

    // MARK: - 3-7

    /// Task, fetch, run, probe and stop.
    /// `binaryURL` is the local server's `/bin/<sha256>/sitepack`, when it serves one.
    func runTask(artifactURL: String?, binaryURL: String? = nil, manifest: Manifest?, report: CheckReport,
                 afterFetch: @Sendable () -> Void = {}) async -> CheckReport {
        var report = report
        // 3. task
        var started = Self.now()
        let prepared: (LocalTask, String)
        do {
            prepared = try prepareTask(artifactURL: artifactURL, binaryURL: binaryURL)
        } catch let failure as StepFailure {
            report.steps.append(failure.step(seconds: Self.now() - started))
            return finish(report)
        } catch {
            report.steps.append(CheckStep(.task, .fail, seconds: Self.now() - started, "\(error)", hint: Self.hint(for: error)))
            return finish(report)
        }
        let (task, taskDetail) = prepared
        report.taskID = task.taskID
        report.steps.append(CheckStep(.task, .pass, seconds: Self.now() - started, taskDetail))

        if case .task = options.source {} else if let program = Self.program(for: options.runtime), Self.findOnPath(program) == nil {
            report.steps.append(CheckStep(.fetch, .skip, "not run: the \(options.runtime) runtime cannot run here"))
            report.steps.append(CheckStep(.run, .skip, "\(program) is not on this machine's PATH: the \(options.runtime) runtime needs it on the agent",
                                          hint: "install \(program), or check with --runtime python or --runtime sitepack"))
            return finish(report)
        }

        // 4. fetch
        started = Self.now()
        let agent: LocalAgent
        do {
            agent = try LocalAgent(task: task)
        } catch {
            report.steps.append(CheckStep(.fetch, .fail, seconds: Self.now() - started, "cannot make the sandbox: \(error)"))
            return finish(report)
        }
        report.sandbox = agent.sandbox
        CheckInterruption.shared.update { $0.workDirectory = agent.workDirectory; $0.keep = options.keep; $0.grace = task.killGracePeriod }
        var manifest = manifest
        do {
            let detail = try fetch(task, agent: agent, manifest: &manifest)
            report.steps.append(CheckStep(.fetch, .pass, seconds: Self.now() - started, detail))
        } catch let failure as StepFailure {
            report.steps.append(failure.step(seconds: Self.now() - started))
            return finish(report, agent: agent)
        } catch {
            report.steps.append(CheckStep(.fetch, .fail, seconds: Self.now() - started, "\(error)", hint: Self.hint(for: error),
                                          stderrTail: agent.stderrTail()))
            return finish(report, agent: agent)
        }

        afterFetch()

        // 5. run
        started = Self.now()
        let pid: pid_t
        do {
            pid = try agent.launch(task)
        } catch {
            report.steps.append(CheckStep(.run, .fail, seconds: Self.now() - started, "\(error)", hint: "check command.value"))
            return finish(report, agent: agent)
        }
        CheckInterruption.shared.update { $0.group = pid }
        let (runStep, probeStep) = probe(task, pid: pid, agent: agent, manifest: manifest, launched: started)
        report.steps.append(runStep)
        if let probeStep { report.steps.append(probeStep) }

        // 7. stop
        started = Self.now()
        let killed = LocalAgent.stop(group: pid, grace: task.killGracePeriod)
        CheckInterruption.shared.update { $0.group = nil }
        let left = kill(-pid, 0) == 0
        let grace = DurationText.wholeSeconds(task.killGracePeriod)
        var detail = killed ? "SIGTERM, then SIGKILL after the \(grace) s grace period (the task ignores SIGTERM)"
            : "SIGTERM to process group \(pid); it ended within the \(grace) s grace period"
        detail += options.keep ? "; sandbox kept at \(agent.sandbox)" : "; sandbox removed"
        if !options.keep { agent.remove() }
        report.steps.append(CheckStep(.stop, left ? .fail : .pass, seconds: Self.now() - started,
                                      left ? "process group \(pid) is still running after SIGKILL" : detail))
        return report
    }

    /// Builds (or reads) the TaskInfo and validates it as the master does against this machine's offer.
    func prepareTask(artifactURL: String?, binaryURL: String?) throws -> (LocalTask, String) {
        let port = try TaskProbe.freePort()
        var offer = Self.machineOffer(ports: [ValueRange(begin: port, end: port)])
        let json: MesosJSON
        var frameworkID = Self.frameworkID
        var shape = "TaskInfo built by sitepack task"
        if case .task(let file) = options.source {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw StepFailure(name: .task, detail: "cannot read --task \(file)", hint: "check the path")
            }
            let document = try TaskDocument(data, source: file, offer: offer, port: port)
            json = document.taskInfo
            frameworkID = document.frameworkID ?? frameworkID
            shape = document.shape + " from \(file)"
            // This machine offers, besides the free port found, every port the task asks for that is free now.
            for resource in json["resources"]?.arrayValue ?? [] where resource["name"]?.stringValue == "ports" {
                for range in resource["ranges"]?["range"]?.arrayValue ?? [] {
                    guard let begin = range["begin"]?.unsignedValue, let end = range["end"]?.unsignedValue, begin <= end, end - begin < 64 else { continue }
                    for candidate in begin...end where candidate != port && TaskProbe.isFree(candidate) {
                        offer.resources[offer.resources.count - 1].ranges?.append(ValueRange(begin: candidate, end: candidate))
                    }
                }
            }
            if let agent = json["agent_id"]?["value"]?.stringValue, !agent.isEmpty { offer.agentID = agent }
            offer.frameworkID = frameworkID
        } else {
            guard let artifactURL else { throw StepFailure(name: .task, detail: "no artifact URL") }
            var request = SiteTaskRequest(artifact: artifactURL, needs: TaskNeeds(cpus: 0.2, mem: 100, port: port), runtime: options.runtime)
            request.binaryURL = options.runtime == .sitepack ? binaryURL : nil
            request.noCache = options.noCache
            let siteTask = try SiteTask(request)
            let placement = try OfferMatcher.place(request.needs, in: [offer])
            json = try JSONDecoder().decode(MesosJSON.self, from: JSONEncoder().encode(siteTask.taskInfo(on: placement)))
            shape += " (--runtime \(options.runtime))"
        }
        if let problem = MasterValidation.firstProblem(json, offer: offer) {
            let source: String
            if case .task(let file) = options.source { source = "fix \(problem.field) in \(file)" } else { source = "report this: sitepack built a task the master refuses" }
            throw StepFailure(name: .task, detail: "the master would refuse the task: \(problem)", hint: source)
        }
        if let container = json["container"], container != .null {
            throw StepFailure(name: .task, detail: "the task has a container (\(container["type"]?.stringValue ?? "?")): check runs command tasks on the host only",
                              hint: "check the site with --runtime python or --runtime sitepack")
        }
        if json["executor"] != nil && json["command"] == nil {
            throw StepFailure(name: .task, detail: "the task names a custom executor: check runs command tasks only", hint: "give the task a command")
        }
        let task = try LocalTask(taskInfo: json, frameworkID: frameworkID)
        guard let taskPort = task.port else {
            throw StepFailure(name: .task, detail: "the task names no port: no HTTP health check, no PORT0 variable and no ports resource",
                              hint: "take a port from the offer, put it in the ports resource, PORT0 and the health check (sitepack task does)")
        }
        return (task, "\(task.taskID) on port \(taskPort) (\(shape)); valid as the master checks it")
    }

    /// Fetches every URI into the sandbox as the agent's fetcher does; for a content-addressed
    /// artifact URL without a local manifest, also fetches the manifest beside it (outside the sandbox).
    func fetch(_ task: LocalTask, agent: LocalAgent, manifest: inout Manifest?) throws -> String {
        var fetchOptions = FetchOptions(sandbox: agent.sandbox)
        fetchOptions.mode = options.mesosCompat ? .mesosCompat : .strict
        fetchOptions.progress = false
        fetchOptions.retries = 1
        fetchOptions.retryDelay = 0.2
        // An agent's fetcher cache is its own, emptied when it starts (mesos.md §1.7): this one lives and
        // goes with the work dir, never in the user's cache.
        fetchOptions.cacheDirectory = agent.workDirectory + "/fetch-cache"
        let quiet = Logger(label: "sitepack.check.fetch", factory: { _ in SwiftLogNoOpLogHandler() })
        let fetcher = Fetcher(options: fetchOptions, logger: quiet)
        // The store's artifact, verified against its manifest, extracts under exactly the manifest's counts.
        var boundedOptions = fetchOptions
        if let manifest { boundedOptions.limits = ExtractionLimits(bounding: manifest) }
        var parts: [String] = []
        for uri in task.uris {
            let plan = try FetchPlan(uri, mode: fetchOptions.mode)
            if let trap = plan.warnings.first(where: { $0.contains("MESOS-3367") }) {
                agent.log("W sitepack-check: \(trap)")
                throw StepFailure(name: .fetch, detail: "\(uri.value): Mesos would copy it into the sandbox as '\(plan.destinationName)' and not extract it (the query string stays in the file name)",
                                  hint: trap)
            }
            agent.log("I sitepack-check fetcher: Fetching URI '\(uri.value)'")
            let bounded = manifest != nil && plan.contentAddress?.sha256 == manifest?.archive.sha256
            let result = try (bounded ? Fetcher(options: boundedOptions, logger: quiet) : fetcher).fetch(uri)
            agent.log("I sitepack-check fetcher: Fetched '\(uri.value)' to '\(result.path)'")
            // A cached URI is sized by HEAD first, as the agent's fetcher cache does: an answer the agent
            // cannot use (no length, or another length than the GET's) fails here, not on the cluster.
            if let probe = result.sizeProbe, let problem = probe.problem ?? probe.mismatch(downloaded: result.bytes) {
                agent.log("W sitepack-check fetcher: \(problem)")
                throw StepFailure(name: .fetch, detail: problem,
                                  hint: "serve the artifact with sitepack serve (HEAD and GET give the same Content-Length), or fetch it uncached: sitepack task --no-cache")
            }
            let name = (result.path as NSString).lastPathComponent
            let cached = result.sizeProbe.map { ", through the fetcher cache: HEAD size \($0.contentLength ?? 0) = GET size" } ?? ""
            parts.append((result.action == .extract ? "\(name) (extracted, \(result.files) files" : "\(name) (\(result.action.rawValue)") + cached + ")")
        }
        if manifest == nil,
           let address = task.uris.lazy.compactMap({ (try? ArtifactURL(parsing: $0.value)).flatMap { url in url.contentAddress.map { (url, $0) } } }).first {
            let (url, content) = address
            let side = agent.workDirectory + "/manifest"
            var sideOptions = FetchOptions(sandbox: side)
            sideOptions.progress = false
            sideOptions.retries = 0
            let uri = MesosURI(value: url.origin + content.urlPath(ArtifactAddress.manifestFile), extract: false)
            if let result = try? Fetcher(options: sideOptions, logger: quiet).fetch(uri) {
                manifest = try? Manifest.load(from: result.path)
            }
        }
        return parts.joined(separator: ", ") + " into the sandbox (\(fetchOptions.mode.rawValue))"
    }

    // MARK: - 6. probe

    /// Waits for the port, runs the HTTP health check as Mesos's checker does, then compares `/` and a
    /// sample of files with the manifest. Returns the run step and the probe step (nil when the task
    /// ended before it listened, which is the run step's failure).
    func probe(_ task: LocalTask, pid: pid_t, agent: LocalAgent, manifest: Manifest?, launched: Double) -> (CheckStep, CheckStep?) {
        let port = task.port ?? 0
        let probe = TaskProbe(port: port)
        let deadline = launched + Double(DurationText.wholeSeconds(options.timeout))
        var opened: Double?
        while Self.now() < deadline {
            if let end = LocalAgent.exited(pid) {
                let seconds = Self.now() - launched
                return (CheckStep(.run, .fail, seconds: seconds, "the command \(end) after \(Self.format(seconds)) s, before it listened on port \(port)",
                                  hint: "a task must keep running and serve on $PORT0 (\(port)); run the command by hand in the sandbox (check --keep keeps it)",
                                  stderrTail: agent.stderrTail()), nil)
            }
            if probe.isOpen() {
                opened = Self.now()
                break
            }
            usleep(10_000)
        }
        let runStep = CheckStep(.run, .pass, seconds: (opened ?? Self.now()) - launched,
                                "process group \(pid) running in \(agent.sandbox)")
        let probeStarted = Self.now()
        func failed(_ detail: String, _ hint: String) -> (CheckStep, CheckStep?) {
            (runStep, CheckStep(.probe, .fail, seconds: Self.now() - probeStarted, detail, hint: hint, stderrTail: agent.stderrTail()))
        }
        guard let opened else {
            let elsewhere = ListeningPorts.of(group: pid).filter { $0 != port }
            if !elsewhere.isEmpty {
                let list = elsewhere.map(String.init).joined(separator: ", ")
                return failed("nothing listens on 127.0.0.1:\(port) after \(DurationText.wholeSeconds(options.timeout)) s (--timeout); the task listens on \(list) instead",
                              "serve on the offered port $PORT0 (\(port)), not on \(list): the health check and the scheduler use the offered port")
            }
            return failed("nothing listens on 127.0.0.1:\(port) after \(DurationText.wholeSeconds(options.timeout)) s (--timeout)",
                          "the command must listen on the offered port $PORT0 (\(port)), on 0.0.0.0 or 127.0.0.1, where the health check looks; a slow start needs a longer --timeout")
        }
        var notes = ["port \(port) open after \(Self.format(opened - launched)) s"]

        if let check = task.healthCheck {
            var failures = 0
            var last = ""
            var healthyAt: Double?
            // Mesos's checker first probes delay_seconds after launch; a delay only postpones that first
            // probe (no outcome depends on it), so check probes as soon as the port is open when that comes
            // sooner. Interval, timeout, grace period and consecutive failures are Mesos's.
            var next = min(launched + check.delaySeconds, opened)
            while healthyAt == nil {
                while Self.now() < next {
                    if LocalAgent.exited(pid) != nil { return failed("the task ended during the health checks", "see its stderr below") }
                    usleep(10_000)
                }
                do {
                    let answer = try probe.get(check.path, timeout: max(check.timeoutSeconds, 1))
                    last = "GET \(check.path) → \(answer.status)"
                    if (200..<400).contains(answer.status) { healthyAt = Self.now() }
                } catch let error as SitepackError {
                    last = error.message
                } catch {
                    last = "\(error)"
                }
                if healthyAt != nil { break }
                if Self.now() >= launched + check.gracePeriodSeconds {
                    failures += 1
                    if failures >= max(check.consecutiveFailures, 1) {
                        return failed("health check failed \(failures) times in a row after the \(Self.format(check.gracePeriodSeconds)) s grace period: \(last); Mesos would kill the task",
                                      "make GET http://127.0.0.1:\(check.port)\(check.path) answer 200-399")
                    }
                }
                next = Self.now() + max(check.intervalSeconds, 0.05)
                if next > deadline {
                    return failed("not healthy within \(DurationText.wholeSeconds(options.timeout)) s (--timeout): \(last)",
                                  "make GET http://127.0.0.1:\(check.port)\(check.path) answer 200-399, or give it a longer --timeout")
                }
            }
            let waited = opened < launched + check.delaySeconds ? " (first probe when the port opened, before delay_seconds \(Self.format(check.delaySeconds)) s)" : ""
            notes.append("health check GET \(check.path) healthy after \(Self.format((healthyAt ?? launched) - launched)) s\(waited)")
        } else {
            notes.append("no health check in the task")
        }

        guard let manifest else {
            if let answer = try? probe.get("/", timeout: 10) {
                notes.append("GET / → \(answer.status); no manifest to compare files with")
            }
            return (runStep, CheckStep(.probe, .pass, seconds: Self.now() - probeStarted, notes.joined(separator: "; ")))
        }
        let index = manifest.prefix + "/index.html"
        guard let indexEntry = manifest.files.first(where: { $0.path == index && $0.type == .file }) else {
            let answer = try? probe.get("/", timeout: 10)
            return failed("the site has no index.html: GET / → \(answer.map { "\($0.status), \($0.body.count) bytes" } ?? "no answer") is a directory listing or an error, not a page",
                          "add an index.html at the top of the site and build again (sitepack verify warns: no-index)")
        }
        var problems: [String] = []
        var hiddenUnserved: [String] = []
        do {
            let answer = try probe.get("/", timeout: 10)
            if answer.status != 200 || TaskProbe.sha256(answer.body) != indexEntry.sha256 {
                problems.append("/ (\(answer.status), not \(index) as the manifest has it)")
            }
        } catch {
            problems.append("/ (\(error))")
        }
        let sample = TaskProbe.sample(manifest)
        for entry in sample {
            let path = TaskProbe.urlPath(of: entry, prefix: manifest.prefix)
            do {
                let answer = try probe.get(path, timeout: 10)
                if answer.status == 404 && ServedFolder.isHidden(path[...]) {
                    // A dot-file: sitepack serve (the sitepack runtime) and many servers keep them private by design.
                    hiddenUnserved.append(path)
                } else if answer.status != 200 {
                    problems.append("\(path) (\(answer.status))")
                } else if TaskProbe.sha256(answer.body) != entry.sha256 {
                    problems.append("\(path) (other bytes than the manifest's sha256)")
                }
            } catch {
                problems.append("\(path) (\(error))")
            }
        }
        if !problems.isEmpty {
            let shown = problems.prefix(5).joined(separator: ", ") + (problems.count > 5 ? ", …" : "")
            return failed("\(problems.count) of \(sample.count + 1) files are not served as the manifest lists them: \(shown)",
                          "the task must serve $MESOS_SANDBOX/\(manifest.prefix) (the archive's top folder), on $PORT0")
        }
        notes.append("/ and \(sample.count - hiddenUnserved.count) files match the manifest")
        if !hiddenUnserved.isEmpty {
            notes.append("not served (hidden, 404): \(hiddenUnserved.prefix(5).joined(separator: ", "))\(hiddenUnserved.count > 5 ? ", …" : "")")
        }
        return (runStep, CheckStep(.probe, .pass, seconds: Self.now() - probeStarted, notes.joined(separator: "; ")))
    }

    // MARK: - Helpers

    /// Appends SKIP for the steps after the last one reported, removes the work dir unless kept.
    func finish(_ report: CheckReport, agent: LocalAgent? = nil) -> CheckReport {
        var report = report
        if let agent, !options.keep { agent.remove() }
        CheckInterruption.shared.update { $0.workDirectory = nil; $0.group = nil }
        let done = Set(report.steps.map(\.name))
        let reason = report.failedStep.map { "not run: the \($0.name.rawValue) step failed" } ?? "not run"
        for name in CheckStep.Name.allCases where !done.contains(name) {
            report.steps.append(CheckStep(name, .skip, name == .stop ? "nothing was started" : reason, counts: name != .stop))
        }
        return report
    }

    /// An offer describing this machine: its cores and memory, and the given ports.
    static func machineOffer(ports: [ValueRange]) -> Offer {
        let cpus = Double(ProcessInfo.processInfo.activeProcessorCount)
        let mem = Double(ProcessInfo.processInfo.physicalMemory / 1_048_576)
        var host = [CChar](repeating: 0, count: 256)
        let hostname = gethostname(&host, 255) == 0 ? String(cString: host) : "localhost"
        let role: [String: MesosJSON] = ["role": .string("*")]
        return Offer(id: "sitepack-check-O1", frameworkID: frameworkID, agentID: agentID, hostname: hostname, resources: [
            OfferedResource(name: "cpus", type: "SCALAR", scalar: cpus, metadata: role),
            OfferedResource(name: "mem", type: "SCALAR", scalar: mem, metadata: role),
            OfferedResource(name: "ports", type: "RANGES", ranges: ports, metadata: role),
        ])
    }

    /// The program a runtime needs on PATH.
    static func program(for runtime: SiteRuntime) -> String? {
        switch runtime {
        case .python: return "python3"
        case .busybox: return "busybox"
        case .sitepack, .dockerNginx: return nil
        }
    }

    /// The program's path on PATH, if any.
    static func findOnPath(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? LocalAgent.defaultPath
        for folder in path.split(separator: ":") where access("\(folder)/\(program)", X_OK) == 0 {
            return "\(folder)/\(program)"
        }
        return nil
    }

    static func hint(for error: any Error) -> String? {
        guard let error = error as? SitepackError else { return nil }
        switch error.code {
        case .integrity: return "the server answers the URL with other bytes than its digest names: serve the store it came from, or build and publish again"
        case .unsafeInput: return "strict mode refused an entry (sitepack verify lists them); --mesos-compat extracts as Mesos would"
        case .taskArgumentRefused: return "use the immutable URL sitepack serve prints (…/sites/NAME/SHA256/content.tar.gz)"
        default: return nil
        }
    }

    static func now() -> Double { ProgressReporter.now() }

    static func format(_ seconds: Double) -> String { String(format: "%.1f", seconds) }
}
