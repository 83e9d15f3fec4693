public import Foundation

/// Reads offers from the JSON shapes users have at hand:
/// - a single `Offer`;
/// - an `OFFERS` event as the master streams it: `{"type":"OFFERS","offers":{"offers":[…]}}`;
/// - the tutorial's `{"offers": […]}`;
/// - a JSON list of offers;
/// - the raw RecordIO event stream (`<length>\n<event>…`, mesos.md §3.3) as saved from
///   `/api/v1/scheduler`: the offers of every OFFERS event in it, other events skipped.
///
/// Field names are mesos.proto's snake_case names (stout's JSON mapping, mesos.md §3.2). A JSON
/// object that is not an offer is refused with the path of the first required field it lacks.
public enum OfferDocument {
    /// Parses `data` (from `source`, a path or `stdin`, used in messages) into its offers, in order.
    public static func offers(from data: Data, source: String) throws -> [Offer] {
        if let records = RecordIOSplitter.records(in: data) {
            return try offers(fromStream: records, source: source)
        }
        let json = try MesosJSON.parse(data, source: source)
        return try offers(from: json, source: source)
    }

    /// The offers of every OFFERS event in a RecordIO stream, in order.
    static func offers(fromStream records: [Data], source: String) throws -> [Offer] {
        var found: [Offer] = []
        for (index, record) in records.enumerated() {
            let event = try MesosJSON.parse(record, source: "\(source) record \(index + 1)")
            guard event["type"]?.stringValue == "OFFERS" else { continue }
            found += try offers(from: event, source: "\(source) record \(index + 1)")
        }
        guard !found.isEmpty else {
            throw SitepackError(.notAnOffer, "\(source): the event stream (\(records.count) records) holds no OFFERS event")
        }
        return found
    }

    /// Finds the offers in an already parsed document.
    public static func offers(from json: MesosJSON, source: String) throws -> [Offer] {
        let list: [OfferJSONReader]
        switch json {
        case .array(let elements):
            list = elements.enumerated().map { OfferJSONReader(value: $1, path: "[\($0)]", source: source) }
        case .object(let members):
            if let type = members["type"]?.stringValue {
                guard type == "OFFERS" else {
                    throw SitepackError(.notAnOffer, "\(source): this is a \(type) event, not an OFFERS event or an offer")
                }
                let event = OfferJSONReader(value: json, path: "", source: source)
                list = try event.required("offers").required("offers").elements()
            } else if let offers = members["offers"] {
                let reader = OfferJSONReader(value: offers, path: "offers", source: source)
                if offers.arrayValue != nil {
                    list = try reader.elements()
                } else {
                    list = try reader.required("offers").elements()
                }
            } else {
                list = [OfferJSONReader(value: json, path: "", source: source)]
            }
        default:
            throw SitepackError(.notAnOffer, "\(source): expected an offer (a JSON object) or a list of offers, found \(OfferJSONReader.kind(of: json))")
        }
        guard !list.isEmpty else {
            throw SitepackError(.notAnOffer, "\(source): holds no offers")
        }
        return try list.map(offer(from:))
    }

    static func offer(from reader: OfferJSONReader) throws -> Offer {
        _ = try reader.object()
        let resources = try reader.optional("resources")?.elements() ?? []
        let attributes = try reader.optional("attributes")?.elements() ?? []
        return Offer(
            id: try reader.required("id").idValue(),
            frameworkID: try reader.required("framework_id").idValue(),
            agentID: try reader.required("agent_id").idValue(),
            hostname: try reader.required("hostname").string(),
            allocationRole: try reader.optional("allocation_info")?.optional("role")?.string(),
            resources: try resources.map(resource(from:)),
            attributes: try attributes.map(attribute(from:))
        )
    }

    static func resource(from reader: OfferJSONReader) throws -> OfferedResource {
        var metadata = try reader.object()
        let name = try reader.required("name").string()
        let type = try reader.required("type").string()
        for key in ["name", "type", "scalar", "ranges", "set", "text"] {
            metadata[key] = nil
        }
        var resource = OfferedResource(name: name, type: type, metadata: metadata)
        switch type {
        case "SCALAR": resource.scalar = try reader.required("scalar").required("value").number()
        case "RANGES": resource.ranges = try ranges(from: reader.required("ranges"))
        case "SET": resource.set = try reader.required("set").optional("item")?.elements().map { try $0.string() } ?? []
        case "TEXT": break
        default: throw reader.invalid("type", "is \"\(type)\", not SCALAR, RANGES, SET or TEXT")
        }
        return resource
    }

    static func attribute(from reader: OfferJSONReader) throws -> OfferAttribute {
        _ = try reader.object()
        let name = try reader.required("name").string()
        let type = try reader.required("type").string()
        switch type {
        case "SCALAR": return OfferAttribute(name: name, value: .scalar(try reader.required("scalar").required("value").number()))
        case "RANGES": return OfferAttribute(name: name, value: .ranges(try ranges(from: reader.required("ranges"))))
        case "SET": return OfferAttribute(name: name, value: .set(try reader.required("set").optional("item")?.elements().map { try $0.string() } ?? []))
        case "TEXT": return OfferAttribute(name: name, value: .text(try reader.required("text").required("value").string()))
        default: throw reader.invalid("type", "is \"\(type)\", not SCALAR, RANGES, SET or TEXT")
        }
    }

    static func ranges(from reader: OfferJSONReader) throws -> [ValueRange] {
        try (reader.optional("range")?.elements() ?? []).map { range in
            let begin = try range.required("begin").unsigned()
            let end = try range.required("end").unsigned()
            guard begin <= end else { throw range.invalid("end", "\(end) is below begin \(begin)") }
            return ValueRange(begin: begin, end: end)
        }
    }
}

/// Walks a ``MesosJSON`` with the path so far, so a missing or mistyped field is reported
/// as `offers[0].agent_id.value` rather than "data corrupted".
struct OfferJSONReader {
    var value: MesosJSON
    var path: String
    var source: String

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func object() throws -> [String: MesosJSON] {
        guard let members = value.objectValue else {
            throw SitepackError(.notAnOffer, "\(source): \(path.isEmpty ? "the document" : path) should be a JSON object, found \(Self.kind(of: value))")
        }
        return members
    }

    /// A member that mesos.proto marks `required`; absent or null is refused.
    func required(_ key: String) throws -> OfferJSONReader {
        let members = try object()
        guard let member = members[key], member != .null else {
            throw SitepackError(.notAnOffer, "\(source): not an offer: required field `\(child(key))` is missing")
        }
        return OfferJSONReader(value: member, path: child(key), source: source)
    }

    /// An optional member; null counts as absent, as in stout's parser.
    func optional(_ key: String) throws -> OfferJSONReader? {
        let members = try object()
        guard let member = members[key], member != .null else { return nil }
        return OfferJSONReader(value: member, path: child(key), source: source)
    }

    func elements() throws -> [OfferJSONReader] {
        guard let elements = value.arrayValue else {
            throw SitepackError(.notAnOffer, "\(source): \(path) should be a JSON array, found \(Self.kind(of: value))")
        }
        return elements.enumerated().map { OfferJSONReader(value: $1, path: "\(path)[\($0)]", source: source) }
    }

    func string() throws -> String {
        guard let text = value.stringValue else {
            throw SitepackError(.notAnOffer, "\(source): \(path) should be a string, found \(Self.kind(of: value))")
        }
        return text
    }

    /// The `value` of an ID message (`{"value": "…"}`).
    func idValue() throws -> String { try required("value").string() }

    func number() throws -> Double {
        guard let number = value.doubleValue else {
            throw SitepackError(.notAnOffer, "\(source): \(path) should be a number, found \(Self.kind(of: value))")
        }
        return number
    }

    func unsigned() throws -> UInt64 {
        guard let number = value.unsignedValue else {
            throw SitepackError(.notAnOffer, "\(source): \(path) should be a non-negative integer, found \(Self.kind(of: value))")
        }
        return number
    }

    func invalid(_ key: String, _ problem: String) -> SitepackError {
        SitepackError(.notAnOffer, "\(source): \(child(key)) \(problem)")
    }

    static func kind(of value: MesosJSON) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
