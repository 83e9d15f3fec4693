#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `errno` of a failed system call, as an error with its text.
public struct SystemCallError: Error, Sendable, CustomStringConvertible {
    /// The name of the call, such as `open`.
    public var call: String
    /// The `errno` value.
    public var errno: Int32

    /// Captures the current `errno` for `call`.
    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call): \(String(cString: strerror(errno)))" }
}
