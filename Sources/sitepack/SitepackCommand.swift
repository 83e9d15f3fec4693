import ArgumentParser
import SitepackCore

/// The `sitepack` command: pack a static site, serve it to Mesos agents, fetch it as an agent would,
/// and build the JSON that launches it.
@main
struct SitepackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sitepack",
        abstract: "Put static websites onto Apache Mesos: pack, serve, fetch, verify and launch.",
        discussion: """
            Exit codes: 0 ok, 1 failure, 2 usage error, 3 unsafe input refused, 4 integrity check failed.
            Results go to stdout; logs and progress to stderr.
            Start with README.md; each command has a page in docs/ (e.g. docs/build.md), named in its --help.
            """,
        version: SitepackVersion.current,
        subcommands: [Build.self, Serve.self, Publish.self, Fetch.self, Verify.self, TaskCommand.self, Gc.self, Check.self, Launch.self]
    )

    /// Runs the command, mapping argument-parser's usage errors to exit status 2 as DESIGN.md promises.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandleOutput.standardError(fullMessage(for: error))
                exit(withError: ExitCode(SitepackError.ExitStatus.usage))
            }
            exit(withError: error)
        }
    }
}
