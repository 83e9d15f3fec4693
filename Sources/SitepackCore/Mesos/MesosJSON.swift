public import Foundation

/// Any JSON value, kept exactly enough to copy parts of an offer (roles, reservations,
/// allocation info) into the JSON sitepack prints.
///
/// Integers and fractional numbers are kept apart so a `uint64` range bound or a
/// nanosecond count is written back as the same integer, never as `5e+09`.
public enum MesosJSON: Sendable, Hashable, Codable {
    /// `null` (stout reads it as "unset").
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number without a fraction or exponent that fits in 64 bits.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([MesosJSON])
    /// An object; member order is not kept (output sorts keys).
    case object([String: MesosJSON])

    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([MesosJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: MesosJSON].self))
        }
    }

    /// Encodes the value as it was read.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The members of an object, or nil for any other value.
    public var objectValue: [String: MesosJSON]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements of an array, or nil for any other value.
    public var arrayValue: [MesosJSON]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The text of a string, or nil for any other value.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// A number as a Double (Mesos also accepts numbers written as JSON strings, §3.2); nil for
    /// `"nan"`, `"inf"` and other strings that are no finite number.
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value): return value.isFinite ? value : nil
        case .string(let text): return Double(text).flatMap { $0.isFinite ? $0 : nil }
        default: return nil
        }
    }

    /// A non-negative integer (a range bound or a port), also from a JSON string.
    public var unsignedValue: UInt64? {
        switch self {
        case .integer(let value): return value >= 0 ? UInt64(value) : nil
        case .number(let value): return value >= 0 && value == value.rounded() && value < 1.8e19 ? UInt64(value) : nil
        case .string(let text): return UInt64(text)
        default: return nil
        }
    }

    /// Looks up a member of an object.
    public subscript(key: String) -> MesosJSON? {
        objectValue?[key]
    }

    /// Parses JSON text. A syntax error becomes a ``SitepackError`` naming `source` and the
    /// line and column where the parser stopped, with the parser's own message.
    public static func parse(_ data: Data, source: String) throws -> MesosJSON {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let description = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            let location = MesosJSONLocation(of: data, parserMessage: description)
            throw SitepackError(
                .malformedJSON,
                "\(source): malformed JSON at line \(location.line), column \(location.column): \(description)"
            )
        }
        do {
            return try JSONDecoder().decode(MesosJSON.self, from: data)
        } catch {
            throw SitepackError(.malformedJSON, "\(source): cannot read the JSON: \(error)")
        }
    }

    /// Writes Mesos/Marathon JSON the way sitepack prints it: pretty, keys sorted, slashes unescaped,
    /// so the same input always gives the same bytes.
    public static func encodePretty<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// A 1-based line and column in JSON text, found from the offset in a parser message
/// ("… around character 25.") or, when the message has none, at the end of the text.
struct MesosJSONLocation: Equatable {
    var line: Int
    var column: Int

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// Locates the byte offset that `parserMessage` names (Foundation counts from 0), or the end
    /// of `data` for messages such as "Unexpected end of file".
    init(of data: Data, parserMessage: String) {
        let offset = Self.offset(in: parserMessage).map { min($0, data.count) } ?? data.count
        self.init(offset: offset, in: data)
    }

    /// The line and column of a byte offset; columns count characters, not bytes.
    init(offset: Int, in data: Data) {
        var line = 1
        var lineStart = 0
        var index = 0
        for byte in data.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }
        let lineBytes = data[data.startIndex + lineStart ..< data.startIndex + offset]
        // Count UTF-8 lead bytes, so a multi-byte character is one column.
        let column = lineBytes.reduce(0) { count, byte in (byte & 0xC0) == 0x80 ? count : count + 1 } + 1
        self.init(line: line, column: column)
    }

    /// The number after "character " in a Foundation JSON error description.
    static func offset(in message: String) -> Int? {
        guard let range = message.range(of: "character ") else { return nil }
        let digits = message[range.upperBound...].prefix(while: { $0.isNumber })
        return Int(digits)
    }
}
