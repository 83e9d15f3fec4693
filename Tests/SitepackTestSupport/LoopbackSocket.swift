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
}
