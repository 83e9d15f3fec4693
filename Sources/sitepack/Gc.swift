import ArgumentParser
import Foundation
import SitepackCore

extension SitepackCommand {
    struct Gc: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Remove old versions from a store (never a site's newest, never a pinned one).",
            discussion: """
                Per site, removes versions beyond the --keep newest (default \(StoreCollector.Policy.defaultKeep) when \
                neither --keep nor --older-than is given) and, with --older-than, only those added longer ago. \
                Safe while sitepack serve runs: downloads in flight finish, new requests for a removed version get 404.
                See docs/gc.md.
                """
        )

        @Argument(help: "The store: the output folder of sitepack build.", completion: .directory)
        var directory = "dist"

        @Option(help: "Keep this many newest versions of each site (at least 1).")
        var keep: Int?

        @Option(help: "Only remove versions added longer ago than this (e.g. 12h, 7d).")
        var olderThan: DurationArgument?

        @Option(name: .customLong("pin"), help: ArgumentHelp("Never remove this version (repeatable).", valueName: "NAME@SHA256"))
        var pins: [VersionArgument] = []

        @Flag(help: "Say what would be removed, remove nothing.")
        var dryRun = false

        @OptionGroup var outputOptions: OutputOptions

        func validate() throws {
            if let keep, keep < 1 { throw ValidationError("--keep must be at least 1: a site's newest version is never removed") }
        }

        func run() async throws {
            let policy = StoreCollector.Policy(keep: keep, olderThan: olderThan?.value, pins: Set(pins.map(\.address)))
            let collector = StoreCollector(store: ArtifactStore(root: directory), policy: policy)
            let verb = dryRun ? "would remove" : "removed"
            let report = try await reportingErrors {
                try collector.collect(dryRun: dryRun) { version in
                    if !outputOptions.json {
                        FileHandleOutput.standardOutput("\(verb) \(version.address)  \(ByteCount.format(version.bytes))")
                    }
                }
            }
            if outputOptions.json {
                try FileHandleOutput.json(GcSummary(report))
            } else {
                FileHandleOutput.standardOutput("\(dryRun ? "would free" : "freed") \(ByteCount.format(report.freedBytes)) from \(report.removed.count) version\(report.removed.count == 1 ? "" : "s"); \(report.kept) kept")
            }
        }
    }
}

/// The `--json` output of `sitepack gc`.
struct GcSummary: Encodable {
    struct Removed: Encodable {
        let name: String
        let sha256: String
        let bytes: Int64
        let added: String
    }

    let removed: [Removed]
    let kept: Int
    let freedBytes: Int64
    let leftoversCleaned: [String]
    let dryRun: Bool

    init(_ report: StoreCollector.Report) {
        let formatter = ISO8601DateFormatter()
        removed = report.removed.map {
            Removed(name: $0.address.name, sha256: $0.address.sha256, bytes: $0.bytes,
                    added: formatter.string(from: Date(timeIntervalSince1970: Double($0.addedNanoseconds) / 1e9)))
        }
        kept = report.kept
        freedBytes = report.freedBytes
        leftoversCleaned = report.leftovers
        dryRun = report.dryRun
    }

    enum CodingKeys: String, CodingKey {
        case removed, kept
        case freedBytes = "freed_bytes", leftoversCleaned = "leftovers_cleaned", dryRun = "dry_run"
    }
}
