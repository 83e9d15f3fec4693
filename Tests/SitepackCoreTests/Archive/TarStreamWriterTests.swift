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
