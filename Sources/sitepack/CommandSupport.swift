import ArgumentParser
import Foundation
import SitepackCore

/// Flags every result-printing command shares.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the result as JSON on stdout.")
    var json = false

    @Flag(name: [.short, .long], help: "Show no progress on stderr.")
    var quiet = false
}

/// Writing to the standard streams.
enum FileHandleOutput {
    /// Writes a line to standard error.
    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Writes a line to standard output.
    static func standardOutput(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Writes a JSON value (pretty, sorted keys) to standard output.
    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        standardOutput(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// Runs core work and turns a ``SitepackError`` into its message on stderr and its exit status.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as SitepackError {
        FileHandleOutput.standardError("sitepack: error: \(error)")
        throw ExitCode(error.code.exitStatus)
    }
}

/// A duration flag (`30s`, `500ms`, `2m`, `1h`, `7d`), parsed once by argument-parser.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let value: Duration

    init?(argument: String) {
        guard let value = DurationText.parse(argument) else { return nil }
        self.value = value
    }

    static var defaultCompletionKind: CompletionKind { .list(["30s", "10m", "12h", "7d"]) }
}

/// A `NAME@SHA256` flag naming one stored version.
struct VersionArgument: ExpressibleByArgument, Sendable {
    let address: ArtifactAddress

    init?(argument: String) {
        guard let address = try? ArtifactAddress(parsingPin: argument) else { return nil }
        self.address = address
    }
}
