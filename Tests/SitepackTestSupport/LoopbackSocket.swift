import Foundation
import Glibc

/// Raw TCP connections to a server under test on 127.0.0.1, for the cases curl cannot make (slow
/// readers, half-closes, malformed requests).
public enum LoopbackSocket {
    /// A connected socket to 127.0.0.1:`port` with a 20 s receive timeout (and `receiveBuffer` bytes of
    /// receive buffer when given); nil with `errno` set when the connection fails. The caller closes it.
    public static func connect(port: Int, receiveBuffer: Int32? = nil) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval()
        timeout.tv_sec = 20
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            errno = code
            return nil
        }
        return fd
    }

    /// Connects to 127.0.0.1:`port`, sends `bytes` (stopping early when the server answers and closes
    /// first), half-closes, and reads until the server closes. `hung` is true when the 20 s receive
    /// timeout ran out instead.
    public static func exchange(port: Int, _ bytes: [UInt8], receiveBuffer: Int32? = nil) throws -> (answer: [UInt8], hung: Bool) {
        guard let fd = connect(port: port, receiveBuffer: receiveBuffer) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED)
        }
        defer { close(fd) }
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { break }
            sent += count
        }
        shutdown(fd, Int32(SHUT_WR))
        return readUntilClosed(fd)
    }

    /// Reads `fd` until the peer closes (`hung` false) or the receive timeout runs out (`hung` true).
    public static func readUntilClosed(_ fd: Int32) -> (answer: [UInt8], hung: Bool) {
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return (answer, false) }
            if count < 0 { return (answer, errno == EAGAIN || errno == EWOULDBLOCK) }
            answer.append(contentsOf: buffer[0..<count])
        }
    }
}
