import Foundation
import SitepackCore
import Testing

@Suite("OfferMatcher")
struct OfferMatcherTests {
    static func offer(id: String = "o1", resources: String, attributes: String = "[]", allocation: String = "") -> String {
        #"{"id":{"value":"\#(id)"},"framework_id":{"value":"f"},"agent_id":{"value":"a-\#(id)"},"hostname":"h-\#(id)",\#(allocation)"resources":\#(resources),"attributes":\#(attributes)}"#
    }

    static let basics = #"{"name":"cpus","type":"SCALAR","scalar":{"value":1},"role":"*"},{"name":"mem","type":"SCALAR","scalar":{"value":512},"role":"*"}"#

    static func placement(_ needs: TaskNeeds, _ json: String) throws -> Placement {
        try OfferMatcher.place(needs, in: MesosFixtures.offers(json))
    }

    @Test("the lowest port is taken across several ranges and several ports resources, whatever their order")
    func lowestPortAcrossRanges() throws {
        let json = Self.offer(resources: "[\(Self.basics),"
            + #"{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31200,"end":32000},{"begin":31050,"end":31099}]},"role":"*"},"#
            + #"{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31010,"end":31020}]},"role":"web"}]"#)
        let placement = try Self.placement(TaskNeeds(cpus: 0.2, mem: 100), json)
        #expect(placement.port == 31010)
        let ports = try #require(placement.resources.last)
        #expect(ports["name"] == .string("ports"))
        #expect(ports["role"] == .string("web"))
        #expect(ports["ranges"] == .object(["range": .array([.object(["begin": .integer(31010), "end": .integer(31010)])])]))
    }

    @Test("an explicit --port inside the second range is taken from that range")
    func explicitPortInSecondRange() throws {
        let offer = try #require(try MesosFixtures.multiRoleOffers().first)
        let placement = try OfferMatcher.place(TaskNeeds(cpus: 0.1, mem: 64, port: 31500), in: [offer])
        #expect(placement.port == 31500)
        #expect(placement.resources.last?["ranges"]?["range"]?.arrayValue?.first?["begin"] == .integer(31500))
    }

    @Test("an explicit --port outside the offered ranges is refused with the ranges listed")
    func explicitPortOutside() throws {
        let offers = try MesosFixtures.multiRoleOffers()
        let error = MesosFixtures.error { _ = try OfferMatcher.place(TaskNeeds(cpus: 0.1, mem: 64, port: 31150), in: offers) }
        #expect(error?.code == .noOfferFits)
        #expect(error?.taskExitIsFailure == true)
        #expect(error?.message.contains("port 31150 is not offered (offered ports: [31000-31099, 31200-32000])") == true)
        #expect(error?.message.contains("offer 5c1a…-O42") == true)
    }

    @Test("MULTI_ROLE: every carved resource keeps role and allocation_info")
    func multiRole() throws {
        let offer = try #require(try MesosFixtures.multiRoleOffers().first)
        let placement = try OfferMatcher.place(TaskNeeds(cpus: 0.2, mem: 100, disk: 10), in: [offer])
        #expect(placement.port == 31000)
        #expect(placement.resources.map { $0["name"] } == ["cpus", "mem", "disk", "ports"].map(MesosJSON.string))
        for resource in placement.resources {
            #expect(resource["allocation_info"] == .object(["role": .string("web")]))
            #expect(resource["role"] == .string("*"))
        }
        #expect(placement.resources[0]["scalar"] == .object(["value": .number(0.2)]))
        #expect(placement.resources[2]["scalar"] == .object(["value": .integer(10)]))
    }

    @Test("reservations are copied, and a scalar is split across reserved and unreserved resources")
    func reservationsAndSplit() throws {
        let reserved = #"{"name":"cpus","type":"SCALAR","scalar":{"value":0.1},"reservations":[{"type":"DYNAMIC","role":"web","principal":"ops","labels":{"labels":[{"key":"k","value":"v"}]}}],"allocation_info":{"role":"web"}}"#
        let unreserved = #"{"name":"cpus","type":"SCALAR","scalar":{"value":4},"allocation_info":{"role":"web"}}"#
        let rest = #"{"name":"mem","type":"SCALAR","scalar":{"value":512},"allocation_info":{"role":"web"}},{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":1,"end":5}]},"allocation_info":{"role":"web"}}"#
        let json = Self.offer(resources: "[\(reserved),\(unreserved),\(rest)]", allocation: #""allocation_info":{"role":"web"},"#)
        let placement = try Self.placement(TaskNeeds(cpus: 0.3, mem: 100), json)
        let cpus = placement.resources.filter { $0["name"] == .string("cpus") }
        #expect(cpus.count == 2)
        #expect(cpus[0]["scalar"] == .object(["value": .number(0.1)]))
        #expect(cpus[0]["reservations"]?.arrayValue?.first?["principal"] == .string("ops"))
        #expect(cpus[0]["reservations"]?.arrayValue?.first?["labels"]?["labels"]?.arrayValue?.count == 1)
        #expect(cpus[1]["scalar"] == .object(["value": .number(0.2)]))
        #expect(cpus[1]["reservations"] == nil)
        #expect(placement.port == 1)
    }

    @Test("revocable, shared and disk-info resources are not carved")
    func notCarvable() throws {
        let json = Self.offer(resources: #"[{"name":"cpus","type":"SCALAR","scalar":{"value":8},"revocable":{}},{"name":"mem","type":"SCALAR","scalar":{"value":512}},{"name":"disk","type":"SCALAR","scalar":{"value":900},"disk":{"persistence":{"id":"p"},"volume":{"container_path":"d","mode":"RW"}}},{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":100,"end":100}]},"shared":{}}]"#)
        let fit = OfferMatcher.fit(TaskNeeds(cpus: 0.1, mem: 10, disk: 1), try #require(try MesosFixtures.offers(json).first))
        #expect(fit == .lacks(["cpus: 0.1 needed, none offered", "disk: 1 needed, none offered", "ports: no ports offered"]))
    }

    @Test("the first offer that fits is chosen; when none fits each offer is listed with what it lacks")
    func firstFitAndReport() throws {
        let small = Self.offer(id: "small", resources: #"[{"name":"cpus","type":"SCALAR","scalar":{"value":0.1}},{"name":"mem","type":"SCALAR","scalar":{"value":64}}]"#,
                               attributes: #"[{"name":"rack","type":"TEXT","text":{"value":"r1"}}]"#)
        let wrongRack = Self.offer(id: "wrong", resources: "[\(Self.basics),{\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":9000,\"end\":9001}]}}]",
                                   attributes: #"[{"name":"rack","type":"TEXT","text":{"value":"r1"}}]"#)
        let good = Self.offer(id: "good", resources: "[\(Self.basics),{\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":9100,\"end\":9101}]}}]",
                              attributes: #"[{"name":"rack","type":"TEXT","text":{"value":"r2d2"}}]"#)
        let needs = TaskNeeds(cpus: 0.2, mem: 100, constraints: [AttributeConstraint(attribute: "rack", value: "r2d2")])
        let placement = try Self.placement(needs, "[\(small),\(wrongRack),\(good),\(good)]")
        #expect(placement.offer.id == "good")
        #expect(placement.port == 9100)

        let error = MesosFixtures.error { _ = try Self.placement(needs, "[\(small),\(wrongRack)]") }
        let message = try #require(error?.message)
        #expect(error?.code == .noOfferFits)
        #expect(message.hasPrefix("none of the 2 offers fits the task (cpus 0.2, mem 100, 1 port, rack:r2d2):"))
        #expect(message.contains("offer small (agent h-small): cpus: 0.2 needed, 0.1 offered; mem: 100 needed, 64 offered; ports: no ports offered; attribute rack is r1, not r2d2"))
        #expect(message.contains("offer wrong (agent h-wrong): attribute rack is r1, not r2d2"))
    }

    @Test("the sample offer fits the defaults and takes port 9000")
    func sampleOfferFits() throws {
        let placement = try OfferMatcher.place(TaskNeeds(cpus: 0.2, mem: 100), in: MesosFixtures.sampleOffers())
        #expect(placement.port == 9000)
        #expect(placement.resources.count == 3)
    }

    @Test("scalar arithmetic uses Mesos's three-decimal fixed point")
    func fixedPoint() {
        #expect(ScalarQuantity.milli(0.1) + ScalarQuantity.milli(0.2) == ScalarQuantity.milli(0.3))
        #expect(ScalarQuantity.text(milli: 200) == "0.2")
        #expect(ScalarQuantity.text(milli: 100_000) == "100")
        #expect(ScalarQuantity.text(milli: 1_050) == "1.05")
        #expect(ScalarQuantity.milli(0.0004) == 0)
    }
}

extension SitepackError {
    var taskExitIsFailure: Bool { code.exitStatus == SitepackError.ExitStatus.failure }
}
