import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// State that belongs to one event loop and is only touched on it: the small-file cache, the
/// rendered `Date` header and the access log buffer. No locks, because no other thread sees it.
final class LoopContext {
    /// The loop this state belongs to (promises for work finished elsewhere are made on it).
    let eventLoop: any EventLoop
    let cache: SmallFileCache
    let accessLog: AccessLogBuffer
    /// Open connections on this loop, for the timeout sweep.
    var connections: [ObjectIdentifier: ConnectionState] = [:]
    private var dateSecond: Int = -1
    private var dateText = ""

    init(eventLoop: any EventLoop, cacheBytes: Int, accessLog: AccessLogFormat) {
        self.eventLoop = eventLoop
        cache = SmallFileCache(limitBytes: cacheBytes)
        self.accessLog = AccessLogBuffer(format: accessLog)
    }

    /// Closes every connection past its idle or header deadline.
    func sweep() {
        let now = NIODeadline.now().uptimeNanoseconds
        for state in connections.values {
            if state.deadline < now {
                state.channel.close(promise: nil)
            } else if let (handle, end) = state.fileInFlight,
                      let size = try? handle.withUnsafeFileDescriptor({ FileIdentity.of(descriptor: $0)?.size }), size < end {
                state.channel.close(promise: nil)
            }
        }
    }

    /// The current `Date` header value, rendered at most once a second.
    var date: String {
        let now = time(nil)
        if now != dateSecond {
            dateSecond = now
            dateText = HTTPDate.format(Int64(now))
        }
        return dateText
    }
}
