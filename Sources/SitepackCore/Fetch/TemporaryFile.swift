#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A new, empty, hidden file (`.sitepack-download-XXXXXX`) in a folder, whose descriptor is owned
/// from `mkstemp` on by an ``OwnedFileDescriptor``. The file is removed when this value goes away —
/// and on SIGINT/SIGTERM through ``TemporaryFiles`` — unless it was renamed into place first.
struct TemporaryFile: ~Copyable {
    /// The file's path.
    let path: String
    private var descriptor: OwnedFileDescriptor?

    /// Creates the file in `folder` (an existing folder).
    init(in folder: String) throws {
        let (fd, path) = try OwnedFileDescriptor.makeTemporary(template: "\(folder)/.sitepack-download-XXXXXX")
        self.path = path
        self.descriptor = OwnedFileDescriptor(adopting: fd, path: path)
        TemporaryFiles.shared.register(path)
    }

    deinit {
        unlink(path)
        TemporaryFiles.shared.unregister(path)
    }

    /// The open descriptor (read-write, at offset 0), handed over once to whoever writes the file.
    mutating func takeDescriptor() -> OwnedFileDescriptor {
        guard let descriptor = descriptor.take() else {
            preconditionFailure("the descriptor of \(path) was already taken")
        }
        return descriptor
    }
}
