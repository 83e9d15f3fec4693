import ArgumentParser
import SitepackCore

extension SitepackCommand {
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pack a site folder into a reproducible content.tar.gz (+ .sha256, manifest.json)."
        )

        @Argument(help: "The site folder to pack.")
        var siteDirectory: String

        func run() async throws {
            throw ValidationError("not built yet")
        }
    }
}
