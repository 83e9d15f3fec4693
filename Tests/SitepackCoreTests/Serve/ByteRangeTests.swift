import Testing
@testable import SitepackCore

@Suite("ByteRange")
struct ByteRangeTests {
    @Test("single ranges, RFC 9110 §14.1.2", arguments: [
        ("bytes=0-99", ByteRangeRequest.partial(0..<100)),
        ("bytes=100-", .partial(100..<1000)),
        ("bytes=-100", .partial(900..<1000)),
        ("bytes=-5000", .partial(0..<1000)),
        ("bytes=990-5000", .partial(990..<1000)),
        ("bytes=999-999", .partial(999..<1000)),
        ("BYTES=0-0", .partial(0..<1)),
        ("bytes= 5-9 ", .partial(5..<10)),
        ("bytes=1000-", .unsatisfiable),
        ("bytes=99999999999-", .unsatisfiable),
        ("bytes=99999999999999999999999-", .unsatisfiable),
        ("bytes=-0", .unsatisfiable),
        ("bytes=100-50", .whole),
        ("bytes=0-1,5-9", .whole),
        ("bytes=abc", .whole),
        ("bytes=-", .whole),
        ("bytes=+1-2", .whole),
        ("items=0-9", .whole),
        ("bytes=", .whole),
        ("", .whole),
    ])
    func ranges(header: String, expected: ByteRangeRequest) {
        #expect(ByteRangeRequest(header: header, length: 1000) == expected)
    }

    @Test("an empty representation satisfies no range")
    func empty() {
        #expect(ByteRangeRequest(header: "bytes=0-", length: 0) == .unsatisfiable)
        #expect(ByteRangeRequest(header: "bytes=-1", length: 0) == .unsatisfiable)
    }
}
