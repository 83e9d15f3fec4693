import ArgumentParser
import SitepackCore

extension SitepackCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an artifact: gzip and tar integrity, the manifest, and a lint for Mesos.",
            discussion: """
                Reads every entry, compares it with the manifest (path, type, size, mode, sha256) when given, and \
                lints what strict fetch would refuse and what trips Mesos's fetcher (non-ASCII names, a ./ entry, \
                entries outside one top folder, no index.html). Each finding has a severity and a fix. Limits are \
                strict fetch's defaults (1,000,000 entries), or exactly the manifest's counts when the archive's \
                sha256 is the manifest's.
                Exit codes: 0 no error-level finding, 1 unreadable, 3 unsafe entries, 4 manifest mismatch.
                See docs/verify.md.
                """
        )

        @Argument(help: "The archive (content.tar.gz), or a store or version folder holding one (its manifest.json is then checked too).")
        var archive: String

        @Option(name: .long, help: "The manifest.json to check every entry against.")
        var manifest: String?

        @Option(name: .long, help: "Lint the entry count against this limit (as strict fetch's --max-files) instead of the default or the manifest's count.")
        var maxFiles: Int?

        @OptionGroup var output: OutputOptions

        func validate() throws {
            if let maxFiles, maxFiles < 0 { throw ValidationError("--max-files must be positive") }
        }

        func run() async throws {
            let report = try await reportingErrors {
                let target = try ArchiveVerifier.target(for: archive)
                let manifest = try (self.manifest ?? target.manifest).map { try Manifest.load(from: $0) }
                let limits = maxFiles.map { count in
                    var limits = ExtractionLimits()
                    limits.maxEntries = count
                    return limits
                }
                return try ArchiveVerifier.verify(archive: target.archive, manifest: manifest, limits: limits)
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
