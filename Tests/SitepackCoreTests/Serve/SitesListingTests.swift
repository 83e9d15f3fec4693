import SitepackTestSupport
import Foundation
import Testing
import NIOCore
@testable import SitepackCore
#if canImport(Glibc)
import Glibc
#endif

/// `/sites` rendered once per store change: the same document as before, `?name=` and pages, and a
/// version removed by gc leaving the listing at once.
@Suite("serve: the /sites listing", .serialized)
struct SitesListingTests {
    static func artifacts(_ response: RawResponse) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return object?["artifacts"] as? [[String: Any]] ?? []
    }

    static func next(_ response: RawResponse) throws -> String? {
        (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["next"] as? String
    }

    @Test("the rendered listing is what a fresh rendering says; ?name= keeps one site, newest first, latest flagged once")
    func renderedAndFiltered() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            let whole = try RawHTTP.request(port: server.port, "/sites")
            #expect(whole.status == 200)
            let snapshot = server.catalog.snapshot
            let fresh = SitesListing.render(snapshot.artifacts, latest: { a in snapshot.versions(of: a.name).first?.address == a.address },
                                            html: false, next: nil, origin: server.origin, allocator: .init())
            #expect(whole.body == Array(fresh.readableBytesView))
            let demo = try RawHTTP.request(port: server.port, "/sites?name=demo")
            #expect(try Self.artifacts(demo).compactMap { $0["sha256"] as? String } == [fixture.storeNew, fixture.storeOld])
            #expect(try Self.artifacts(demo).compactMap { $0["latest"] as? Bool } == [true, false])
            #expect(try Self.next(demo) == nil)
            #expect(try Self.artifacts(try RawHTTP.request(port: server.port, "/sites?name=nothing")).isEmpty)
            let html = try RawHTTP.request(port: server.port, "/sites?name=demo", headers: ["Accept": "text/html"])
            let page = String(decoding: html.body, as: UTF8.self)
            #expect(page.contains(fixture.storeOld) && !page.contains(fixture.artifactSHA) && page.hasSuffix("</html>\n"))
            #expect(html["content-length"] == String(html.body.count))
        }
    }

    @Test("pages: limit and offset walk the list with next links; bad values are 400")
    func pages() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            let all = try Self.artifacts(try RawHTTP.request(port: server.port, "/sites")).compactMap { $0["sha256"] as? String }
            #expect(all.count == 3)
            var seen: [String] = []
            var target: String? = "/sites?limit=2"
            while let current = target {
                let response = try RawHTTP.request(port: server.port, current)
                #expect(response.status == 200)
                seen += try Self.artifacts(response).compactMap { $0["sha256"] as? String }
                target = try Self.next(response).map { String($0.dropFirst(server.origin.count)) }
            }
            #expect(seen == all)
            #expect(try Self.artifacts(try RawHTTP.request(port: server.port, "/sites?name=demo&offset=1&limit=5")).compactMap { $0["sha256"] as? String } == [fixture.storeOld])
            #expect(try Self.artifacts(try RawHTTP.request(port: server.port, "/sites?offset=99")).isEmpty)
            for bad in ["/sites?limit=0", "/sites?limit=x", "/sites?offset=-1", "/sites?name=..", "/sites?limit=10001"] {
                #expect(try RawHTTP.request(port: server.port, bad).status == 400, "\(bad)")
            }
        }
    }

    @Test("a version gc removes leaves /sites at once, and one published appears after its scan")
    func followsTheStore() async throws {
        let fixture = try ServeFixture()
        defer { fixture.remove() }
        try await fixture.withServer { server in
            #expect(try Self.artifacts(try RawHTTP.request(port: server.port, "/sites?name=demo")).count == 2)
            try ServeFixture.collect(name: "demo", sha256: fixture.storeOld, root: fixture.root)
            let after = try Self.artifacts(try RawHTTP.request(port: server.port, "/sites?name=demo")).compactMap { $0["sha256"] as? String }
            #expect(after == [fixture.storeNew])
            #expect(!String(decoding: try RawHTTP.request(port: server.port, "/sites").body, as: UTF8.self).contains(fixture.storeOld))
            let digest = try ServeFixture.publish(ServeFixture.randomBytes(4000), name: "demo", root: fixture.root)
            #expect(await eventually {
                (try? Self.artifacts(try RawHTTP.request(port: server.port, "/sites?name=demo")).first?["sha256"] as? String) == digest
            })
            // Once rescanned, the listing is the rendered one again.
            #expect(await eventually { server.catalog.snapshot.listing?.isCurrent == true })
        }
    }
}
