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
