import Testing
@testable import SitepackCore

@Suite("PathTable")
struct PathTableTests {
    @Test("holds 200,000 paths with their flags as a Dictionary of their bytes does, refusing each second insert; NFC and NFD are two names, as on a Linux file system")
    func agreesWithDictionary() {
        var table = PathTable()
        var reference: [[UInt8]: Bool] = [:]
        // Names of every length from 1 to 300, shared prefixes, and a few that differ only at the end.
        var names: [String] = (0..<200_000).map { "site/d\($0 % 997)/p\($0).html" }
        names += (1...300).map { String(repeating: "x", count: $0) }
        names += ["a", "b", "ab", "ba", "site", "site/", "\u{e9}", "e\u{301}"]
        for (number, name) in names.enumerated() {
            let flag = number % 3 == 0
            let added = table.insert(name, flag: flag)
            let new = reference.updateValue(flag, forKey: Array(name.utf8)) == nil
            #expect(added == new, "\(name)")
        }
        #expect(table.count == reference.count)
        for name in names.prefix(5_000) + names.suffix(400) {
            #expect(table.flag(of: name) == reference[Array(name.utf8)], "\(name)")
            let again = table.insert(name, flag: true)
            #expect(!again)
        }
        for missing in ["", "site/d1/p1.htm", "site/d1/p1.html/", String(repeating: "x", count: 301), "c"] {
            #expect(table.flag(of: missing) == nil, "\(missing)")
        }
        #expect(table.flag(of: "site/d1/p1.html") == false && table.flag(of: "site/d0/p0.html") == true)
        #expect(table.flag(of: "\u{e9}") != nil && table.flag(of: "e\u{301}") != nil && table.count == names.count)
    }
}
