import Foundation
import Testing
import SitepackTestSupport
@testable import SitepackCore

/// The streamed manifest against JSONEncoder's own encoding of the same manifest, and the packed entries.
@Suite("ManifestWriter and SiteEntries")
struct ManifestWriterTests {
    static func manifest(excluded: [Manifest.Exclusion]) -> Manifest {
        Manifest(name: "demo", sitepackVersion: "9.9.9", prefix: "site",
                 archive: .init(file: "content.tar.gz", sha256: String(repeating: "a", count: 64), size: 123),
                 tar: .init(sha256: String(repeating: "b", count: 64), size: 10240), fileCount: 0, totalBytes: 0,
                 files: [], excluded: excluded, mtime: .init(epoch: 1_700_000_000, source: .git),
                 compressor: .init(name: "libdeflate", version: "1.14", level: 6, format: "gzip-members", blockSize: 2_097_152))
    }

    /// `digests` as hex; the writer takes them as 32 bytes each.
    static func streamed(_ manifest: Manifest, _ entries: SiteEntries, digests: [String]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var writer = ManifestWriter { bytes.append(contentsOf: $0) }
        let raw = digests.flatMap { hex in
            stride(from: 0, to: hex.utf8.count, by: 2).map { UInt8(String(Array(hex)[$0...($0 + 1)]), radix: 16)! }
        }
        try writer.write(manifest, entries: entries, digests: raw)
        return bytes
    }

    @Test("files, folders and symlinks with quotes, backslashes, Unicode and odd modes stream exactly as JSONEncoder encodes them")
    func sameBytesAsJSONEncoder() throws {
        var entries = SiteEntries(sourceRoot: "/src", prefix: "site")
        let items: [(String, TarEntryKind, UInt32)] = [
            ("site", .directory, 0o755), ("site/a \"quoted\" name.html", .file(size: 12), 0o644),
            ("site/back\\slash", .file(size: 0), 0o755), ("site/caf\u{00e9}/\u{1F600}.html", .file(size: 1_234_567_890), 0o644),
            ("site/link", .symlink(target: "caf\u{00e9}/x \"y\".html"), 0o777), ("site/slash/ok", .directory, 0o755),
            ("site/tab\u{7f}del", .file(size: 3), 0o644),
        ]
        for (path, kind, mode) in items { try entries.append(archivePath: path, relativeSource: nil, kind: kind, mode: mode, mtime: 0) }
        let digests = (0..<4).map { String(repeating: String($0), count: 64) }
        let excluded = [Manifest.Exclusion(path: "ctl\u{01}\u{1f}\n\t\"x\\/y", reason: "--exclude: *.md"), .init(path: "dist", reason: "output-folder")]
        for excluded in [[], excluded] {
            var expected = Self.manifest(excluded: excluded)
            var number = 0
            for index in entries.indices {
                let entry = entries[index]
                let mode = String(format: "%04o", entry.mode)
                switch entry.kind {
                case .directory: expected.files.append(.init(path: entry.archivePath, type: .directory, mode: mode))
                case .symlink(let target): expected.files.append(.init(path: entry.archivePath, type: .symlink, mode: mode, target: target))
                case .file(let size):
                    expected.files.append(.init(path: entry.archivePath, type: .file, mode: mode, size: size, sha256: digests[number]))
                    number += 1
                }
            }
            let bytes = try Self.streamed(Self.manifest(excluded: excluded), entries, digests: digests)
            #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: try expected.encoded(), as: UTF8.self))
        }
        // No entry at all: the empty list as JSONEncoder writes it.
        let empty = try Self.streamed(Self.manifest(excluded: []), SiteEntries(sourceRoot: "/src", prefix: "site"), digests: [])
        #expect(empty == (try Self.manifest(excluded: []).encoded()))
    }

    @Test("entries sort byte-wise by archive path, give back their source paths, and report two names that normalise alike")
    func packedEntries() throws {
        var entries = SiteEntries(sourceRoot: "/src", prefix: "site")
        try entries.append(archivePath: "site/b.html", relativeSource: nil, kind: .file(size: 5), mode: 0o644, mtime: 3)
        try entries.append(archivePath: "site", relativeSource: nil, kind: .directory, mode: 0o755, mtime: 1)
        try entries.append(archivePath: "site/caf\u{00e9}.html", relativeSource: "cafe\u{0301}.html", kind: .file(size: 2), mode: 0o755, mtime: 2)
        try entries.append(archivePath: "site/B", relativeSource: nil, kind: .symlink(target: "b.html"), mode: 0o777, mtime: 2)
        let none = entries.sortByArchivePath()
        #expect(none == nil)
        #expect(entries.map(\.archivePath) == ["site", "site/B", "site/b.html", "site/caf\u{00e9}.html"])
        #expect(entries.map(\.sourcePath) == ["/src", "/src/B", "/src/b.html", "/src/cafe\u{0301}.html"])
        #expect(entries[1].kind == .symlink(target: "b.html") && entries[3].mode == 0o755 && entries[2].mtime == 3)
        #expect(entries.fileSize(at: 2) == 5 && entries.fileSize(at: 1) == nil && entries.depth(at: 2) == 2)
        try entries.append(archivePath: "site/caf\u{00e9}.html", relativeSource: nil, kind: .file(size: 1), mode: 0o644, mtime: 0)
        let found = entries.sortByArchivePath()
        let clash = try #require(found)
        #expect(Set([clash.0, clash.1]) == ["/src/cafe\u{0301}.html", "/src/caf\u{00e9}.html"])
    }
}
