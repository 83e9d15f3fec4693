import Testing
@testable import SitepackCore

@Suite("AccessLog")
struct AccessLogTests {
    @Test("combined-format fields cannot forge lines or break quoting")
    func combinedEscaping() {
        #expect(AccessLogBuffer.escapeQuoted("curl/7.88.1") == "curl/7.88.1")
        #expect(AccessLogBuffer.escapeQuoted("a\"b\\c") == "a\\\"b\\\\c")
        #expect(AccessLogBuffer.escapeQuoted("evil\nGET / 200") == "evil\\x0aGET / 200")
    }

    @Test("JSON fields are valid JSON strings")
    func jsonEscaping() {
        #expect(AccessLogBuffer.json("plain") == "\"plain\"")
        #expect(AccessLogBuffer.json("q\"b\\\n\t\u{1}") == "\"q\\\"b\\\\\\n\\t\\u0001\"")
    }

    @Test("the Prometheus text counts requests by route and status")
    func metricsText() {
        let metrics = ServerMetrics()
        metrics.record(route: .artifact, status: 200, bytes: 100, nanoseconds: 2_000_000)
        metrics.record(route: .artifact, status: 200, bytes: 50, nanoseconds: 1_000)
        metrics.record(route: .file, status: 418, bytes: 0, nanoseconds: 1_000)
        let text = metrics.render()
        #expect(text.contains("sitepack_http_requests_total{route=\"artifact\",status=\"200\"} 2\n"))
        #expect(text.contains("sitepack_http_requests_total{route=\"file\",status=\"other\"} 1\n"))
        #expect(text.contains("sitepack_http_response_bytes_total 150\n"))
        #expect(text.contains("sitepack_http_request_duration_seconds_bucket{le=\"0.0025\"} 3\n"))
        #expect(text.contains("sitepack_http_request_duration_seconds_count 3\n"))
    }
}
