import Atomics

/// The route a request was answered by, a label in `/metrics`.
public enum ServeRoute: String, Sendable, CaseIterable {
    case file, artifact, latest, sites, healthz, metrics, binary, invalid, publish

    /// Position in `allCases`, without building the array on the hot path.
    var index: Int {
        switch self {
        case .file: 0
        case .artifact: 1
        case .latest: 2
        case .sites: 3
        case .healthz: 4
        case .metrics: 5
        case .binary: 6
        case .invalid: 7
        case .publish: 8
        }
    }
}

/// Counters for `/metrics`, kept in plain atomics so a request costs a few relaxed increments and no lock.
///
/// Rendered as Prometheus text exposition (version 0.0.4): requests by route and status, bytes sent,
/// open and total connections, and a request duration histogram.
public final class ServerMetrics: Sendable {
    private static let statuses: [Int] = [200, 201, 206, 301, 304, 307, 400, 401, 403, 404, 405, 409, 412, 413, 416, 422, 431, 500, 503, 507]
    private static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    private let requests: [ManagedAtomic<Int>]
    private let durationBuckets: [ManagedAtomic<Int>]
    private let durationSumNanoseconds = ManagedAtomic<Int>(0)
    private let durationCount = ManagedAtomic<Int>(0)
    private let bytesSent = ManagedAtomic<Int>(0)
    private let openConnections = ManagedAtomic<Int>(0)
    private let acceptedConnections = ManagedAtomic<Int>(0)
    private let refusedConnections = ManagedAtomic<Int>(0)

    /// Creates zeroed counters.
    public init() {
        requests = (0..<(ServeRoute.allCases.count * (Self.statuses.count + 1))).map { _ in ManagedAtomic(0) }
        durationBuckets = Self.buckets.map { _ in ManagedAtomic(0) }
    }

    /// Counts one finished request.
    func record(route: ServeRoute, status: Int, bytes: Int64, nanoseconds: UInt64) {
        let routeIndex = route.index
        let statusIndex = status == 200 ? 0 : Self.statuses.firstIndex(of: status) ?? Self.statuses.count
        requests[routeIndex * (Self.statuses.count + 1) + statusIndex].wrappingIncrement(ordering: .relaxed)
        bytesSent.wrappingIncrement(by: Int(bytes), ordering: .relaxed)
        durationSumNanoseconds.wrappingIncrement(by: Int(truncatingIfNeeded: nanoseconds), ordering: .relaxed)
        durationCount.wrappingIncrement(ordering: .relaxed)
        let seconds = Double(nanoseconds) / 1e9
        if let bucket = Self.buckets.firstIndex(where: { seconds <= $0 }) {
            durationBuckets[bucket].wrappingIncrement(ordering: .relaxed)
        }
    }

    /// A connection was accepted (`accepted`) or refused at the connection cap.
    func connectionOpened(accepted: Bool) {
        if accepted {
            acceptedConnections.wrappingIncrement(ordering: .relaxed)
            openConnections.wrappingIncrement(ordering: .relaxed)
        } else {
            refusedConnections.wrappingIncrement(ordering: .relaxed)
        }
    }

    /// An accepted connection closed.
    func connectionClosed() { openConnections.wrappingDecrement(ordering: .relaxed) }

    /// Connections open now.
    public var currentConnections: Int { openConnections.load(ordering: .relaxed) }

    /// The Prometheus text exposition of every metric.
    public func render() -> String {
        var out = "# HELP sitepack_http_requests_total HTTP requests answered, by route and status.\n"
        out += "# TYPE sitepack_http_requests_total counter\n"
        for (routeIndex, route) in ServeRoute.allCases.enumerated() {
            for statusIndex in 0...Self.statuses.count {
                let value = requests[routeIndex * (Self.statuses.count + 1) + statusIndex].load(ordering: .relaxed)
                guard value > 0 else { continue }
                let status = statusIndex < Self.statuses.count ? String(Self.statuses[statusIndex]) : "other"
                out += "sitepack_http_requests_total{route=\"\(route.rawValue)\",status=\"\(status)\"} \(value)\n"
            }
        }
        out += "# HELP sitepack_http_response_bytes_total Body bytes sent.\n# TYPE sitepack_http_response_bytes_total counter\n"
        out += "sitepack_http_response_bytes_total \(bytesSent.load(ordering: .relaxed))\n"
        out += "# HELP sitepack_http_open_connections Connections open now.\n# TYPE sitepack_http_open_connections gauge\n"
        out += "sitepack_http_open_connections \(openConnections.load(ordering: .relaxed))\n"
        out += "# HELP sitepack_http_connections_total Connections accepted.\n# TYPE sitepack_http_connections_total counter\n"
        out += "sitepack_http_connections_total \(acceptedConnections.load(ordering: .relaxed))\n"
        out += "# HELP sitepack_http_connections_refused_total Connections closed at the connection cap.\n# TYPE sitepack_http_connections_refused_total counter\n"
        out += "sitepack_http_connections_refused_total \(refusedConnections.load(ordering: .relaxed))\n"
        out += "# HELP sitepack_http_request_duration_seconds Time from request head to the last byte handed to the kernel.\n"
        out += "# TYPE sitepack_http_request_duration_seconds histogram\n"
        var cumulative = 0
        for (index, bound) in Self.buckets.enumerated() {
            cumulative += durationBuckets[index].load(ordering: .relaxed)
            out += "sitepack_http_request_duration_seconds_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        let count = durationCount.load(ordering: .relaxed)
        out += "sitepack_http_request_duration_seconds_bucket{le=\"+Inf\"} \(count)\n"
        out += "sitepack_http_request_duration_seconds_sum \(Double(durationSumNanoseconds.load(ordering: .relaxed)) / 1e9)\n"
        out += "sitepack_http_request_duration_seconds_count \(count)\n"
        return out
    }
}
