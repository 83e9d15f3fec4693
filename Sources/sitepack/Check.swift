import ArgumentParser
import Foundation
import Logging
import SitepackCore

extension SitepackCommand {
    /// `sitepack check`: run the site locally as a Mesos agent would, and say which step broke.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a site locally exactly as a Mesos agent would, and say which step broke.",
            discussion: """
                Steps: verify (the store's artifact against its manifest), serve (on 127.0.0.1, a free port), \
                task (the TaskInfo, validated as the master does against an offer describing this machine), \
                fetch (every URI into a fresh sandbox, as the agent's fetcher), run (the command as the command \
                executor runs it: /bin/sh -c, its own process group, Mesos's environment), probe (the port, the \
                HTTP health check, / and up to 50 files against the manifest), stop (SIGTERM, SIGKILL after the \
                kill policy's grace period; the sandbox removed unless --keep). Ctrl-C stops the task and cleans up.
                Exit codes: 0 every step passed, 1 a step failed, 2 usage error, 77 a step could not run here \
                (the runtime's program is missing).
                See docs/check.md.
                """
        )

        @Argument(help: ArgumentHelp("A store (build -o DIR) or an artifact URL.", valueName: "dist-dir|artifact-url"))
        var target: String?

        @Option(name: .long, help: ArgumentHelp("Run a TaskInfo, an ACCEPT call body or a Marathon app (JSON file) as given.", valueName: "file"))
        var task: String?

        @Option(name: .long, help: "The site to check in a store holding several.")
        var name: String?

        @Option(name: .long, help: "The version to check (default: the newest).")
        var sha256: String?

        @Option(name: .long, help: ArgumentHelp("What serves the site: python, busybox or sitepack.", valueName: "runtime"))
        var runtime: SiteRuntime = .python

        @Flag(name: .long, help: "Extract exactly as Mesos ≥ 1.8 does instead of strict mode.")
        var mesosCompat = false

        @Flag(name: .long, help: "Fetch the artifact (and the sitepack binary) with cache: false, as sitepack task --no-cache; by default they are cached, sized by HEAD first as an agent does.")
        var noCache = false

        @Flag(name: .long, help: "Keep the sandbox (its path is printed).")
        var keep = false

        @Option(name: .long, help: "How long the task may take to listen and pass its health check (e.g. 60s, 2m).")
        var timeout = DurationArgument(seconds: 60)

        @Flag(name: .long, help: "Print the report as JSON on stdout.")
        var json = false

        @Flag(name: [.short, .long], help: "Print no warnings on stderr (the report still goes to stdout), as the other commands' --quiet.")
        var quiet = false

        func validate() throws {
            if (target == nil) == (task == nil) { throw ValidationError("give a store, an artifact URL or --task FILE (one of them)") }
            if runtime == .dockerNginx { throw ValidationError("--runtime docker-nginx needs the Docker containerizer; check runs python, busybox or sitepack") }
            if task != nil && (name != nil || sha256 != nil) { throw ValidationError("--name and --sha256 pick a version of a store, not of --task") }
        }

        func run() async throws {
            var logger = Logger(label: "sitepack.check", factory: { StreamLogHandler.standardError(label: $0) })
            logger.logLevel = quiet ? .error : .warning
            let source: CheckOptions.Source
            if let task {
                source = .task(task)
            } else if let target, target.contains("://") {
                source = .url(target)
            } else {
                source = .store(target ?? "dist")
            }
            var options = CheckOptions(source: source)
            options.name = name
            options.sha256 = sha256
            options.runtime = runtime
            options.mesosCompat = mesosCompat
            options.keep = keep
            options.noCache = noCache
            options.timeout = timeout.value
            let report = await SiteChecker(options: options, logger: logger).run()
            if json {
                try FileHandleOutput.json(report)
            } else {
                FileHandleOutput.standardOutput("sitepack check \(report.target)\(report.taskID.map { " (task \($0))" } ?? "")")
                for step in report.steps {
                    let seconds = String(format: "%6.2fs", step.seconds)
                    FileHandleOutput.standardOutput("\(step.status.rawValue)  \(step.name.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(seconds)  \(step.detail)")
                    if step.status == .fail || step.status == .skip && step.counts {
                        for line in step.stderrTail ?? [] { FileHandleOutput.standardOutput("        stderr| \(line)") }
                        if let hint = step.hint { FileHandleOutput.standardOutput("        hint: \(hint)") }
                    }
                }
                FileHandleOutput.standardOutput(report.passed ? "ok" : report.failedStep.map { "FAILED at \($0.name.rawValue)" } ?? "SKIPPED")
            }
            if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
        }
    }
}
