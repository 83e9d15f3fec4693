import ArgumentParser
import Foundation
import SitepackCore

extension SitepackCommand {
    struct TaskCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "task",
            abstract: "Print the ACCEPT call, TaskInfo or Marathon app that launches a site from an offer.",
            discussion: """
                Reads offers (a single Offer, an OFFERS event, {"offers": [...]} or a list) and takes the \
                first one with the cpus, mem, disk, one port and attributes the task needs; when none fits \
                it exits 1 and lists what each offer lacks. The JSON is Mesos's own mapping (snake_case, \
                enums as names), pretty-printed with sorted keys.

                Runtimes (what the agent needs): python (python3), busybox (busybox httpd), sitepack \
                (nothing: it fetches the binary from the artifact server's /bin/SHA256/sitepack, by default \
                the digest of this sitepack binary, so serve must run the same build; else --binary-url), \
                docker-nginx (an agent with --containerizers=docker,mesos and Docker). HTTP health checks \
                need curl on the agent. Details: docs/task.md.

                Content-addressed URLs (the artifact's /sites/NAME/SHA256/content.tar.gz, the binary's \
                /bin/SHA256/sitepack) are fetched with cache: true, so each agent downloads them once; \
                --no-cache turns that off.

                Exit codes: 0 ok, 1 no offer fits or the offer file is unusable, 2 usage error or refused \
                argument (an artifact Mesos would not extract, --cache on a mutable URL, …).
                """
        )

        @Option(name: .long, help: ArgumentHelp("The offer JSON file, or - for stdin. Not needed with --format marathon.", valueName: "file"))
        var offer: String?

        @Option(name: .long, help: ArgumentHelp("The artifact URL, e.g. http://HOST:PORT/sites/NAME/SHA256/content.tar.gz.", valueName: "url"))
        var artifact: String

        @OptionGroup(title: "The task")
        var task: TaskOptions

        @Option(name: .long, help: ArgumentHelp("The framework id (default: the offer's).", valueName: "id"))
        var frameworkId: String?

        @Option(name: .long, help: ArgumentHelp("What to print.", valueName: "format"))
        var format: TaskOutputFormat = .accept

        func validate() throws {
            if offer == nil && format != .marathon {
                throw ValidationError("--offer FILE (or - for stdin) is required for --format \(format.rawValue)")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let request = task.request(artifact: artifact, frameworkID: frameworkId)
                let siteTask = try SiteTask(request)
                let offers = try offer.map { try OfferDocument.offers(from: readOffer($0), source: $0 == "-" ? "stdin" : $0) }
                FileHandleOutput.standardOutput(try siteTask.render(format, offers: offers))
            }
        }

        func readOffer(_ path: String) throws -> Data {
            if path == "-" {
                return FileHandle.standardInput.readDataToEndOfFile()
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SitepackError(.io, "cannot read the offer file \(path): check the path (or use - for stdin)")
            }
            return data
        }
    }
}
