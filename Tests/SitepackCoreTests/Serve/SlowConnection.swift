import SitepackTestSupport
import Foundation
@testable import SitepackCore
#if canImport(Glibc)
import Glibc
#endif

/// A keep-alive connection read a step at a time with a small receive window, so a large response stays
/// in flight (the server blocked on the socket) for as long as the test wants.
final class SlowConnection {
    let fd: Int32
    private var buffered: [UInt8] = []

    /// Connects to 127.0.0.1:`port` with `receiveBuffer` bytes of receive buffer (set before connecting,
    /// so the advertised window stays small) and a 20 s receive timeout.
    init(port: Int, receiveBuffer: Int32 = 16 * 1024) throws {
        guard let fd = LoopbackSocket.connect(port: port, receiveBuffer: receiveBuffer) else {
            throw SystemCallError("connect", errno: errno)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw SystemCallError("send", errno: errno) }
            sent += count
        }
    }

    /// Reads up to the end of a response head; the body bytes already received stay buffered.
    func readHead() throws -> RawResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        while true {
            if let end = Self.find(separator, in: buffered) {
                let text = String(decoding: buffered[..<end], as: UTF8.self)
                buffered.removeFirst(end + 4)
                var lines = text.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return RawResponse(status: statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0, headers: headers, body: [])
            }
            guard try receive() > 0 else { throw SitepackError(.io, "the server closed before a response head") }
        }
    }

    /// Reads exactly `count` body bytes (fewer only if the server closes first).
    func readBody(_ count: Int) throws -> [UInt8] {
        while buffered.count < count {
            guard try receive() > 0 else { break }
        }
        let body = Array(buffered.prefix(count))
        buffered.removeFirst(body.count)
        return body
    }

    /// Waits until the server closes the connection (true) or the 20 s receive timeout passes (false).
    func waitForClose() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 || count < 0 && errno == ECONNRESET { return true }
            if count < 0 && errno != EINTR { return false }
        }
    }

    @discardableResult
    private func receive() throws -> Int {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 {
            if errno == ECONNRESET { return 0 }
            throw SystemCallError("recv", errno: errno)
        }
        buffered.append(contentsOf: chunk[0..<count])
        return count
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }
}
