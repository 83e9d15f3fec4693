public import Foundation

/// Reads the URIs a Mesos agent would fetch from JSON: a TaskInfo (`command.uris`, or
/// `executor.command.uris`), an ACCEPT call body (every LAUNCH and LAUNCH_GROUP task), or a Marathon
/// app (`fetch[]`, or the legacy `uris[]` strings).
public enum TaskURIs {
    /// Parses `data`; `source` names it in errors.
    public static func parse(_ data: Data, source: String) throws -> [FetchURI] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw SitepackError(.invalidInput, "\(source) is not JSON: \(error.localizedDescription)")
        }
        guard let root = object as? [String: Any] else {
            throw SitepackError(.invalidInput, "\(source): expected a JSON object (a TaskInfo, an ACCEPT call or a Marathon app)")
        }
        var uris: [FetchURI] = []
        if let accept = root["accept"] as? [String: Any] {
            for operation in accept["operations"] as? [[String: Any]] ?? [] {
                if let launch = operation["launch"] as? [String: Any] {
                    for task in launch["task_infos"] as? [[String: Any]] ?? [] { uris += try taskInfo(task, source: source) }
                }
                if let group = operation["launch_group"] as? [String: Any] {
                    if let executor = group["executor"] as? [String: Any] { uris += try command(executor["command"], source: source) }
                    let tasks = (group["task_group"] as? [String: Any])?["tasks"] as? [[String: Any]] ?? []
                    for task in tasks { uris += try taskInfo(task, source: source) }
                }
            }
        } else if let fetch = root["fetch"] as? [[String: Any]] {
            for item in fetch {
                guard let value = item["uri"] as? String else {
                    throw SitepackError(.invalidInput, "\(source): a fetch[] item has no \"uri\"")
                }
                uris.append(FetchURI(value: value, extract: item["extract"] as? Bool ?? true,
                                     executable: item["executable"] as? Bool ?? false,
                                     cache: item["cache"] as? Bool ?? false, outputFile: item["destPath"] as? String))
            }
        } else if let legacy = root["uris"] as? [String], root["cmd"] != nil || root["id"] != nil {
            uris = legacy.map { FetchURI(value: $0) }
        } else if root["command"] != nil || root["executor"] != nil {
            uris = try taskInfo(root, source: source)
        } else {
            throw SitepackError(.invalidInput, "\(source): found no URIs; expected a TaskInfo (command.uris), an ACCEPT call (accept.operations[].launch.task_infos) or a Marathon app (fetch[])")
        }
        return uris
    }

    private static func taskInfo(_ task: [String: Any], source: String) throws -> [FetchURI] {
        if task["command"] != nil { return try command(task["command"], source: source) }
        if let executor = task["executor"] as? [String: Any] { return try command(executor["command"], source: source) }
        return []
    }

    private static func command(_ value: Any?, source: String) throws -> [FetchURI] {
        guard let command = value as? [String: Any] else { return [] }
        return try (command["uris"] as? [[String: Any]] ?? []).map { uri in
            guard let text = uri["value"] as? String else {
                throw SitepackError(.invalidInput, "\(source): a CommandInfo.URI has no \"value\" (it is required)")
            }
            return FetchURI(value: text, extract: uri["extract"] as? Bool ?? true, executable: uri["executable"] as? Bool ?? false,
                            cache: uri["cache"] as? Bool ?? false, outputFile: uri["output_file"] as? String)
        }
    }
}
