#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The single owner of an open file descriptor: closed exactly once, by `close()` or on deinit.
public struct OwnedFileDescriptor: ~Copyable {
    /// The raw descriptor, valid while this value lives.
    public private(set) var rawValue: Int32
    /// The path it was opened from, for error messages.
    public let path: String

    /// Opens `path` with `flags` and `mode`, throwing an error that names the path.
    public init(path: String, flags: Int32, mode: UInt32 = 0o644) throws {
        let fd = open(path, flags | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else {
            let code = errno
            throw SitepackError(.io, "cannot open \(path): \(String(cString: strerror(code)))", underlying: SystemCallError("open", errno: code))
        }
        self.rawValue = fd
        self.path = path
    }

    /// Takes ownership of an already open descriptor.
    public init(adopting fd: Int32, path: String) {
        self.rawValue = fd
        self.path = path
    }

    deinit { if rawValue >= 0 { _ = Glibc.close(rawValue) } }

    /// Closes the descriptor and reports a close error (which can be a delayed write error).
    public consuming func close() throws {
        let fd = rawValue
        rawValue = -1
        if Glibc.close(fd) != 0 {
            let code = errno
            throw SitepackError(.io, "cannot finish writing \(path): \(String(cString: strerror(code)))", underlying: SystemCallError("close", errno: code))
        }
    }

    /// Reads up to `count` bytes into `buffer`, retrying on EINTR; returns 0 at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let got = Glibc.read(rawValue, buffer.baseAddress, buffer.count)
            if got >= 0 { return got }
            if errno == EINTR { continue }
            let code = errno
            throw SitepackError(.io, "cannot read \(path): \(String(cString: strerror(code)))", underlying: SystemCallError("read", errno: code))
        }
    }

    /// Writes all of `bytes`, retrying on short writes and EINTR.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        try Self.writeAll(bytes, to: rawValue, path: path)
    }

    /// Writes all of `bytes` to a descriptor borrowed from its owner (for escaping sinks that cannot capture the owner).
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                let hint = code == ENOSPC ? " (the disk is full: free space or choose another output folder)" : ""
                throw SitepackError(.io, "cannot write \(path): \(String(cString: strerror(code)))\(hint)", underlying: SystemCallError("write", errno: code))
            }
            offset += written
        }
    }

    /// Creates a new file from a `mkstemp` template ending in `XXXXXX`; returns its raw descriptor and path.
    public static func makeTemporary(template: String) throws -> (fd: Int32, path: String) {
        var bytes = Array(template.utf8CString)
        let fd = bytes.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            let code = errno
            let folder = (template as NSString).deletingLastPathComponent
            throw SitepackError(.io, "cannot create a file in \(folder): \(String(cString: strerror(code)))", underlying: SystemCallError("mkstemp", errno: code))
        }
        return (fd, String(decoding: bytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// Flushes the file's data to stable storage.
    public func sync() throws {
        if fsync(rawValue) != 0 {
            let code = errno
            throw SitepackError(.io, "cannot flush \(path) to disk: \(String(cString: strerror(code)))", underlying: SystemCallError("fsync", errno: code))
        }
    }
}
