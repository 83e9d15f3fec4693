import ArgumentParser
import Foundation
import SitepackCore

extension SitepackCommand {
    /// `sitepack publish`: copies versions into another store or a running `sitepack serve`.
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy versions from a store into another store, or into a running sitepack serve over HTTP.",
            discussion: """
                By default publishes the store's newest version (the one a build added last, which DIR/content.tar.gz \
                links to); --name N picks the newest of one site, --name N --sha256 S one version, --all every version \
                (oldest first). Into a folder, each version is added whole, as build adds one (staging folder, fsync, \
                rename) and becomes the newest of its site there. Into a URL, each version is PUT to \
                /sites/<name>/<sha256>/ (content.tar.gz, its .sha256, then manifest.json) with the token from \
                --token-file as a bearer token; the server checks every byte against the digest and publishes the \
                version whole. Publishing is idempotent: failed transfers are retried, and running it again is safe.
                Prints the URL agents should use for each version (a path for a folder) on stdout.
                See docs/publish.md.
                """
        )

        @Argument(help: "The source store: the output folder of sitepack build.", completion: .directory)
        var directory = "dist"

        @Option(name: .customLong("to"), help: ArgumentHelp("Destination: another store's folder, or a sitepack serve URL (http://host:port).", valueName: "DIR|URL"))
        var destination: String

        @Option(help: ArgumentHelp("File holding the server's publish token (the one serve has as --publish-token-file).", valueName: "F"), completion: .file())
        var tokenFile: String?

        @Flag(help: "Publish every version of every site, oldest first.")
        var all = false

        @Option(help: "Publish the newest version of this site (with --sha256: that version).")
        var name: String?

        @Option(help: "Publish this version of the site --name names.")
        var sha256: String?

        @OptionGroup var outputOptions: OutputOptions

        func validate() throws {
            if all && (name != nil || sha256 != nil) { throw ValidationError("--all publishes every version: leave out --name and --sha256") }
            if sha256 != nil && name == nil { throw ValidationError("--sha256 needs --name: a version is NAME and SHA256") }
            if let name, let sha256, (try? ArtifactAddress(name: name, sha256: sha256)) == nil {
                throw ValidationError("--name \(name) --sha256 \(sha256) is not a version: a site name and 64 hex digits")
            }
            if case .server = PublishOptions.Destination(parsing: destination), tokenFile == nil {
                throw ValidationError("--to \(destination) is a server: pass --token-file F with the token it was started with (--publish-token-file)")
            }
        }

        func run() async throws {
            let result = try await reportingErrors {
                let selection: PublishOptions.Selection
                if all {
                    selection = .all
                } else if let name, let sha256 {
                    selection = .version(try ArtifactAddress(name: name, sha256: sha256))
                } else if let name {
                    selection = .site(name)
                } else {
                    selection = .newest
                }
                let token = try tokenFile.map { try PublishToken(file: $0) }
                let options = PublishOptions(source: directory, destination: PublishOptions.Destination(parsing: destination), token: token,
                                             selection: selection, showProgress: !outputOptions.quiet)
                return try Publisher(options: options).run { item in
                    if !outputOptions.quiet && item.unchanged {
                        FileHandleOutput.standardError("sitepack: unchanged: \(item.address) was already at \(destination); it is its site's newest there again")
                    }
                    if !outputOptions.json { FileHandleOutput.standardOutput(item.location) }
                }
            }
            if outputOptions.json { try FileHandleOutput.json(PublishSummary(destination: destination, result: result)) }
        }
    }
}

/// The `--json` output of `sitepack publish`.
struct PublishSummary: Encodable {
    struct Item: Encodable {
        let name: String
        let sha256: String
        let url: String
        let bytes: Int64
        let unchanged: Bool
    }

    let destination: String
    let published: [Item]

    init(destination: String, result: PublishResult) {
        self.destination = destination
        published = result.items.map { Item(name: $0.address.name, sha256: $0.address.sha256, url: $0.location, bytes: $0.bytes, unchanged: $0.unchanged) }
    }
}
