import Foundation
import SitepackTestSupport
import Testing
@testable import SitepackCore

/// The parallel inflater against sitepack's own compressor.
@Suite struct BlockedGzipSourceTests {
    /// Writes `data` as a blocked gzip file with ParallelGzipWriter; returns its path inside `folder`.
    func blockedFile(_ data: [UInt8], in folder: String, blockSize: Int = 64 << 10) throws -> String {
        let path = "\(folder)/data.gz"
        let fd = try OwnedFileDescriptor(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        let raw = fd.rawValue
        let writer = try ParallelGzipWriter(level: 6, threads: 2, blockSize: blockSize) { bytes in
            try OwnedFileDescriptor.writeAll(bytes, to: raw, path: path)
        }
        try data.withUnsafeBytes { try writer.write($0) }
        try writer.finish()
        try fd.close()
        return path
    }

    func folder() throws -> String {
        let path = NSTemporaryDirectory() + "sitepack-bgz-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func inflatesEveryMemberInOrder() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var generator = SystemRandomNumberGenerator()
        let data = (0..<(1_000_000)).map { i in i % 3 == 0 ? UInt8.random(in: 0...255, using: &generator) : UInt8(i % 251) }
        let path = try blockedFile(data, in: dir)
        let fd = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        let size = Int64(lseek(fd.rawValue, 0, SEEK_END))
        let members = try #require(BlockedGzipSource.members(fd: fd.rawValue, size: size))
        #expect(members.count == (data.count + (64 << 10) - 1) / (64 << 10))
        #expect(members.reduce(0) { $0 + $1.inflatedSize } == data.count)
        let source = BlockedGzipSource(fd: fd.rawValue, path: path, members: members, threads: 3)
        var output: [UInt8] = []
        while true {
            let chunk = try source.nextChunk()
            if chunk.isEmpty { break }
            output.append(contentsOf: chunk)
        }
        #expect(output == data)
        #expect(source.consumedBytes == size)
    }

    @Test func corruptMemberIsReportedAndPlainGzipIsNotBlocked() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = [UInt8](repeating: 7, count: 300_000)
        let path = try blockedFile(data, in: dir)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 12] ^= 0xff  // inside the last member's DEFLATE data or CRC
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let fd = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        let members = try #require(BlockedGzipSource.members(fd: fd.rawValue, size: Int64(bytes.count)))
        let source = BlockedGzipSource(fd: fd.rawValue, path: path, members: members, threads: 2)
        #expect(throws: SitepackError.self) {
            while try !source.nextChunk().isEmpty {}
        }

        // An ordinary gzip file (no SP fields) is not taken for a blocked one.
        let plain = "\(dir)/plain.gz"
        #expect(try Subprocess.run(["sh", "-c", "gzip -c < '\(path)' > '\(plain)'"]).status == 0)
        let plainFD = try OwnedFileDescriptor(path: plain, flags: O_RDONLY)
        let plainSize = Int64(lseek(plainFD.rawValue, 0, SEEK_END))
        #expect(BlockedGzipSource.members(fd: plainFD.rawValue, size: plainSize) == nil)
        // A blocked file with trailing bytes is not either (it falls back to libarchive's gzip filter).
        try Data(bytes + [0, 0, 0]).write(to: URL(fileURLWithPath: path))
        let padded = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        #expect(BlockedGzipSource.members(fd: padded.rawValue, size: Int64(bytes.count + 3)) == nil)
    }
}
