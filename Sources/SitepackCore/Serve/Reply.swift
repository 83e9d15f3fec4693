import NIOCore
import NIOHTTP1

/// A response ready to write: status, headers and where the body comes from.
struct Reply {
    enum Body {
        case none
        case buffer(ByteBuffer)
        /// A slice of an open file, sent with sendfile(2); the writer closes the handle when done if `owned`.
        case file(NIOFileHandle, Range<Int64>, owned: Bool)
    }

    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: Body
    var route: ServeRoute
    /// Body bytes this reply sends.
    var bodyLength: Int64 {
        switch body {
        case .none: 0
        case .buffer(let buffer): Int64(buffer.readableBytes)
        case .file(_, let range, _): range.upperBound - range.lowerBound
        }
    }
}

/// What ``Responder`` makes of a request: a reply now, or — for a store version published a moment ago
/// that the catalog has not verified yet — a wait for the scan that will. The connection's handler then
/// pauses reading (as while a file is in flight) and asks again with the ``CatalogWait`` outcome.
enum Answer {
    case reply(Reply)
    /// Completed on the connection's event loop when a catalog scan that started after the request finished.
    case afterScan(EventLoopFuture<Void>)
}

/// How a wait for the catalog ended, when a request is asked a second time.
enum CatalogWait {
    /// A scan that started after the request finished: answer from its state.
    case scanned
    /// The scan took longer than ``ServeConfiguration/publishedVersionWait``.
    case timedOut
}
