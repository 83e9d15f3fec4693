import Foundation
import Glibc
import SitepackTestSupport
import Testing
@testable import SitepackCore

@Suite("ArchiveReader")
struct ArchiveReaderTests {
    /// Every header and every file's bytes of the archive at `path`.
    static func readAll(_ path: String, formats: ArchiveReadFormats = .tarZipCompressed) throws -> (headers: [ArchiveEntryHeader], data: [String: [UInt8]], filter: String, format: String) {
        let fd = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        var reader = try ArchiveReader(source: FileByteSource(fd: fd.rawValue, path: path), formats: formats, displayName: path)
        var headers: [ArchiveEntryHeader] = []
        var data: [String: [UInt8]] = [:]
        while let header = try reader.nextHeader() {
            headers.append(header)
            var bytes: [UInt8] = []
            while let (block, _) = try reader.readBlock() { bytes.append(contentsOf: block) }
            data[header.path] = bytes
        }
        let result = (headers, data, reader.filterName, reader.formatName)
        _ = consume reader
        try fd.close()
        return result
    }

    @Test("headers, kinds, modes and contents of a tar.gz written by Python's tarfile come out as stored")
    func readsWhatPythonWrote() throws {
        let dir = try TemporaryDirectory("sitepack-reader")
        defer { dir.remove() }
        let path = dir.join("a.tar.gz")
        try PythonTar.write(path, PythonTar.benignSite + [#"("site/hard", "h", "site/run.sh", 0o755)"#, #"("site/setuid", "f", b"x", 0o4755)"#])
        let (headers, data, filter, format) = try Self.readAll(path)
        #expect(filter == "gzip")
        #expect(format.contains("tar"))  // ustar: tarfile writes pax headers only when needed
        #expect(headers.map(\.path) == ["site/", "site/index.html", "site/css/", "site/css/style.css", "site/run.sh", "site/home.html", "site/hard", "site/setuid"])
        #expect(headers[0].kind == .directory)
        #expect(headers[1].kind == .file && headers[1].size == 12 && headers[1].permissions == 0o644)
        #expect(headers[4].permissions == 0o755)
        #expect(headers[5].kind == .symlink(target: "index.html"))
        #expect(headers[6].kind == .hardlink(target: "site/run.sh"))
        #expect(headers[7].permissions == 0o4755)
        #expect(headers.allSatisfy { $0.mtime == 1_700_000_000 && !$0.isSparse })
        #expect(data["site/index.html"] == Array("<h1>hi</h1>\n".utf8))
        #expect(data["site/css/style.css"] == Array("body{}\n".utf8))
    }

    @Test("tarOnly reads an uncompressed tar and refuses a compressed one")
    func tarOnlyHasNoFilters() throws {
        let dir = try TemporaryDirectory("sitepack-reader")
        defer { dir.remove() }
        try PythonTar.write(dir.join("plain.tar"), mode: "w", PythonTar.benignSite)
        try PythonTar.write(dir.join("packed.tar.gz"), PythonTar.benignSite)
        #expect(try Self.readAll(dir.join("plain.tar"), formats: .tarOnly).headers.count == PythonTar.benignSite.count)
        #expect(throws: SitepackError.self) { try Self.readAll(dir.join("packed.tar.gz"), formats: .tarOnly) }
    }

    @Test("bytes that are no archive, and a truncated archive, are corrupt-archive errors naming the archive")
    func garbageIsCorrupt() throws {
        let dir = try TemporaryDirectory("sitepack-reader")
        defer { dir.remove() }
        let html = try dir.write("page.tar.gz", "<!doctype html><title>404</title>\n")
        let error = try #require(throws: SitepackError.self) { try Self.readAll(html) }
        #expect(error.code == .corruptArchive)
        #expect(error.message.contains(html))

        let whole = dir.join("whole.tar.gz")
        try PythonTar.write(whole, [#"("site/big", "f", bytes(range(256)) * 4000, 0o644)"#])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let cut = dir.join("cut.tar.gz")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        #expect(throws: SitepackError.self) { try Self.readAll(cut) }
    }

    @Test("a byte source's error reaches the caller as itself, not as libarchive's text")
    func sourceErrorsPassThrough() throws {
        final class FailingSource: ArchiveByteSource {
            var consumedBytes: Int64 { 0 }
            func nextChunk() throws -> UnsafeRawBufferPointer { throw SitepackError(.fetchStopped, "stopped on purpose") }
            func seek(offset: Int64, whence: Int32) -> Int64? { nil }
        }
        let error = try #require(throws: SitepackError.self) {
            var reader = try ArchiveReader(source: FailingSource(), formats: .tarZipCompressed, displayName: "failing")
            _ = try reader.nextHeader()
        }
        #expect(error.code == .fetchStopped)
    }
}
