import ArgumentParser
import SitepackCore

extension SitepackCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an artifact: gzip and tar integrity, the manifest, and a lint for Mesos.",
            discussion: """
                Reads every entry, compares it with the manifest (path, type, size, mode, sha256) when given, and \
                lints what strict fetch would refuse and what trips Mesos's fetcher (non-ASCII names, a ./ entry, \
                entries outside one top folder, no index.html). Each finding has a severity and a fix.
                Exit codes: 0 no error-level finding, 1 unreadable, 3 unsafe entries, 4 manifest mismatch.
                See docs/verify.md.
                """
        )

        @Argument(help: "The archive (content.tar.gz).")
        var archive: String

        @Option(name: .long, help: "The manifest.json to check every entry against.")
        var manifest: String?

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let report = try await reportingErrors {
                let manifest = try self.manifest.map { try Manifest.load(from: $0) }
                return try ArchiveVerifier.verify(archive: archive, manifest: manifest)
            }
            if output.json {
                try FileHandleOutput.json(report)
            } else {
                let layout = report.blockedGzip ? "sitepack multi-member gzip" : report.filter
                FileHandleOutput.standardOutput("\(report.sha256)  \(report.archive)  (\(report.format), \(layout), \(report.entries) entries, \(report.files) files, \(ByteCount.format(report.bytes)))")
                for finding in report.findings {
                    let entry = finding.entry.map { " '\($0)'" } ?? ""
                    FileHandleOutput.standardOutput("\(finding.severity.rawValue): \(finding.rule)\(entry): \(finding.message)\n  fix: \(finding.fix)")
                }
                if report.manifestChecked && report.ok { FileHandleOutput.standardOutput("manifest: every entry matches") }
                FileHandleOutput.standardOutput(report.ok ? "ok" : "FAILED")
            }
            if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
        }
    }
}
