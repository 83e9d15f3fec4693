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
