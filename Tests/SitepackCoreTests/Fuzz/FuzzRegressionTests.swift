import Foundation
@testable import SitepackCore
import Testing

/// Inputs that crashed (trapped on an overflow) the code the libFuzzer targets in Fuzz/ drive, and one
/// `serve` request found beside them, kept inline as the fixtures: each must now give an error or a sane
/// answer. `make fuzz` runs the targets; docs/development.md ("Fuzzing") says how a new crash becomes a test here.
@Suite("Fuzz regressions: inputs that once trapped")
struct FuzzRegressionTests {
    // MARK: FuzzRecordIO

    @Test("a 19-digit record length under a limit near Int.max is refused, not an overflow")
    func recordLengthOverflow() throws {
        var decoder = RecordIODecoder(maximumRecordSize: .max)
        let error = #expect(throws: SitepackError.self) { try decoder.decode(Array("9999999999999999999\n".utf8)) }
        #expect(error?.code == .recordIO)
        var largest = RecordIODecoder(maximumRecordSize: .max)
        #expect(try largest.decode(Array("9223372036854775807\nab".utf8)).isEmpty)
        #expect(largest.hasPartialRecord)
    }

    // MARK: FuzzServeParsing

    @Test("an HTTP date with a year past 9999 is no date (it overflowed the day count)")
    func hugeYear() {
        #expect(HTTPDate.parse("Sun, 06 Nov 99999999999999999 08:49:37 GMT") == nil)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 9223372036854775807") == nil)
        #expect(HTTPDate.parse("Fri, 31 Dec 9999 23:59:59 GMT") == 253_402_300_799)
        let request = ConditionalOutcome.Request(isGet: true, ifModifiedSince: "Sun, 06 Nov 99999999999999999 08:49:37 GMT")
        #expect(ConditionalOutcome(request: request, etag: "\"e\"", lastModified: 784_111_777, length: 10) == .whole)
    }

    @Test("/sites?name=<a later site>&offset=<Int.max> is an empty page, not an overflow that killed serve")
    func sitesOffsetOverflow() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            #expect(try RawHTTP.request(port: server.port, "/sites").status == 200)
            // The rendered listing (the path that pages a site's slice of the snapshot, which overflowed) is
            // made on the scanner thread; wait for it so that path is the one taken.
            _ = await eventually(timeout: .seconds(10)) { server.catalog.snapshot.listing != nil }
            for name in ["demo", "hello"] {
                for query in ["offset=9223372036854775807", "offset=9223372036854775807&limit=10000", "offset=9223372036854775806&limit=2"] {
                    let response = try RawHTTP.request(port: server.port, "/sites?name=\(name)&\(query)")
                    #expect(response.status == 200)
                    #expect(try SitesListingTests.artifacts(response).isEmpty)
                }
            }
            #expect(try RawHTTP.request(port: server.port, "/sites?name=hello").status == 200)
        }
    }

    // MARK: FuzzMesosJSON

    static func offer(cpus: String, attributes: String = "[]") -> Data {
        Data("""
        {"id":{"value":"o1"},"framework_id":{"value":"f1"},"agent_id":{"value":"a1"},"hostname":"agent",
         "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":\(cpus)}},
                      {"name":"cpus","type":"SCALAR","scalar":{"value":\(cpus)}},
                      {"name":"mem","type":"SCALAR","scalar":{"value":1024}},
                      {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":31005}]}}],
         "attributes":\(attributes)}
        """.utf8)
    }

    @Test("an offer of 1e300 CPUs (twice) is placed, its amount bounded, not an overflowing conversion")
    func hugeScalar() throws {
        let offers = try OfferDocument.offers(from: Self.offer(cpus: "1e300"), source: "offer.json")
        let placement = try OfferMatcher.place(TaskNeeds(cpus: 0.2, mem: 100), in: offers)
        #expect(placement.port == 31000)
        #expect(ScalarQuantity.milli(1e300) == ScalarQuantity.largestMilli)
        #expect(ScalarQuantity.milli(-.infinity) == -ScalarQuantity.largestMilli)
        #expect(ScalarQuantity.milli(.nan) == 0)
        let needs = TaskNeeds(cpus: 1e300, mem: 100)
        #expect(OfferMatcher.fit(needs, offers[0]) != .lacks([]))
    }

    @Test("an attribute of 1e300 is described in a refusal, not an overflowing conversion")
    func hugeAttribute() throws {
        let offers = try OfferDocument.offers(from: Self.offer(cpus: "4", attributes: #"[{"name":"level","type":"SCALAR","scalar":{"value":-1e300}}]"#),
                                              source: "offer.json")
        let needs = TaskNeeds(cpus: 0.2, mem: 100, constraints: [AttributeConstraint(attribute: "level", value: "3")])
        let error = #expect(throws: SitepackError.self) { try OfferMatcher.place(needs, in: offers) }
        #expect(error?.code == .noOfferFits)
        #expect(error?.message.contains("attribute level is -1000000000000") == true)
    }

    @Test("a number written as the string \"nan\" is no number")
    func nanString() {
        let error = #expect(throws: SitepackError.self) { try OfferDocument.offers(from: Self.offer(cpus: #""nan""#), source: "offer.json") }
        #expect(error?.code == .notAnOffer)
        #expect(MesosJSON.string("inf").doubleValue == nil)
        #expect(MesosJSON.string("0.5").doubleValue == 0.5)
    }

    @Test("a FAILURE event with an absurd status has no status, not an overflowing conversion")
    func failureStatus() throws {
        for status in ["1e300", #""nan""#, "2.5"] {
            let event = try SchedulerEvent(record: Data(#"{"type":"FAILURE","failure":{"agent_id":{"value":"a1"},"status":\#(status)}}"#.utf8))
            #expect(event == .failure(agentID: "a1", executorID: nil, status: nil))
        }
        let event = try SchedulerEvent(record: Data(#"{"type":"FAILURE","failure":{"status":9}}"#.utf8))
        #expect(event == .failure(agentID: nil, executorID: nil, status: 9))
    }

    static let offer = Offer(id: "o1", frameworkID: "f1", agentID: "a1", hostname: "agent",
                             resources: [OfferedResource(name: "cpus", type: "SCALAR", scalar: 4)])

    @Test("a Marathon app whose grace period or failure count does not fit is refused with its field named", arguments: [
        (#"{"cmd":"x","taskKillGracePeriodSeconds":1e300}"#, "taskKillGracePeriodSeconds"),
        (#"{"cmd":"x","healthChecks":[{"protocol":"MESOS_HTTP","maxConsecutiveFailures":10000000000000000000}]}"#, "maxConsecutiveFailures"),
    ])
    func marathonOverflow(app: String, field: String) {
        let error = #expect(throws: SitepackError.self) { try TaskDocument(Data(app.utf8), source: "app.json", offer: Self.offer, port: 31000) }
        #expect(error?.code == .invalidInput)
        #expect(error?.message.contains(field) == true)
    }

    @Test("a TaskInfo's kill grace period beyond int64 nanoseconds is the master's refusal, and never traps LocalTask")
    func killGracePeriod() throws {
        let task = try MesosJSON.parse(Data(#"""
            {"name":"t","task_id":{"value":"t1"},"agent_id":{"value":"a1"},"command":{"value":"true","uris":[{"value":"http://127.0.0.1/a.tar.gz"}]},
             "kill_policy":{"grace_period":{"nanoseconds":1e300}},
             "health_check":{"type":"HTTP","http":{"port":31000},"consecutive_failures":"10000000000000000000"}}
            """#.utf8), source: "task.json")
        #expect(MasterValidation.problems(task, offer: Self.offer).contains { $0.field == "kill_policy.grace_period.nanoseconds" })
        let local = try LocalTask(taskInfo: task, frameworkID: "f1")
        #expect(local.killGracePeriod == .seconds(3))
        #expect(local.healthCheck?.consecutiveFailures == Int.max)
    }
}
