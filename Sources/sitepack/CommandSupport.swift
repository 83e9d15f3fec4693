public import ArgumentParser
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
        write(text, to: .standardError)
    }

    /// Writes a line to standard output.
    static func standardOutput(_ text: String) {
        write(text, to: .standardOutput)
    }

    /// A reader that went away (`sitepack … | head`) is not an error worth a crash: the write is
    /// dropped, as `cat` and `tar` would stop quietly on EPIPE.
    private static func write(_ text: String, to handle: FileHandle) {
        try? handle.write(contentsOf: Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
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

    /// A default value, shown in --help as whole seconds.
    init(seconds: Int64) { value = .seconds(seconds) }

    var defaultValueDescription: String { "\(DurationText.wholeSeconds(value))s" }

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

// Enums of the core, parsed once by argument-parser and listed in --help and shell completion.
extension SiteRuntime: ExpressibleByArgument {}
extension TaskOutputFormat: ExpressibleByArgument {}
extension AccessLogFormat: ExpressibleByArgument {}

/// `--port N` (1-65535) or `--port auto` (the lowest offered port).
enum PortChoice: ExpressibleByArgument, Sendable {
    case auto
    case number(UInt64)

    init?(argument: String) {
        if argument == "auto" {
            self = .auto
        } else if let number = UInt64(argument), (1...65535).contains(number) {
            self = .number(number)
        } else {
            return nil
        }
    }

    /// The port, or nil for auto.
    var value: UInt64? {
        if case .number(let number) = self { return number }
        return nil
    }

    static var defaultCompletionKind: CompletionKind { .list(["auto"]) }
}

/// A `K=V` flag (labels, environment variables).
struct KeyValueArgument: ExpressibleByArgument, Sendable {
    let key: String
    let value: String

    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "=") else { return nil }
        key = String(argument[..<equals])
        value = String(argument[argument.index(after: equals)...])
    }
}

/// An `ATTR:VALUE` agent attribute constraint.
struct ConstraintArgument: ExpressibleByArgument, Sendable {
    let constraint: AttributeConstraint

    init?(argument: String) {
        guard let constraint = try? AttributeConstraint(parsing: argument) else { return nil }
        self.constraint = constraint
    }
}
