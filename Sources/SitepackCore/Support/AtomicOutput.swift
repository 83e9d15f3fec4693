#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// A set of files written under temporary names in one folder and renamed into place together, only
/// when all of them are complete. Until `commit()`, the folder's previous contents stay as they were;
/// an abandoned output (error, or SIGINT/SIGTERM through ``TemporaryFiles``) leaves no temporary file.
public final class AtomicOutput {
    /// The folder the files are committed into.
    public let directory: String
    private var pending: [(temporary: String, final: String)] = []
    private var committed = false

    /// Prepares `directory` (created if missing), checking that it can be written.
    public init(directory: String) throws {
        self.directory = directory
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw SitepackError(.outputNotWritable, "output path \(directory) exists and is not a folder: remove it or choose another with -o")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw SitepackError(.outputNotWritable, "cannot create output folder \(directory): \(error.localizedDescription); choose a writable folder with -o")
            }
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw SitepackError(.outputNotWritable, "output folder \(directory) is not writable: fix its permissions or choose another with -o")
        }
    }

    /// Creates a new temporary file that will become `name` on commit, and returns its descriptor.
    public func create(_ name: String) throws -> OwnedFileDescriptor {
        let finalPath = (directory as NSString).appendingPathComponent(name)
        let fd: Int32, temporaryPath: String
        do {
            (fd, temporaryPath) = try OwnedFileDescriptor.makeTemporary(template: (directory as NSString).appendingPathComponent(".\(name).tmp-XXXXXX"))
        } catch let error as SitepackError {
            throw SitepackError(.outputNotWritable, "\(error.message); choose a writable folder with -o", underlying: error.underlying)
        }
        fchmod(fd, 0o644)
        TemporaryFiles.shared.register(temporaryPath)
        pending.append((temporaryPath, finalPath))
        return OwnedFileDescriptor(adopting: fd, path: temporaryPath)
    }

    /// Writes a whole small file (e.g. a manifest) under a temporary name.
    public func write(_ name: String, contents: [UInt8]) throws {
        let fd = try create(name)
        try contents.withUnsafeBytes { bytes in try fd.writeAll(bytes) }
        try fd.sync()
        try fd.close()
    }

    /// Renames every temporary file into place, then syncs the folder.
    public func commit() throws {
        for (temporary, final) in pending {
            try FileSystem.rename(temporary, to: final)
            TemporaryFiles.shared.unregister(temporary)
        }
        committed = true
        FileSystem.syncDirectory(directory)
    }

    /// Removes the temporary files of an output that will not be committed.
    public func abandon() {
        guard !committed else { return }
        for (temporary, _) in pending {
            unlink(temporary)
            TemporaryFiles.shared.unregister(temporary)
        }
        pending.removeAll()
    }

    deinit { abandon() }
}

extension SitepackError.Code {
    /// The output folder cannot be created or written.
    public static let outputNotWritable = SitepackError.Code("output-not-writable")
}

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
