import Testing
@testable import SitepackCore

@Suite("Preconditions")
struct PreconditionTests {
    let etag = "\"sha256:abc\""
    let modified: Int64 = 784_111_777  // Sun, 06 Nov 1994 08:49:37 GMT
    let length: Int64 = 1000

    func outcome(_ request: ConditionalOutcome.Request) -> ConditionalOutcome {
        ConditionalOutcome(request: request, etag: etag, lastModified: modified, length: length)
    }

    @Test("HTTP dates: the three forms parse to the same instant, IMF-fixdate formats back")
    func dates() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == modified)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == modified)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == modified)
        #expect(HTTPDate.format(modified) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("yesterday") == nil)
        #expect(HTTPDate.parse("Sun, 32 Nov 1994 08:49:37 GMT") == nil)
    }

    @Test("If-None-Match: exact, weak, list and * give 304; others 200")
    func ifNoneMatch() {
        #expect(outcome(.init(isGet: true, ifNoneMatch: etag)) == .notModified)
        #expect(outcome(.init(isGet: true, ifNoneMatch: "W/\(etag)")) == .notModified)
        #expect(outcome(.init(isGet: true, ifNoneMatch: "\"x\", \(etag)")) == .notModified)
        #expect(outcome(.init(isGet: true, ifNoneMatch: "*")) == .notModified)
        #expect(outcome(.init(isGet: false, ifNoneMatch: etag)) == .notModified)
        #expect(outcome(.init(isGet: true, ifNoneMatch: "\"other\"")) == .whole)
        // If-None-Match takes precedence over If-Modified-Since (RFC 9110 §13.2.2).
        #expect(outcome(.init(isGet: true, ifNoneMatch: "\"other\"", ifModifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT")) == .whole)
    }

    @Test("If-Modified-Since: not newer gives 304, older date or garbage gives 200")
    func ifModifiedSince() {
        #expect(outcome(.init(isGet: true, ifModifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT")) == .notModified)
        #expect(outcome(.init(isGet: true, ifModifiedSince: "Mon, 07 Nov 1994 08:49:37 GMT")) == .notModified)
        #expect(outcome(.init(isGet: true, ifModifiedSince: "Sat, 05 Nov 1994 08:49:37 GMT")) == .whole)
        #expect(outcome(.init(isGet: true, ifModifiedSince: "not a date")) == .whole)
    }

    @Test("If-Match and If-Unmodified-Since give 412 when they fail")
    func preconditionFailed() {
        #expect(outcome(.init(isGet: true, ifMatch: "\"other\"")) == .preconditionFailed)
        #expect(outcome(.init(isGet: true, ifMatch: "W/\(etag)")) == .preconditionFailed)  // strong comparison
        #expect(outcome(.init(isGet: true, ifMatch: etag)) == .whole)
        #expect(outcome(.init(isGet: true, ifMatch: "*")) == .whole)
        #expect(outcome(.init(isGet: true, ifUnmodifiedSince: "Sat, 05 Nov 1994 08:49:37 GMT")) == .preconditionFailed)
        #expect(outcome(.init(isGet: true, ifUnmodifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT")) == .whole)
        // If-Match wins over If-Unmodified-Since.
        #expect(outcome(.init(isGet: true, ifMatch: etag, ifUnmodifiedSince: "Sat, 05 Nov 1994 08:49:37 GMT")) == .whole)
    }

    @Test("If-Range: strong tag or exact date keeps the range, anything else sends the whole")
    func ifRange() {
        let range = "bytes=0-9"
        #expect(outcome(.init(isGet: true, ifRange: etag, range: range)) == .partial(0..<10))
        #expect(outcome(.init(isGet: true, ifRange: "W/\(etag)", range: range)) == .whole)
        #expect(outcome(.init(isGet: true, ifRange: "\"other\"", range: range)) == .whole)
        #expect(outcome(.init(isGet: true, ifRange: "Sun, 06 Nov 1994 08:49:37 GMT", range: range)) == .partial(0..<10))
        #expect(outcome(.init(isGet: true, ifRange: "Mon, 07 Nov 1994 08:49:37 GMT", range: range)) == .whole)
    }

    @Test("HEAD ignores Range; GET honours it")
    func headIgnoresRange() {
        #expect(outcome(.init(isGet: false, range: "bytes=0-9")) == .whole)
        #expect(outcome(.init(isGet: true, range: "bytes=0-9")) == .partial(0..<10))
        #expect(outcome(.init(isGet: true, range: "bytes=5000-")) == .unsatisfiable)
    }
}
