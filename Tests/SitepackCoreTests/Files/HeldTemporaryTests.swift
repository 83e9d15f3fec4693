import Foundation
import SitepackTestSupport
import Testing
@testable import SitepackCore
#if canImport(Glibc)
import Glibc
#endif

/// Temporary entries a live writer holds with flock, and the sweep that removes only abandoned ones,
/// checked against another process holding the lock (util-linux `flock`).
@Suite("HeldTemporary: leftovers a dead writer left, never a live one's")
struct HeldTemporaryTests {
    @Test("a file held by its writer is not removed; once its descriptor closes, it is")
    func file() throws {
        let scratch = try TemporaryDirectory("sitepack-held")
        defer { scratch.remove() }
        let folder = scratch.path
        let (fd, path) = try HeldTemporary.makeFile(template: folder + "/.tmp-upload-XXXXXX")
        #expect(write(fd, "partial", 7) == 7)
        #expect(HeldTemporary.isHeld(path))
        #expect(try HeldTemporary.removeIfAbandoned(path) == false)
        #expect(FileManager.default.fileExists(atPath: path))
        close(fd)
        #expect(!HeldTemporary.isHeld(path))
        #expect(try HeldTemporary.removeIfAbandoned(path))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("a staging folder is held as a whole, then removed with its contents")
    func folder() throws {
        let scratch = try TemporaryDirectory("sitepack-held")
        defer { scratch.remove() }
        let root = scratch.path
        let (fd, path) = try HeldTemporary.makeDirectory(template: root + "/.tmp-XXXXXX")
        try FileManager.default.createDirectory(atPath: path + "/inner", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: path + "/inner/file"))
        #expect(try HeldTemporary.removeIfAbandoned(path) == false)
        close(fd)
        #expect(try HeldTemporary.removeIfAbandoned(path))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("held by another process: left alone while it lives, removed after it is killed with SIGKILL")
    func otherProcess() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/flock") else { return }
        let scratch = try TemporaryDirectory("sitepack-held")
        defer { scratch.remove() }
        let folder = scratch.path
        let path = folder + "/.tmp-abcdef"
        try Data("half an archive".utf8).write(to: URL(fileURLWithPath: path))
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["--exclusive", "--no-fork", path, "sleep", "600"]  // sleep itself holds the lock
        try holder.run()
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
        // Wait (generously) for the other process to take the lock.
        let deadline = ContinuousClock.now + .seconds(30)
        while !HeldTemporary.isHeld(path) && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(HeldTemporary.isHeld(path))
        #expect(try HeldTemporary.removeIfAbandoned(path) == false)
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        while HeldTemporary.isHeld(path) && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(try HeldTemporary.removeIfAbandoned(path))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("an entry replaced between the sweep's open and its lock is not removed (the sweep rechecks the path)")
    func sameEntry() throws {
        let scratch = try TemporaryDirectory("sitepack-held")
        defer { scratch.remove() }
        let folder = scratch.path
        let path = folder + "/.tmp-x"
        try Data("a".utf8).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        #expect(FileSystem.sameEntry(fd, path))
        unlink(path)
        try Data("b".utf8).write(to: URL(fileURLWithPath: path))
        #expect(!FileSystem.sameEntry(fd, path))
    }
}
