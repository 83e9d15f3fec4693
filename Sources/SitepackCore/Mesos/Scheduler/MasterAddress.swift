/// Where a Mesos master's scheduler endpoint is: `POST http://<host>:<port>/api/v1/scheduler` (mesos.md §3.1).
public struct MasterAddress: Sendable, Equatable, CustomStringConvertible {
    /// The host name or IP address.
    public var host: String
    /// The port (5050 by default).
    public var port: Int

    /// The endpoint's path.
    public static let path = "/api/v1/scheduler"
    /// The port masters listen on unless told otherwise.
    public static let defaultPort = 5050

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Reads `--master`: `http://host:port`, `host:port` or `host` (port 5050); a path is ignored, the
    /// endpoint is always `/api/v1/scheduler`.
    public init(parsing text: String) throws {
        var rest = Substring(text)
        if rest.hasPrefix("https://") {
            throw SitepackError(.invalidInput, "--master \(text): launch talks plain http to the master (mesos.md §3.1); give http://HOST:5050, or put a TLS-terminating proxy on this side")
        }
        if rest.hasPrefix("http://") { rest = rest.dropFirst(7) } else if rest.hasPrefix("//") { rest = rest.dropFirst(2) }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        guard let parsed = Self.hostAndPort(rest) else {
            throw SitepackError(.invalidInput, "--master \(text): not a master address; give http://HOST:PORT (e.g. http://master.example:5050)")
        }
        self = parsed
    }

    /// The leading master a 307 names: `Location: //<host>:<port>/api/v1/scheduler`, protocol-relative
    /// (src/master/http.cpp:1771-1796), or an absolute `http://` URL.
    public init?(location: String) {
        guard location.hasPrefix("//") || location.hasPrefix("http://") else { return nil }
        guard let address = try? MasterAddress(parsing: location) else { return nil }
        self = address
    }

    static func hostAndPort(_ text: Substring) -> MasterAddress? {
        guard !text.isEmpty else { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...]
            if after.isEmpty { return MasterAddress(host: host, port: defaultPort) }
            guard after.hasPrefix(":"), let port = Int(after.dropFirst()), (1...65535).contains(port) else { return nil }
            return MasterAddress(host: host, port: port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty, !parts[0].contains(where: { $0 == " " }) else { return nil }
        if parts.count == 1 { return MasterAddress(host: String(parts[0]), port: defaultPort) }
        guard let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
        return MasterAddress(host: String(parts[0]), port: port)
    }

    /// `http://host:port`.
    public var description: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// The endpoint URL.
    public var endpoint: String { description + Self.path }
}
