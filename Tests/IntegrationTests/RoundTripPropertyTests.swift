import Foundation
import Glibc
import SitepackTestSupport
import Testing

/// Whatever `build` writes, `verify` and strict `fetch` accept, and the extracted tree equals the source:
/// random small trees (names, folders, in-site symlinks written in many forms, modes), seeded so a failure
/// names a reproducible case.
@Suite("round trip: random trees → build → verify → strict fetch → the same tree")
struct RoundTripPropertyTests {
    /// A small deterministic generator (SplitMix64), so every run tries the same trees.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let nameCharacters = Array("abcXYZ019._-+=,~@")

    static func randomName(_ rng: inout SplitMix) -> String {
        var name = ""
        for _ in 0..<Int.random(in: 1...10, using: &rng) { name.append(nameCharacters.randomElement(using: &rng) ?? "a") }
        if name.hasPrefix(".") || name.hasPrefix("#") || name.hasSuffix("~") { name = "n" + name + "n" }
        return name
    }

    /// Makes a random tree under `root`; returns nothing, the tree is the fixture.
    static func makeTree(at root: String, seed: UInt64) throws {
        var rng = SplitMix(state: seed)
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        var folders = [""]
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            let parent = folders.randomElement(using: &rng) ?? ""
            let folder = (parent.isEmpty ? "" : parent + "/") + randomName(&rng)
            guard !fm.fileExists(atPath: root + "/" + folder) else { continue }
            try fm.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
            folders.append(folder)
        }
        var files: [String] = []
        for index in 0..<Int.random(in: 1...10, using: &rng) {
            let folder = folders.randomElement(using: &rng) ?? ""
            let path = (folder.isEmpty ? "" : folder + "/") + randomName(&rng)
            guard !fm.fileExists(atPath: root + "/" + path) else { continue }
            let size = [0, 1, 100, 5000, 70_000].randomElement(using: &rng) ?? 1
            var bytes = [UInt8](repeating: 0, count: size)
            for i in 0..<size { bytes[i] = UInt8(truncatingIfNeeded: (index &* 31) &+ i &* 7) }
            fm.createFile(atPath: root + "/" + path, contents: Data(bytes))
            chmod(root + "/" + path, Bool.random(using: &rng) ? 0o755 : 0o640)
            files.append(path)
        }
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            guard let target = (files + folders.filter { !$0.isEmpty }).randomElement(using: &rng) else { break }
            let folder = folders.randomElement(using: &rng) ?? ""
            let linkPath = (folder.isEmpty ? "" : folder + "/") + randomName(&rng)
            guard !fm.fileExists(atPath: root + "/" + linkPath) else { continue }
            // The target written in one of the forms people write: plain, ./x, detours through a folder, a trailing slash.
            let depth = folder.isEmpty ? 0 : folder.split(separator: "/").count
            let up = String(repeating: "../", count: depth)
            let forms = [up + target, "./" + up + target, up + target + (folders.contains(target) ? "/" : ""),
                         folders.count > 1 ? up + (folders.last?.split(separator: "/").first.map(String.init) ?? "") + "/../" + target : up + target,
                         up + "." + "/" + target]
            let written = forms.randomElement(using: &rng) ?? target
            guard symlink(written, root + "/" + linkPath) == 0 else { continue }
        }
    }

    /// What a tree holds: relative path → "d", "f:<mode>:<sha of bytes>" or "l:<what it resolves to>".
    static func describe(_ root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root) else { return result }
        while let relative = walker.nextObject() as? String {
            let path = root + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                result[relative] = "d"
            case S_IFLNK:
                let real = (try? fm.destinationOfSymbolicLink(atPath: path)).map { _ in
                    URL(fileURLWithPath: path).resolvingSymlinksInPath().path.replacingOccurrences(of: root, with: "")
                } ?? "?"
                result[relative] = "l:" + real
                walker.skipDescendants()
            default:
                let data = fm.contents(atPath: path) ?? Data()
                result[relative] = "f:\(info.st_mode & 0o100 != 0 ? "x" : "-"):\(data.count):\(data.hashValue)"
            }
        }
        return result
    }

    @Test("40 random trees survive build, verify and strict fetch unchanged", arguments: Array(UInt64(1)...UInt64(40)))
    func roundTrip(seed: UInt64) throws {
        let dir = try TemporaryDirectory("sitepack-roundtrip")
        defer { dir.remove() }
        let source = dir.join("src")
        try Self.makeTree(at: source, seed: seed)
        let build = try Subprocess.sitepack(["build", source, "--name", "t", "-o", dir.join("dist"), "--quiet", "--source-date-epoch", "1"])
        #expect(build.status == 0, "seed \(seed): build: \(build.stderr)")
        guard build.status == 0 else { return }
        let verify = try Subprocess.sitepack(["verify", dir.join("dist/content.tar.gz"), "--manifest", dir.join("dist/manifest.json")])
        #expect(verify.status == 0, "seed \(seed): verify: \(verify.stdout)\(verify.stderr)")
        let sha = String(build.stdout.prefix(64))
        let fetch = try Subprocess.sitepack(["fetch", dir.join("dist/content.tar.gz"), "--sha256", sha, "--sandbox", dir.join("sandbox"), "--quiet"])
        #expect(fetch.status == 0, "seed \(seed): fetch: \(fetch.stderr)")
        let expected = try Self.describe(source)
        let actual = try Self.describe(dir.join("sandbox/site"))
        #expect(actual == expected, "seed \(seed)")
    }
}
