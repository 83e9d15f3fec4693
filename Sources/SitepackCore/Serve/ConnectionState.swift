import NIOCore

/// Where a connection is in its request cycle, shared by ``ConnectionGuard`` and ``HTTPRequestHandler``
/// (both on the connection's event loop). The limits are enforced by ``LoopContext``'s sweep, which runs
/// four times a second and closes connections past their deadline: an idle keep-alive connection gets
/// `idleTimeout`, a request whose first bytes arrived gets `headerTimeout` to finish its headers; a
/// request being answered has no deadline, however slow the download, because the client is reading.
/// One sweep per loop instead of a timer per request keeps the scheduler out of the hot path.
final class ConnectionState {
    enum Phase { case idle, readingHead, readingBody, responding }

    private(set) var phase: Phase = .idle
    /// The file being sent and the offset its body must reach. If the file shrinks under it (truncated
    /// in place — a rename over it is harmless, the open inode stays), sendfile(2) returns 0 forever and
    /// the event loop would spin; the sweep notices and closes the connection.
    var fileInFlight: (handle: NIOFileHandle, end: Int64)?
    private(set) var shuttingDown = false
    /// Uptime nanoseconds after which the sweep closes the connection; `.max` while responding.
    private(set) var deadline: UInt64 = .max
    private let idleTimeout: UInt64
    private let headerTimeout: UInt64
    let channel: any Channel

    init(channel: any Channel, idleTimeout: TimeAmount, headerTimeout: TimeAmount) {
        self.channel = channel
        self.idleTimeout = UInt64(max(0, idleTimeout.nanoseconds))
        self.headerTimeout = UInt64(max(0, headerTimeout.nanoseconds))
    }

    /// Bytes arrived; if the connection was idle a request has started and its header clock runs.
    func bytesArrived() {
        if phase == .readingBody {
            deadline = NIODeadline.now().uptimeNanoseconds &+ idleTimeout
            return
        }
        guard phase == .idle else { return }
        phase = .readingHead
        deadline = NIODeadline.now().uptimeNanoseconds &+ headerTimeout
    }

    /// A complete request head arrived: no deadline while it is answered.
    func requestStarted() {
        phase = .responding
        deadline = .max
    }

    /// An upload's body is being read: each arrival of bytes gives the client `idleTimeout` more, so a
    /// stalled upload is cut off (and its temporary file removed) instead of holding a connection forever.
    func receivingBody() {
        phase = .readingBody
        deadline = NIODeadline.now().uptimeNanoseconds &+ idleTimeout
    }

    /// The response was handed to the kernel; the connection is idle again (or closes if shutting down).
    func responseFinished() {
        phase = .idle
        if shuttingDown {
            channel.close(promise: nil)
        } else {
            deadline = NIODeadline.now().uptimeNanoseconds &+ idleTimeout
        }
    }

    /// The server is draining: idle connections close now, busy ones after their response.
    func beginShutdown() {
        shuttingDown = true
        if phase != .responding { channel.close(promise: nil) }
    }

    /// Starts the idle clock for a new connection.
    func start() { deadline = NIODeadline.now().uptimeNanoseconds &+ idleTimeout }
}
