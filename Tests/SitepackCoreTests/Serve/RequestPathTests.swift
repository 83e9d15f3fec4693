import Testing
@testable import SitepackCore

@Suite("RequestPath")
struct RequestPathTests {
    @Test("plain paths split into decoded segments")
    func plain() throws {
        let path = try RequestPath(target: "/a/b%20c/d.txt?x=1")
        #expect(path.segments == ["a", "b c", "d.txt"])
        #expect(path.query == "x=1")
        #expect(!path.trailingSlash)
        #expect(try RequestPath(target: "/dir/").trailingSlash)
        #expect(try RequestPath(target: "/").segments.isEmpty)
        #expect(try RequestPath(target: "//etc//passwd").segments == ["etc", "passwd"])
    }

    @Test("the traversal corpus is refused", arguments: [
        ("/../etc/passwd", RequestPath.Rejection.dotSegment),
        ("/a/../../etc/passwd", .dotSegment),
        ("/%2e%2e/etc/passwd", .dotSegment),
        ("/%2E%2E/etc/passwd", .dotSegment),
        ("/.%2e/etc", .dotSegment),
        ("/./a", .dotSegment),
        ("/..%2fetc/passwd", .encodedSlash),
        ("/a%2Fb", .encodedSlash),
        ("/%5c..%5cetc", .backslash),
        ("/a\\b", .backslash),
        ("/a%00.txt", .nul),
        ("/a%zz", .malformedEscape),
        ("/a%2", .malformedEscape),
        ("http://example.com/etc/passwd", .notOriginForm),
        ("*", .notOriginForm),
        ("etc/passwd", .notOriginForm),
        ("/%ff%fe", .notUTF8),
        ("/a%0d%0aSet-Cookie:%20x", .controlCharacter),
        ("/a%09b", .controlCharacter),
    ])
    func refused(target: String, expected: RequestPath.Rejection) {
        #expect(throws: expected) { try RequestPath(target: target) }
    }

    @Test("percent-decoding happens once: %252e stays a literal %2e segment")
    func decodedOnce() throws {
        let path = try RequestPath(target: "/%252e%252e/x")
        #expect(path.segments == ["%2e%2e", "x"])
    }

    @Test("dotfiles are flagged at any depth")
    func hidden() throws {
        #expect(try RequestPath(target: "/.git/config").hasHiddenSegment)
        #expect(try RequestPath(target: "/a/.env").hasHiddenSegment)
        #expect(try !RequestPath(target: "/a/b.env").hasHiddenSegment)
    }
}
