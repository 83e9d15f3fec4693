import Foundation
import SitepackTestSupport
import Testing
@testable import SitepackCore

@Suite("TarStreamWriter")
struct TarStreamWriterTests {
    /// Writes three entries into a tar file at `path` with one fixed mtime.
    static func writeTar(_ path: String, mtime: Int64 = 1_600_000_000) throws {
        let fd = try OwnedFileDescriptor(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        let raw = fd.rawValue
        var writer = try TarStreamWriter(mtime: mtime) { try OwnedFileDescriptor.writeAll($0, to: raw, path: path) }
        let body = Array("<h1>hé</h1>\n".utf8)
        try writer.writeHeader(path: "site", kind: .directory, mode: 0o755)
        try writer.writeHeader(path: "site/index.html", kind: .file(size: Int64(body.count)), mode: 0o644)
        try body.withUnsafeBytes { try writer.writeData($0) }
        try writer.writeHeader(path: "site/home.html", kind: .symlink(target: "index.html"), mode: 0o777)
        try writer.finish()
        try fd.close()
    }

    @Test("Python's tarfile reads back root ownership, empty owner names, the modes given and one mtime")
    func entriesFollowTheArchiveContract() throws {
        let dir = try TemporaryDirectory("sitepack-tarwriter")
        defer { dir.remove() }
        let path = dir.join("out.tar")
        try Self.writeTar(path)
        let script = """
            import sys, tarfile
            with tarfile.open(sys.argv[1]) as tar:
                for m in tar.getmembers():
                    data = tar.extractfile(m).read().decode() if m.isfile() else ""
                    print(m.name, m.type.decode(), oct(m.mode), m.uid, m.gid, repr(m.uname), repr(m.gname), int(m.mtime), m.linkname, repr(data))
            """
        let result = try Subprocess.run(["python3", "-c", script, path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n") == [
            "site 5 0o755 0 0 '' '' 1600000000  ''",
            "site/index.html 0 0o644 0 0 '' '' 1600000000  '<h1>hé</h1>\\n'",
            "site/home.html 2 0o777 0 0 '' '' 1600000000 index.html ''",
        ])
    }

    @Test("the same entries give the same bytes, and GNU tar lists them")
    func reproducibleAndReadableByGNUTar() throws {
        let dir = try TemporaryDirectory("sitepack-tarwriter")
        defer { dir.remove() }
        try Self.writeTar(dir.join("a.tar"))
        try Self.writeTar(dir.join("b.tar"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.join("a.tar"))) == Data(contentsOf: URL(fileURLWithPath: dir.join("b.tar"))))
        let listing = try Subprocess.run(["tar", "-tf", dir.join("a.tar")])
        #expect(listing.stdout == "site/\nsite/index.html\nsite/home.html\n")
    }

    @Test("an error thrown by the sink comes out of the writer as itself")
    func sinkErrorsPropagate() throws {
        let error = try #require(throws: SitepackError.self) {
            var writer = try TarStreamWriter(mtime: 0) { _ in throw SitepackError(.outputNotWritable, "disk full on purpose") }
            try writer.writeHeader(path: "site", kind: .directory, mode: 0o755)
            try writer.finish()
        }
        #expect(error.code == .outputNotWritable)
    }
}

@Suite("UstarHeader")
struct UstarHeaderTests {
    /// Paths around every ustar limit: whole names of 99–101 bytes, prefix/name splits at each
    /// side of 155 and 100, a first-character slash, folders whose added '/' tips the length, and
    /// names libarchive must extend with pax (non-ASCII, no usable slash).
    static func paths() -> [String] {
        var paths = ["site", "site/index.html", "a", "/abs", "site/dir/"]
        for length in [98, 99, 100, 101, 102, 155, 156, 157, 200, 254, 255, 256, 257, 300] {
            paths.append("site/" + String(repeating: "x", count: length - 5))
            for cut in [1, 50, 99, 100, 101, 150, 154, 155, 156] where cut < length - 1 {
                var bytes = Array(repeating: UInt8(ascii: "y"), count: length)
                bytes[cut] = UInt8(ascii: "/")
                paths.append(String(decoding: bytes, as: UTF8.self))
                bytes[length / 2] = UInt8(ascii: "/")
                paths.append(String(decoding: bytes, as: UTF8.self))
            }
        }
        paths.append("/" + String(repeating: "z", count: 100))
        paths.append("site/h\u{e9}.html")
        paths.append("site/" + String(repeating: "\u{e9}", count: 60))
        return paths
    }

    @Test("every header equals the bytes libarchive's restricted-pax writer gives the same entry")
    func matchesLibarchive() throws {
        let header = UnsafeMutableRawBufferPointer.allocate(byteCount: UstarHeader.size, alignment: 8)
        defer { header.deallocate() }
        var fast = 0
        var extended = 0
        let kinds: [TarEntryKind] = [
            .file(size: 0), .file(size: 1), .file(size: 513), .file(size: (1 << 33) - 1), .file(size: 1 << 33), .directory,
            .symlink(target: "index.html"), .symlink(target: String(repeating: "t", count: 100)),
            .symlink(target: String(repeating: "t", count: 101)), .symlink(target: "../\u{e9}.html"),
        ]
        for path in Self.paths() {
            for kind in kinds {
                for (mode, mtime) in [(UInt32(0o644), Int64(1_700_000_000)), (0o755, 0), (0o777, 0x7fff_fffe), (0o644, 0x7fff_ffff), (0o644, -1)] {
                    let reference = try TarStreamWriter.libarchiveHeader(path: path, kind: kind, mode: mode, mtime: mtime)
                    var utf8 = path
                    let target: String
                    if case .symlink(let to) = kind { target = to } else { target = "" }
                    var targetBytes = target
                    let encoded = utf8.withUTF8 { pathBytes in
                        targetBytes.withUTF8 { targetBuffer in
                            let headerKind: UstarHeader.Kind
                            switch kind {
                            case .file(let size): headerKind = .file(size: size)
                            case .directory: headerKind = .directory
                            case .symlink: headerKind = .symlink(target: UnsafeRawBufferPointer(targetBuffer))
                            }
                            return UstarHeader.encode(into: header, path: UnsafeRawBufferPointer(pathBytes), kind: headerKind, mode: mode, mtime: mtime)
                        }
                    }
                    if encoded {
                        fast += 1
                        #expect(reference == Array(header), "\(path) \(kind) \(String(mode, radix: 8)) \(mtime)")
                    } else {
                        extended += 1
                        // Declined only where libarchive indeed writes more than one header block (a pax extension).
                        #expect(reference.count > UstarHeader.size, "\(path) \(kind) \(String(mode, radix: 8)) \(mtime): declined a plain header")
                    }
                }
            }
        }
        #expect(fast > 1_000)
        #expect(extended > 100)
    }

    @Test("a stream with every kind of header, written here or by libarchive, is read back whole by GNU tar, bsdtar and Python's tarfile")
    func mixedStreamReadsBack() throws {
        let dir = try TemporaryDirectory("sitepack-ustar")
        defer { dir.remove() }
        let path = dir.join("mixed.tar")
        let fd = try OwnedFileDescriptor(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        let raw = fd.rawValue
        var writer = try TarStreamWriter(mtime: 1_700_000_000) { try OwnedFileDescriptor.writeAll($0, to: raw, path: path) }
        let long = "site/" + String(repeating: "d", count: 120) + "/" + String(repeating: "f", count: 90) + ".html"
        let unsplittable = "site/" + String(repeating: "n", count: 130)
        let names = ["site/a.html", long, unsplittable, "site/\u{e9}t\u{e9}.html"]
        try writer.writeHeader(path: "site", kind: .directory, mode: 0o755)
        for (number, name) in names.enumerated() {
            let body = Array(repeating: UInt8(ascii: "a") + UInt8(number), count: 700 * (number + 1))
            try writer.writeHeader(path: name, kind: .file(size: Int64(body.count)), mode: 0o644)
            try body.withUnsafeBytes { try writer.writeData($0) }
        }
        try writer.writeHeader(path: "site/link", kind: .symlink(target: String(repeating: "../", count: 40) + "a.html"), mode: 0o777)
        try writer.finish()
        try fd.close()
        let size = try #require(FileSystem.status(path)).st_size
        #expect(size % Int(TarStreamWriter.blockSize) == 0)
        let expected = ["site/"] + names + ["site/link"]
        let gnu = try Subprocess.run(["tar", "-tf", path])
        #expect(gnu.status == 0 && gnu.stdout.split(separator: "\n").map(String.init) == expected, "\(gnu.stderr)")
        let bsd = try Subprocess.run(["bsdtar", "-tf", path])
        #expect(bsd.status == 0 && bsd.stdout.split(separator: "\n").map(String.init) == expected, "\(bsd.stderr)")
        let script = """
            import sys, tarfile
            with tarfile.open(sys.argv[1]) as tar:
                for m in tar.getmembers():
                    print(m.name, m.size, len(tar.extractfile(m).read()) if m.isfile() else m.linkname[-6:])
            """
        let python = try Subprocess.run(["python3", "-c", script, path])
        #expect(python.status == 0, "\(python.stderr)")
        #expect(python.stdout.split(separator: "\n").map(String.init) == [
            "site 0 ", "site/a.html 700 700", "\(long) 1400 1400", "\(unsplittable) 2100 2100",
            "site/\u{e9}t\u{e9}.html 2800 2800", "site/link 0 a.html",
        ])
    }
}
