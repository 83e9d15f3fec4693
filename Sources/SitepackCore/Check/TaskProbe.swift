#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation

/// What the scheduler and its health checker see of a running task: the port opening, the HTTP
/// health check as Mesos's checker runs it (`curl` on 127.0.0.1, 200-399 healthy, redirects followed),
/// and the served files against the manifest.
public struct TaskProbe: Sendable {
    /// The port on 127.0.0.1.
    public var port: UInt64

    /// One HTTP answer.
    public struct Answer: Sendable {
        /// The final status (after redirects).
        public var status: Int
        /// The body.
        public var body: [UInt8]
    }

    /// A probe of `port`.
    public init(port: UInt64) { self.port = port }

    /// Whether something accepts connections on 127.0.0.1:port.
    public func isOpen() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = Self.loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// GET `path` on 127.0.0.1:port (HTTP/1.0), following up to 5 same-host redirects as `curl -L` does.
    public func get(_ path: String, timeout: Double) throws -> Answer {
        var target = path
        for _ in 0..<6 {
            let (status, headers, body) = try fetchOnce(target, timeout: timeout)
            if (300...399).contains(status), let location = headers["location"] {
                if location.hasPrefix("/") {
                    target = location
                    continue
                }
                if let range = location.range(of: "://127.0.0.1:\(port)") ?? location.range(of: "://localhost:\(port)") {
                    let rest = location[range.upperBound...]
                    target = rest.isEmpty ? "/" : String(rest)
                    continue
                }
            }
            return Answer(status: status, body: body)
        }
        throw SitepackError(.checkFailed, "GET \(path): too many redirects")
    }

    private func fetchOnce(_ path: String, timeout: Double) throws -> (Int, [String: String], [UInt8]) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SitepackError(.checkFailed, "cannot open a socket") }
        defer { close(fd) }
        var limit = timeval(seconds: timeout)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = Self.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            throw SitepackError(.checkFailed, "GET http://127.0.0.1:\(port)\(path): \(String(cString: strerror(errno)))")
        }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: sitepack-check\r\nAccept: */*\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw SitepackError(.checkFailed, "GET http://127.0.0.1:\(port)\(path): the connection closed while sending") }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else {
                throw SitepackError(.checkFailed, "GET http://127.0.0.1:\(port)\(path): no complete answer within \(timeout) s")
            }
            response += buffer[0..<n]
            if response.count > 256 * 1024 * 1024 { break }
        }
        guard let end = Self.headerEnd(response) else {
            throw SitepackError(.checkFailed, "GET http://127.0.0.1:\(port)\(path): not an HTTP answer")
        }
        let head = String(decoding: response[..<end], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw SitepackError(.checkFailed, "GET http://127.0.0.1:\(port)\(path): not an HTTP status line: \(lines.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers, Array(response[(end + 4)...]))
    }

    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    private static func loopback(port: UInt64) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// A free TCP port on 127.0.0.1, found by binding port 0.
    public static func freePort() throws -> UInt64 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SitepackError(.checkFailed, "cannot open a socket to find a free port") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard bound, named else { throw SitepackError(.checkFailed, "cannot bind 127.0.0.1:0 to find a free port") }
        return UInt64(UInt16(bigEndian: address.sin_port))
    }

    /// Whether `port` can be bound on this machine right now (nothing listens on it).
    public static func isFree(_ port: UInt64) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        address.sin_addr.s_addr = INADDR_ANY
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    // MARK: - The manifest

    /// Up to `limit` regular files of the manifest under its prefix, deterministic: all when there are
    /// few, else every n-th by path (the index page always included).
    public static func sample(_ manifest: Manifest, limit: Int = 50) -> [Manifest.Entry] {
        let files = manifest.files.filter { $0.type == .file && $0.sha256 != nil }.sorted { $0.path < $1.path }
        guard files.count > limit else { return files }
        let stride = Double(files.count) / Double(limit)
        var picked = (0..<limit).map { files[Int(Double($0) * stride)] }
        if let index = files.first(where: { $0.path == manifest.prefix + "/index.html" }), !picked.contains(index) {
            picked[picked.count - 1] = index
        }
        return picked
    }

    /// The URL path a manifest entry is served at (the runtime serves the prefix folder), percent-encoded.
    public static func urlPath(of entry: Manifest.Entry, prefix: String) -> String {
        var relative = entry.path
        if relative.hasPrefix(prefix + "/") { relative.removeFirst(prefix.count + 1) }
        let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#;"))
        return "/" + relative.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? String($0) }.joined(separator: "/")
    }

    /// Lower-case hex sha256 of bytes.
    public static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).hex }
}
