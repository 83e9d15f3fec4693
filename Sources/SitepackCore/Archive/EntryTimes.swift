#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Access and modification times to give a file system object; `UTIME_OMIT` leaves one as it is.
struct EntryTimes: Sendable {
    var access: timespec
    var modification: timespec

    /// `UTIME_OMIT` from <sys/stat.h>, a macro Swift does not import.
    static let omit = (1 << 30) - 2

    /// Calls `body` with the two-element array `futimens`/`utimensat` take.
    func withPointer<T>(_ body: (UnsafePointer<timespec>) -> T) -> T {
        withUnsafePointer(to: (access, modification)) { pair in
            pair.withMemoryRebound(to: timespec.self, capacity: 2) { body($0) }
        }
    }
}
