import SitepackCore
import Testing

@Suite("AttributeConstraint")
struct AttributeConstraintTests {
    static let attributes = [
        OfferAttribute(name: "rack", value: .text("r2d2")),
        OfferAttribute(name: "pod", value: .text("demo,dev")),
        OfferAttribute(name: "gen", value: .scalar(3)),
        OfferAttribute(name: "slots", value: .ranges([ValueRange(begin: 1, end: 4), ValueRange(begin: 10, end: 12)])),
        OfferAttribute(name: "zones", value: .set(["a", "b"])),
    ]

    static func matches(_ text: String) throws -> Bool {
        try AttributeConstraint(parsing: text).mismatch(in: attributes) == nil
    }

    @Test("TEXT matches the whole text or one comma-separated item")
    func text() throws {
        #expect(try Self.matches("rack:r2d2"))
        #expect(try !Self.matches("rack:r2"))
        #expect(try Self.matches("pod:demo"))
        #expect(try Self.matches("pod:dev"))
        #expect(try Self.matches("pod:demo,dev"))
        #expect(try !Self.matches("pod:prod"))
    }

    @Test("SCALAR, RANGES and SET values match by type")
    func typed() throws {
        #expect(try Self.matches("gen:3"))
        #expect(try Self.matches("gen:3.000"))
        #expect(try !Self.matches("gen:4"))
        #expect(try !Self.matches("gen:three"))
        #expect(try Self.matches("slots:2"))
        #expect(try Self.matches("slots:10-12"))
        #expect(try Self.matches("slots:[1-4]"))
        #expect(try !Self.matches("slots:5"))
        #expect(try !Self.matches("slots:3-11"))
        #expect(try Self.matches("zones:a"))
        #expect(try Self.matches("zones:{a,b}"))
        #expect(try !Self.matches("zones:c"))
    }

    @Test("a missing attribute and a mismatch are explained")
    func explanations() throws {
        #expect(try AttributeConstraint(parsing: "dc:eu").mismatch(in: Self.attributes) == "no attribute dc (wanted dc:eu)")
        #expect(try AttributeConstraint(parsing: "rack:r1").mismatch(in: Self.attributes) == "attribute rack is r2d2, not r1")
        #expect(try AttributeConstraint(parsing: "slots:7").mismatch(in: Self.attributes) == "attribute slots is [1-4, 10-12], not 7")
    }

    @Test("the value is split at the first colon; malformed constraints are refused")
    func parsing() throws {
        let constraint = try AttributeConstraint(parsing: "url:http://x")
        #expect(constraint.attribute == "url")
        #expect(constraint.value == "http://x")
        for bad in ["rack", ":r1", "rack:"] {
            #expect(MesosFixtures.error { _ = try AttributeConstraint(parsing: bad) }?.code == .taskArgumentRefused)
        }
    }
}
