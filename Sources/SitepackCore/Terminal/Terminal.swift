#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Facts about the process's standard streams.
public enum Terminal {
    /// Whether standard error is a terminal (progress is shown only then).
    public static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

    /// Writes text to standard error without buffering.
    public static func writeStandardError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
