public import Foundation

/// An `Event` of the v1 scheduler API (scheduler.proto, mesos.md §3.5) read from one RecordIO record.
public enum SchedulerEvent: Sendable, Equatable {
    /// `SUBSCRIBED`: the framework id and the heartbeat interval (15 s on a real master).
    case subscribed(frameworkID: String, heartbeatIntervalSeconds: Double?)
    /// `OFFERS`.
    case offers([Offer])
    /// `RESCIND`: the offer is withdrawn; an ACCEPT naming it now loses its tasks.
    case rescind(offerID: String)
    /// `UPDATE`: a task status.
    case update(TaskStatus)
    /// `FAILURE`: an agent (and with an executor id, an executor) was lost.
    case failure(agentID: String?, executorID: String?, status: Int?)
    /// `ERROR`: the master refuses the framework; the stream ends.
    case error(message: String)
    /// `HEARTBEAT`: the stream is alive.
    case heartbeat
    /// Any other event type (`MESSAGE`, `INVERSE_OFFERS`, `UPDATE_OPERATION_STATUS`, …), ignored.
    case other(type: String)

    /// Parses one record of the SUBSCRIBE stream. A record that is not an event (not JSON, no `type`)
    /// is a ``SitepackError`` (`mesos.not-a-master`): whatever answered is not a Mesos master.
    public init(record: Data) throws {
        let json: MesosJSON
        do {
            json = try MesosJSON.parse(record, source: "the event stream")
        } catch {
            throw SitepackError(.notAMesosMaster, "the SUBSCRIBE stream holds a record that is not JSON: \(error)")
        }
        guard let type = json["type"]?.stringValue else {
            throw SitepackError(.notAMesosMaster, "the SUBSCRIBE stream holds a record without an event type: \(String(decoding: record.prefix(200), as: UTF8.self))")
        }
        try self.init(type: type, json: json)
    }

    init(type: String, json: MesosJSON) throws {
        switch type {
        case "SUBSCRIBED":
            guard let id = json["subscribed"]?["framework_id"]?["value"]?.stringValue else {
                throw SitepackError(.notAMesosMaster, "a SUBSCRIBED event without subscribed.framework_id.value")
            }
            self = .subscribed(frameworkID: id, heartbeatIntervalSeconds: json["subscribed"]?["heartbeat_interval_seconds"]?.doubleValue)
        case "OFFERS":
            let list = json["offers"]?["offers"]?.arrayValue ?? []
            self = .offers(try list.enumerated().map { index, value in
                try OfferDocument.offer(from: OfferJSONReader(value: value, path: "offers.offers[\(index)]", source: "an OFFERS event"))
            })
        case "RESCIND":
            self = .rescind(offerID: json["rescind"]?["offer_id"]?["value"]?.stringValue ?? "")
        case "UPDATE":
            guard let status = json["update"]?["status"].flatMap(TaskStatus.init(json:)) else {
                throw SitepackError(.notAMesosMaster, "an UPDATE event without update.status.task_id and state")
            }
            self = .update(status)
        case "FAILURE":
            let failure = json["failure"]
            self = .failure(agentID: failure?["agent_id"]?["value"]?.stringValue,
                            executorID: failure?["executor_id"]?["value"]?.stringValue,
                            status: failure?["status"]?.doubleValue.flatMap { Int(exactly: $0) })
        case "ERROR":
            // The real shape is {"error":{"message":…}}; the docs' top-level "message" is read too (mesos.md §3.7).
            self = .error(message: json["error"]?["message"]?.stringValue ?? json["message"]?.stringValue ?? "(no message)")
        case "HEARTBEAT":
            self = .heartbeat
        default:
            self = .other(type: type)
        }
    }
}

extension SitepackError.Code {
    /// The address answered, but not as a Mesos master's scheduler endpoint does.
    public static let notAMesosMaster = SitepackError.Code("mesos.not-a-master")
    /// The master refused a call (a 4xx, or an ERROR event).
    public static let masterRefused = SitepackError.Code("mesos.refused")
    /// The master could not be reached in time.
    public static let masterUnreachable = SitepackError.Code("mesos.unreachable")
    /// A launched task failed.
    public static let taskFailed = SitepackError.Code("mesos.task-failed")
}
