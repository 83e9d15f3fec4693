import Foundation
import SitepackTestSupport
import Testing
@testable import SitepackCore
#if canImport(Glibc)
import Glibc
#endif

/// The threads that create and write extracted files: every file whole, with its mode and times;
/// the first failure reported; memory bounded.
@Suite("FileWriterPool: files made on worker threads")
struct FileWriterPoolTests {
    static func job(parent: Int32, name: String, data: [UInt8], seconds: Int = 1_700_000_000) -> FileWriterPool.Job {
        let time = timespec(tv_sec: seconds, tv_nsec: 0)
        return .init(parent: parent, name: name, mode: 0o640, fixMode: false, data: data,
                     times: EntryTimes(access: time, modification: time), path: name)
    }

    @Test("files of several folders, in batches over two workers, each whole with its mode and mtime")
    func manyFiles() throws {
        let scratch = try TemporaryDirectory("sitepack-pool")
        defer { scratch.remove() }
        let root = scratch.path
        var folders: [Int32] = []
        for index in 0..<3 {
            try FileManager.default.createDirectory(atPath: root + "/d\(index)", withIntermediateDirectories: false)
            folders.append(open(root + "/d\(index)", O_RDONLY | O_DIRECTORY))
        }
        defer { for fd in folders { close(fd) } }
        let pool = FileWriterPool(threads: 2, maxBytes: 64 << 10)
        for index in 0..<600 {
            let data = Array("file \(index) ".utf8) + [UInt8](repeating: UInt8(index % 251), count: index * 7)
            try pool.submit(Self.job(parent: folders[index / 200], name: "f\(index)", data: data, seconds: 1_700_000_000 + index))
        }
        try pool.drain()
        pool.shutdown()
        for index in 0..<600 {
            let path = root + "/d\(index / 200)/f\(index)"
            let expected = Array("file \(index) ".utf8) + [UInt8](repeating: UInt8(index % 251), count: index * 7)
            #expect(FileManager.default.contents(atPath: path).map(Array.init) == expected, "\(path)")
            var info = stat()
            #expect(lstat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o640)
            #expect(info.st_mtim.tv_sec == 1_700_000_000 + index)
        }
    }

    @Test("a name already taken is refused (O_EXCL), reported by drain and by the next submit, and nothing is overwritten")
    func failure() throws {
        let scratch = try TemporaryDirectory("sitepack-pool")
        defer { scratch.remove() }
        let root = scratch.path
        try Data("keep".utf8).write(to: URL(fileURLWithPath: root + "/taken"))
        let folder = open(root, O_RDONLY | O_DIRECTORY)
        defer { close(folder) }
        let pool = FileWriterPool(threads: 2)
        defer { pool.shutdown() }
        try pool.submit(Self.job(parent: folder, name: "taken", data: Array("overwrite".utf8)))
        #expect(throws: DiskWriteFailure.self) { try pool.drain() }
        do {
            try pool.drain()
            Issue.record("the failure was forgotten")
        } catch let failure as DiskWriteFailure {
            #expect(failure.errno == EEXIST && failure.isUnsafe && failure.path == "taken")
        }
        #expect(throws: DiskWriteFailure.self) {
            try pool.submit(Self.job(parent: folder, name: "later", data: []))
            try pool.drain()
        }
        #expect(try String(contentsOfFile: root + "/taken", encoding: .utf8) == "keep")
    }
}
