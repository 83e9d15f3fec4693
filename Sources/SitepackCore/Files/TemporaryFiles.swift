#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Temporary paths to delete if the process is interrupted (SIGINT, SIGTERM) before it finishes.
public final class TemporaryFiles: Sendable {
    /// The process-wide registry.
    public static let shared = TemporaryFiles()

    private let paths = Mutex<Set<String>>([])
    private let installed = Mutex(false)

    /// Records a path to remove on interruption.
    public func register(_ path: String) { _ = paths.withLock { $0.insert(path) } }

    /// Forgets a path (it was renamed into place or removed).
    public func unregister(_ path: String) { _ = paths.withLock { $0.remove(path) } }

    /// Removes every registered path now (recursively for folders).
    public func removeAll() {
        let current = paths.withLock { paths in
            defer { paths.removeAll() }
            return paths
        }
        for path in current { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Installs SIGINT/SIGTERM handlers that remove the registered paths and exit with 128+signal.
    /// Call once from a command that writes temporary files.
    public func removeOnInterrupt() {
        let first = installed.withLock { installed in
            defer { installed = true }
            return !installed
        }
        guard first else { return }
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                TemporaryFiles.shared.removeAll()
                Terminal.writeStandardError("\nsitepack: interrupted; temporary files removed\n")
                _exit(128 + signalNumber)
            }
            source.resume()
            Self.sources.append(source)
        }
    }

    /// Kept alive for the life of the process; written once, under the `installed` flag.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
}
