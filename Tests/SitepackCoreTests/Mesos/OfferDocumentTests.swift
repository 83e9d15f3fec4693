import Foundation
import SitepackCore
import Testing

@Suite("OfferDocument")
struct OfferDocumentTests {
    static let offerJSON = """
        {"id":{"value":"m-O1"},"framework_id":{"value":"m-0001"},"agent_id":{"value":"m-S1"},"hostname":"a1",
         "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1},"role":"*"}]}
        """

    @Test("samples/offer.json is an OFFERS event with the tutorial agent's values")
    func sampleOffer() throws {
        let offers = try MesosFixtures.sampleOffers()
        #expect(offers.count == 1)
        let offer = try #require(offers.first)
        #expect(offer.id == "474970d2-1b5e-40f9-82a2-135c71cd1448-O0")
        #expect(offer.frameworkID == "474970d2-1b5e-40f9-82a2-135c71cd1448-0000")
        #expect(offer.agentID == "474970d2-1b5e-40f9-82a2-135c71cd1448-S0")
        #expect(offer.allocationRole == nil)
        let byName = Dictionary(uniqueKeysWithValues: offer.resources.map { ($0.name, $0) })
        #expect(byName["cpus"]?.scalar == 2)
        #expect(byName["mem"]?.scalar == 496)
        #expect(byName["disk"]?.scalar == 4930)
        #expect(byName["ports"]?.ranges == [ValueRange(begin: 9000, end: 10000)])
        #expect(offer.resources.allSatisfy { $0.metadata["role"] == .string("*") })
        #expect(offer.attributes == [
            OfferAttribute(name: "rack", value: .text("r2d2")),
            OfferAttribute(name: "pod", value: .text("demo,dev")),
        ])
    }

    @Test("the MULTI_ROLE offer of mesos.md §4.1 keeps allocation_info on the offer and every resource")
    func multiRoleOffer() throws {
        let offer = try #require(try MesosFixtures.multiRoleOffers().first)
        #expect(offer.id == "5c1a…-O42")
        #expect(offer.hostname == "agent3.example")
        #expect(offer.allocationRole == "web")
        #expect(offer.resources.count == 4)
        #expect(offer.resources.allSatisfy { $0.metadata["allocation_info"] == .object(["role": .string("web")]) })
        #expect(offer.resources.last?.ranges == [ValueRange(begin: 31000, end: 31099), ValueRange(begin: 31200, end: 32000)])
        #expect(offer.attributes == [OfferAttribute(name: "rack", value: .text("r1"))])
    }

    @Test("a single offer, the tutorial's {offers:[…]}, an OFFERS event and a list all decode")
    func shapes() throws {
        let single = try MesosFixtures.offers(Self.offerJSON)
        let tutorial = try MesosFixtures.offers(#"{"offers": [\#(Self.offerJSON), \#(Self.offerJSON)]}"#)
        let event = try MesosFixtures.offers(#"{"type":"OFFERS","offers":{"offers":[\#(Self.offerJSON)]}}"#)
        let list = try MesosFixtures.offers("[\(Self.offerJSON)]")
        #expect(single.map(\.id) == ["m-O1"])
        #expect(tutorial.map(\.id) == ["m-O1", "m-O1"])
        #expect(event == single)
        #expect(list == single)
        #expect(single.first?.resources.first?.scalar == 1)
    }

    @Test("a saved RecordIO event stream yields the offers of its OFFERS events")
    func recordIOStream() throws {
        func record(_ json: String) -> String { "\(json.utf8.count)\n\(json)" }
        let subscribed = #"{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"m-0001"},"heartbeat_interval_seconds":15}}"#
        let offers = #"{"type":"OFFERS","offers":{"offers":[\#(Self.offerJSON)]}}"#
        let stream = record(subscribed) + record(#"{"type":"HEARTBEAT"}"#) + record(offers) + record(offers) + "\n"
        let decoded = try MesosFixtures.offers(stream)
        #expect(decoded.map(\.id) == ["m-O1", "m-O1"])
        let noOffers = MesosFixtures.error { _ = try MesosFixtures.offers(record(subscribed)) }
        #expect(noOffers?.message.contains("holds no OFFERS event") == true)
        let broken = MesosFixtures.error { _ = try MesosFixtures.offers(record(#"{"type":"HEARTBEAT"}"#) + "5\n{,}xx") }
        #expect(broken?.code == .malformedJSON)
        #expect(broken?.message.contains("record 2") == true)
    }

    @Test("malformed JSON is reported with the parser's message, line and column")
    func malformed() {
        let text = "{\n  \"offers\": [\n    {\"id\": {\"value\": \"x\"},, }\n  ]\n}\n"
        let error = MesosFixtures.error { _ = try MesosFixtures.offers(text) }
        #expect(error?.code == .malformedJSON)
        #expect(error?.message.contains("line 3, column 27") == true)
        #expect(error?.message.contains("Invalid value") == true)
    }

    @Test("truncated JSON points at the end of the text")
    func truncated() {
        let error = MesosFixtures.error { _ = try MesosFixtures.offers("[\n {\"id\": 1") }
        #expect(error?.code == .malformedJSON)
        #expect(error?.message.contains("line 2, column 10") == true)
    }

    @Test("an object that is not an offer names the first missing required field with its path")
    func notAnOffer() {
        let missingAgent = MesosFixtures.error {
            _ = try MesosFixtures.offers(#"{"offers":[{"id":{"value":"o"},"framework_id":{"value":"f"},"hostname":"h"}]}"#)
        }
        #expect(missingAgent?.code == .notAnOffer)
        #expect(missingAgent?.message.contains("`offers[0].agent_id`") == true)

        let missingValue = MesosFixtures.error {
            _ = try MesosFixtures.offers(#"{"id":{},"framework_id":{"value":"f"},"agent_id":{"value":"a"},"hostname":"h"}"#)
        }
        #expect(missingValue?.message.contains("`id.value`") == true)

        let resourceType = MesosFixtures.error {
            _ = try MesosFixtures.offers(#"{"id":{"value":"o"},"framework_id":{"value":"f"},"agent_id":{"value":"a"},"hostname":"h","resources":[{"name":"cpus","scalar":{"value":1}}]}"#)
        }
        #expect(resourceType?.message.contains("`resources[0].type`") == true)

        let unrelated = MesosFixtures.error { _ = try MesosFixtures.offers(#"{"hello": "world"}"#) }
        #expect(unrelated?.code == .notAnOffer)
        #expect(unrelated?.message.contains("`id`") == true)
    }

    @Test("other events, scalars and empty lists are refused")
    func otherShapes() {
        #expect(MesosFixtures.error { _ = try MesosFixtures.offers(#"{"type":"SUBSCRIBED","subscribed":{}}"#) }?.message.contains("SUBSCRIBED event") == true)
        #expect(MesosFixtures.error { _ = try MesosFixtures.offers("42") }?.code == .notAnOffer)
        #expect(MesosFixtures.error { _ = try MesosFixtures.offers("[]") }?.message.contains("holds no offers") == true)
        #expect(MesosFixtures.error { _ = try MesosFixtures.offers(#"{"offers": "nope"}"#) }?.code == .notAnOffer)
    }

    @Test("a range whose end is below its begin is refused")
    func badRange() {
        let json = #"{"id":{"value":"o"},"framework_id":{"value":"f"},"agent_id":{"value":"a"},"hostname":"h","resources":[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":10,"end":5}]}}]}"#
        #expect(MesosFixtures.error { _ = try MesosFixtures.offers(json) }?.message.contains("below begin") == true)
    }
}
