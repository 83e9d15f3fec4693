import Foundation
import SitepackCore
import Testing

/// Loads the test fixtures and the repository's samples by path relative to this file.
enum MesosFixtures {
    static let sha256 = "9b1e5f0c2a7d4e8b6c3f1a0d9e8b7c6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1dc4"
    static let artifact = "http://pack.example:8080/sites/docs/\(sha256)/content.tar.gz"
    /// The digest the sitepack runtime's fixtures give the running binary (injected, so fixtures do not depend on the build).
    static let binarySHA256 = "3f9a1c5e7b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a"
    static let binaryURL = "http://pack.example:8080/bin/\(binarySHA256)/sitepack"

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    /// The sample OFFERS event in samples/offer.json.
    static func sampleOffers() throws -> [Offer] {
        let url = repositoryRoot.appendingPathComponent("samples/offer.json")
        return try OfferDocument.offers(from: Data(contentsOf: url), source: url.path)
    }

    /// The MULTI_ROLE offer from mesos.md §4.1.
    static func multiRoleOffers() throws -> [Offer] {
        try OfferDocument.offers(from: data("offer-multirole.json"), source: "offer-multirole.json")
    }

    static func offers(_ json: String) throws -> [Offer] {
        try OfferDocument.offers(from: Data(json.utf8), source: "test")
    }

    /// A fixture parsed, with `@SITEPACK_VERSION@` replaced by the running version.
    static func expected(_ name: String) throws -> MesosJSON {
        let text = String(decoding: try data(name), as: UTF8.self)
            .replacingOccurrences(of: "@SITEPACK_VERSION@", with: SitepackVersion.current)
        return canonical(try MesosJSON.parse(Data(text.utf8), source: name))
    }

    static func parsed(_ output: String) throws -> MesosJSON {
        canonical(try MesosJSON.parse(Data(output.utf8), source: "output"))
    }

    /// Numbers compared by value: `5`, `5.0` and `5e0` are the same JSON number.
    static func canonical(_ value: MesosJSON) -> MesosJSON {
        switch value {
        case .integer(let number): return .number(Double(number))
        case .array(let elements): return .array(elements.map(canonical))
        case .object(let members): return .object(members.mapValues(canonical))
        default: return value
        }
    }

    /// Catches the SitepackError a call throws (nil if it throws none).
    static func error(_ body: () throws -> Void) -> SitepackError? {
        do {
            try body()
            return nil
        } catch let error as SitepackError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }
}
