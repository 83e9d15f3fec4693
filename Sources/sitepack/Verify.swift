import ArgumentParser
import SitepackCore

extension SitepackCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check an artifact: integrity, manifest, and a lint for Mesos.")

        @Argument(help: "The archive (content.tar.gz).")
        var archive: String

        func run() async throws {
            throw ValidationError("not built yet")
        }
    }
}
