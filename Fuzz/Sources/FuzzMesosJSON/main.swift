// Fuzz target (d): the Mesos JSON sitepack reads from others — offers (`task --offer`, and the OFFERS
// events of `launch`'s SUBSCRIBE stream), every other scheduler event, and the TaskInfo / ACCEPT call /
// Marathon app `check --task` reads — and what is done with them next: placing a site task on the
// offers (OfferMatcher, attribute constraints), rendering its TaskInfo and ACCEPT call, and judging a
// TaskInfo as the master would (MasterValidation) before `check` runs it (LocalTask).
//
// The input is the document itself (JSON, or a saved RecordIO stream of events). Nothing may crash and
// every failure must be a SitepackError.
import Foundation
import SitepackCore

/// What a site task asks of an offer, from none of anything to constraints of every attribute type.
private let needsList: [TaskNeeds] = [
    TaskNeeds(cpus: 0.2, mem: 100),
    TaskNeeds(cpus: 0, mem: 0, disk: 0, port: 0),
    TaskNeeds(cpus: 1.5, mem: 4096, disk: 10, port: 31000, constraints: [
        AttributeConstraint(attribute: "rack", value: "r2d2"),
        AttributeConstraint(attribute: "level", value: "3"),
        AttributeConstraint(attribute: "ports", value: "[31000-31005]"),
        AttributeConstraint(attribute: "pod", value: "{a,b}"),
    ]),
]

private let artifact = "http://127.0.0.1:9000/sites/hello-site/\(String(repeating: "ab", count: 32))/content.tar.gz"

/// The offer `check --task` places a Marathon app on when none is given.
private let fixedOffer = Offer(
    id: "offer-1", frameworkID: "framework-1", agentID: "agent-1", hostname: "agent.example",
    resources: [
        OfferedResource(name: "cpus", type: "SCALAR", scalar: 4),
        OfferedResource(name: "mem", type: "SCALAR", scalar: 8192),
        OfferedResource(name: "ports", type: "RANGES", ranges: [ValueRange(begin: 31000, end: 32000)]),
    ])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMesosJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let document = Data(bytes: data, count: size)

    let offers = expectSitepackError("OfferDocument") { try OfferDocument.offers(from: document, source: "fuzz input") }
    if let offers {
        for needs in needsList {
            for offer in offers {
                _ = OfferMatcher.fit(needs, offer)
                for attribute in offer.attributes { _ = attribute.valueDescription }
            }
            _ = expectSitepackError("OfferMatcher.place") { try OfferMatcher.place(needs, in: offers) }
            for runtime in SiteRuntime.allCases {
                let request = SiteTaskRequest(artifact: artifact, needs: needs, runtime: runtime,
                                              binaryURL: runtime == .sitepack ? "http://127.0.0.1:9000/bin/\(String(repeating: "cd", count: 32))/sitepack" : nil,
                                              taskID: "hello-site-fuzz")
                guard let task = expectSitepackError("SiteTask", { try SiteTask(request) }) else { continue }
                for format in TaskOutputFormat.allCases {
                    guard let rendered = expectSitepackError("SiteTask.render", { try task.render(format, offers: offers) }) else { continue }
                    // What sitepack printed, read back as `check --task` would.
                    _ = expectSitepackError("TaskDocument of rendered output") {
                        try TaskDocument(Data(rendered.utf8), source: "rendered", offer: offers[0], port: 31000)
                    }
                }
            }
        }
    }

    _ = expectSitepackError("SchedulerEvent") { try SchedulerEvent(record: document) }

    for offer in [fixedOffer] + (offers ?? []).prefix(2) {
        if let task = expectSitepackError("TaskDocument", { try TaskDocument(document, source: "fuzz input", offer: offer, port: 31000) }) {
            // check --task runs a TaskInfo the master would accept as a LocalTask.
            if MasterValidation.problems(task.taskInfo, offer: offer).isEmpty {
                _ = expectSitepackError("LocalTask") { try LocalTask(taskInfo: task.taskInfo, frameworkID: task.frameworkID ?? "fuzz") }
            }
        }
    }
    if let json = expectSitepackError("MesosJSON.parse", { try MesosJSON.parse(document, source: "fuzz input") }) {
        _ = MasterValidation.problems(json, offer: fixedOffer)
    }
    return 0
}

/// `body`'s value, or nil when it threw a SitepackError; any other error is a crash (the commands
/// print SitepackErrors as clear messages, anything else as an internal error).
private func expectSitepackError<T>(_ what: String, _ body: () throws -> T) -> T? {
    do {
        return try body()
    } catch is SitepackError {
        return nil
    } catch {
        fatalError("\(what) threw something other than a SitepackError: \(error)")
    }
}
