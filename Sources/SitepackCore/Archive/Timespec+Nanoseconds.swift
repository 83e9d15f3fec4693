#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
// libarchive's headers include <time.h> and <sys/time.h>, so the compiler may record `timespec`'s members as belonging
// to CSitepackArchive or to Glibc, depending on how a build groups files; with MemberImportVisibility a
// file must import the module that won. This file imports both, and the rest of the code reads times
// only through these accessors (seen: "property 'tv_sec' is not available due to missing import of
// defining module 'CSitepackArchive'" in Build/, in some builds only).
private import CSitepackArchive

extension timespec {
    /// The time in nanoseconds since 1970 (or since the clock's origin).
    var nanoseconds: Int64 { Int64(tv_sec) * 1_000_000_000 + Int64(tv_nsec) }

    /// The whole seconds.
    var wholeSeconds: Int64 { Int64(tv_sec) }

    /// A time from nanoseconds since 1970.
    init(nanoseconds: Int64) {
        self.init(tv_sec: time_t(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
    }

    /// `CLOCK_REALTIME` now, in nanoseconds since 1970.
    static func realtimeNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return spec.nanoseconds
    }

    /// `CLOCK_MONOTONIC` now, in nanoseconds.
    static func monotonicNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return spec.nanoseconds
    }
}

extension timeval {
    /// A duration in seconds as a `timeval` (for `SO_RCVTIMEO`/`SO_SNDTIMEO`).
    init(seconds: Double) {
        let whole = seconds.rounded(.down)
        self.init(tv_sec: Int(whole), tv_usec: Int((seconds - whole) * 1_000_000))
    }
}
