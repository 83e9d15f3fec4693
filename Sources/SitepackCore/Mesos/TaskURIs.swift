public import Foundation

/// Reads the URIs a Mesos agent would fetch from JSON: a TaskInfo (`command.uris`, or
/// `executor.command.uris`), an ACCEPT call body (every LAUNCH and LAUNCH_GROUP task), or a Marathon
/// app (`fetch[]`, or the legacy `uris[]` strings). Decoded with Codable into ``MesosURI``; only the
/// members on the way to the URIs are read, so a partial TaskInfo (no `task_id`, no `agent_id`) works.
public enum TaskURIs {
    /// Parses `data`; `source` names it in errors.
    public static func parse(_ data: Data, source: String) throws -> [MesosURI] {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch let error as DecodingError {
            throw Self.error(error, source: source)
        }
        guard let uris = document.uris else {
            throw SitepackError(.invalidInput, "\(source): found no URIs; expected a TaskInfo (command.uris), an ACCEPT call (accept.operations[].launch.task_infos) or a Marathon app (fetch[])")
        }
        return uris
    }

    /// The decoder's complaint in sitepack's words, naming the member that is missing or mistyped.
    private static func error(_ error: DecodingError, source: String) -> SitepackError {
        let context: DecodingError.Context
        switch error {
        case .dataCorrupted(let corrupted) where corrupted.codingPath.isEmpty:
            // The words JSONSerialization used for text that is not JSON (Cocoa error 3840).
            return SitepackError(.invalidInput, "\(source) is not JSON: \(CocoaError(.propertyListReadCorrupt).localizedDescription)")
        case .typeMismatch(_, let mismatch) where mismatch.codingPath.isEmpty:
            return SitepackError(.invalidInput, "\(source): expected a JSON object (a TaskInfo, an ACCEPT call or a Marathon app)")
        case .keyNotFound(let key, let missing):
            context = DecodingError.Context(codingPath: missing.codingPath + [key], debugDescription: missing.debugDescription)
        case .typeMismatch(_, let other), .valueNotFound(_, let other), .dataCorrupted(let other):
            context = other
        @unknown default:
            return SitepackError(.invalidInput, "\(source): \(error)")
        }
        switch context.codingPath.last?.stringValue {
        case "value":
            return SitepackError(.invalidInput, "\(source): a CommandInfo.URI has no \"value\" (it is required)")
        case "uri":
            return SitepackError(.invalidInput, "\(source): a fetch[] item has no \"uri\"")
        default:
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return SitepackError(.invalidInput, "\(source): \(path.hasPrefix(".") ? String(path.dropFirst()) : path): \(context.debugDescription)")
        }
    }

    /// The root: whichever of the three shapes it is, tried in this order.
    private struct Document: Decodable {
        /// Nil when the root is none of the shapes.
        var uris: [MesosURI]?

        enum CodingKeys: String, CodingKey {
            case accept, fetch, uris, cmd, id, command, executor
        }

        init(from decoder: any Decoder) throws {
            let root = try decoder.container(keyedBy: CodingKeys.self)
            if let accept = try root.decodeIfPresent(Accept.self, forKey: .accept) {
                uris = accept.uris
            } else if let fetch = try root.decodeIfPresent([MarathonApp.Fetch].self, forKey: .fetch) {
                uris = fetch.map(\.mesosURI)
            } else if root.contains(.cmd) || root.contains(.id), let legacy = try root.decodeIfPresent([String].self, forKey: .uris) {
                uris = legacy.map { MesosURI(value: $0) }
            } else if root.contains(.command) || root.contains(.executor) {
                uris = try TaskInfo(from: decoder).uris
            } else {
                uris = nil
            }
        }
    }

    /// `Call.Accept`.
    private struct Accept: Decodable {
        var operations: [Operation]?
        var uris: [MesosURI] { (operations ?? []).flatMap(\.uris) }
    }

    /// `Offer.Operation`: LAUNCH and LAUNCH_GROUP carry tasks.
    private struct Operation: Decodable {
        var launch: Launch?
        var launchGroup: LaunchGroup?

        enum CodingKeys: String, CodingKey {
            case launch
            case launchGroup = "launch_group"
        }

        var uris: [MesosURI] {
            (launch?.taskInfos ?? []).flatMap(\.uris) + (launchGroup?.uris ?? [])
        }
    }

    /// `Offer.Operation.Launch`.
    private struct Launch: Decodable {
        var taskInfos: [TaskInfo]?

        enum CodingKeys: String, CodingKey { case taskInfos = "task_infos" }
    }

    /// `Offer.Operation.LaunchGroup`: the executor's URIs, then each task's.
    private struct LaunchGroup: Decodable {
        var executor: ExecutorInfo?
        var taskGroup: TaskGroup?

        enum CodingKeys: String, CodingKey {
            case executor
            case taskGroup = "task_group"
        }

        var uris: [MesosURI] {
            (executor?.command?.uris ?? []) + (taskGroup?.tasks ?? []).flatMap(\.uris)
        }
    }

    /// `TaskGroupInfo`.
    private struct TaskGroup: Decodable {
        var tasks: [TaskInfo]?
    }

    /// `TaskInfo`: its command's URIs, or its executor's.
    private struct TaskInfo: Decodable {
        var command: CommandInfo?
        var executor: ExecutorInfo?

        var uris: [MesosURI] {
            if let command { return command.uris ?? [] }
            return executor?.command?.uris ?? []
        }
    }

    /// `ExecutorInfo`.
    private struct ExecutorInfo: Decodable {
        var command: CommandInfo?
    }

    /// `CommandInfo`.
    private struct CommandInfo: Decodable {
        var uris: [MesosURI]?
    }
}
