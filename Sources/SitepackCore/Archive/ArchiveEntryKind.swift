/// The type of an archive entry as the extractor and the linter see it.
public enum ArchiveEntryKind: Sendable, Equatable {
    /// A regular file.
    case file
    /// A directory.
    case directory
    /// A symbolic link and its target, as stored.
    case symlink(target: String)
    /// A hard link to an earlier entry (or, in hostile archives, anything), as stored.
    case hardlink(target: String)
    /// A character device node.
    case characterDevice
    /// A block device node.
    case blockDevice
    /// A named pipe.
    case fifo
    /// A socket.
    case socket
    /// Any other type code.
    case unknown(UInt32)

    /// A short human name, used in refusal messages.
    public var name: String {
        switch self {
        case .file: "regular file"
        case .directory: "directory"
        case .symlink: "symbolic link"
        case .hardlink: "hard link"
        case .characterDevice: "character device"
        case .blockDevice: "block device"
        case .fifo: "FIFO"
        case .socket: "socket"
        case .unknown(let type): "entry of unknown type \(type)"
        }
    }
}
