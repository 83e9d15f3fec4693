import Foundation
import Glibc
import SitepackTestSupport
import Testing
@testable import SitepackCore

/// The one choice of source: blocked gzip inflated in parallel, anything else through libarchive.
@Suite("ArchiveSource")
struct ArchiveSourceTests {
    /// A sitepack (blocked gzip) tar of `PythonTar.benignSite`'s shape and a plain `gzip -c` of the same tar.
    static func archives(in dir: TemporaryDirectory) throws -> (blocked: String, plain: String) {
        let tar = dir.join("site.tar")
        try PythonTar.write(tar, mode: "w", PythonTar.benignSite)
        let blocked = dir.join("blocked.tar.gz")
        let out = try OwnedFileDescriptor(path: blocked, flags: O_WRONLY | O_CREAT | O_TRUNC)
        let raw = out.rawValue
        let writer = try ParallelGzipWriter(level: 6, threads: 2, blockSize: 4096) { try OwnedFileDescriptor.writeAll($0, to: raw, path: blocked) }
        try Data(contentsOf: URL(fileURLWithPath: tar)).withUnsafeBytes { try writer.write($0) }
        try writer.finish()
        try out.close()
        let plain = dir.join("plain.tar.gz")
        #expect(try Subprocess.run(["sh", "-c", "gzip -c < '\(tar)' > '\(plain)'"]).status == 0)
        return (blocked, plain)
    }

    /// The names in the archive read through the chosen source, and the filter libarchive reported.
    static func names(_ source: ArchiveSource, _ path: String) throws -> ([String], String) {
        var reader = try source.reader(displayName: path)
        var names: [String] = []
        while let header = try reader.nextHeader() {
            names.append(header.path)
            try reader.skipData()
        }
        return (names, reader.filterName)
    }

    @Test("a blocked gzip file is inflated in parallel and read as plain tar; plain gzip goes through libarchive's filter")
    func completeFiles() throws {
        let dir = try TemporaryDirectory("sitepack-source")
        defer { dir.remove() }
        let (blocked, plain) = try Self.archives(in: dir)
        let expected = ["site/", "site/index.html", "site/css/", "site/css/style.css", "site/run.sh", "site/home.html"]

        let blockedFD = try OwnedFileDescriptor(path: blocked, flags: O_RDONLY)
        let parallel = try ArchiveSource.choose(for: .file(fd: blockedFD.rawValue), path: blocked, inflation: .parallel(threads: 2))
        #expect(parallel.isBlockedGzip && parallel.formats == .tarOnly && parallel.bytes is BlockedGzipSource)
        #expect(try Self.names(parallel, blocked) == (expected, "none"))

        let filtered = try ArchiveSource.choose(for: .file(fd: blockedFD.rawValue), path: blocked, inflation: .libarchiveFilter)
        #expect(filtered.isBlockedGzip && filtered.formats == .tarZipCompressed && filtered.bytes is FileByteSource)
        #expect(try Self.names(filtered, blocked) == (expected, "gzip"))

        let plainFD = try OwnedFileDescriptor(path: plain, flags: O_RDONLY)
        let ordinary = try ArchiveSource.choose(for: .file(fd: plainFD.rawValue), path: plain, inflation: .parallel(threads: 2))
        #expect(!ordinary.isBlockedGzip && ordinary.formats == .tarZipCompressed && ordinary.bytes is FileByteSource)
        #expect(try Self.names(ordinary, plain) == (expected, "gzip"))
    }

    @Test("a growing file is read as its bytes arrive, blocked or not", arguments: [true, false])
    func growingFiles(blocked: Bool) throws {
        let dir = try TemporaryDirectory("sitepack-source")
        defer { dir.remove() }
        let archives = try Self.archives(in: dir)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: blocked ? archives.blocked : archives.plain)))
        let path = dir.join("download")
        FileManager.default.createFile(atPath: path, contents: nil)
        let growing = GrowingFile()
        let writer = Thread {
            guard let fd = try? OwnedFileDescriptor(path: path, flags: O_WRONLY) else { return growing.finish(error: nil) }
            for start in stride(from: 0, to: bytes.count, by: 100) {
                let chunk = bytes[start..<min(start + 100, bytes.count)]
                try? chunk.withUnsafeBytes { try fd.writeAll($0) }
                try? growing.advance(by: chunk.count)
            }
            growing.finish(error: nil)
        }
        writer.start()
        let fd = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        let source = try ArchiveSource.choose(for: .growing(fd: fd.rawValue, file: growing), path: path, inflation: .parallel(threads: 2))
        #expect(source.isBlockedGzip == blocked)
        #expect(source.bytes is BlockedGzipSource == blocked)
        #expect(source.bytes is GrowingFileByteSource == !blocked)
        #expect(try Self.names(source, path).0.count == PythonTar.benignSite.count)
        try growing.waitUntilFinished()
    }
}
