/// The entry rules of strict mode, shared by the extractor and `sitepack verify`. Pure: it sees
/// headers, never the disk. Names are resolved lexically and rejected, never rewritten (STYLE rule 7),
/// except that leading `./` components are dropped and the `.` entry itself is skipped.
public struct ExtractionPolicy: Sendable {
    /// What an allowed entry becomes.
    public struct Accepted: Sendable, Equatable {
        /// The normalized relative path (no `./`, no trailing `/`); empty for the `.` entry.
        public var path: String
        /// The normalized hard-link target, for hard links.
        public var hardlinkTarget: String?
        /// Permission bits to write: 0755 for directories and executables, else 0644.
        public var permissions: UInt32
        /// True when setuid, setgid or sticky bits were present (and are dropped).
        public var droppedSpecialBits: Bool
    }

    /// The limits in force.
    public var limits: ExtractionLimits
    /// Every path seen so far, flagged when it is a regular file (a valid hard-link target): one packed
    /// table, since at 100,000 entries it is most of the policy's memory.
    private var seen = PathTable()
    /// Entries checked so far.
    public private(set) var entryCount = 0

    /// A fresh policy for one archive.
    public init(limits: ExtractionLimits = ExtractionLimits()) {
        self.limits = limits
    }

    /// Checks one header in archive order; throws ``ExtractionViolation``.
    public mutating func check(_ header: ArchiveEntryHeader) throws -> Accepted {
        entryCount += 1
        let name = header.path
        if entryCount > limits.maxEntries {
            throw ExtractionViolation(rule: "too-many-entries", entry: name,
                                      reason: "the archive has more than \(limits.maxEntries) entries (raise --max-files if this is expected)")
        }
        let path = try Self.normalize(name, entry: name, what: "name")
        let depth = ExtractionExtent.depth(of: path)
        if depth > limits.maxDepth {
            throw ExtractionViolation(rule: "too-deep", entry: name,
                                      reason: "the path is \(depth) components deep, more than the limit of \(limits.maxDepth)")
        }
        if header.isSparse {
            throw ExtractionViolation(rule: "sparse", entry: name, reason: "sparse entries are not extracted")
        }
        var hardlinkTarget: String?
        switch header.kind {
        case .file, .directory:
            break
        case .symlink(let target):
            try Self.checkSymlink(target: target, at: path, entry: name)
        case .hardlink(let target):
            let normalized = try Self.normalize(target, entry: name, what: "hard-link target", rule: "hardlink-outside")
            guard seen.flag(of: normalized) == true else {
                throw ExtractionViolation(rule: "hardlink-outside", entry: name,
                                          reason: "hard link to '\(target)', which is not a regular file earlier in this archive")
            }
            hardlinkTarget = normalized
        case .characterDevice, .blockDevice, .fifo, .socket, .unknown:
            throw ExtractionViolation(rule: "special-file", entry: name,
                                      reason: "it is a \(header.kind.name); only regular files, directories and relative symlinks are extracted")
        }
        if header.kind == .file, header.size > limits.maxFileBytes {
            throw ExtractionViolation(rule: "file-too-large", entry: name,
                                      reason: "its header says \(header.size) bytes, over the \(limits.maxFileBytes)-byte per-file limit (--max-file-bytes)")
        }
        if !path.isEmpty {
            let regular = header.kind == .file || hardlinkTarget != nil
            guard seen.insert(path, flag: regular) else {
                throw ExtractionViolation(rule: "duplicate-path", entry: name,
                                          reason: "the path '\(path)' appears twice; a later entry would replace or redirect the earlier one")
            }
        }
        let executable = header.permissions & 0o111 != 0
        let permissions: UInt32 = header.kind == .directory || executable ? 0o755 : 0o644
        return Accepted(path: path, hardlinkTarget: hardlinkTarget, permissions: permissions,
                        droppedSpecialBits: header.permissions & 0o7000 != 0)
    }

    /// The longest entry name or link target, in bytes (Linux's PATH_MAX).
    public static let maxNameBytes = 4096

    /// Resolves an entry name lexically: refuses absolute names, `..`, backslashes, NUL and overlong
    /// names; drops `.` components. Returns "" for the `.` entry.
    public static func normalize(_ name: String, entry: String, what: String, rule: String? = nil) throws -> String {
        if name.isEmpty {
            throw ExtractionViolation(rule: rule ?? "empty-name", entry: entry, reason: "the \(what) is empty")
        }
        if name.utf8.count > maxNameBytes {
            throw ExtractionViolation(rule: rule ?? "name-too-long", entry: entry, reason: "the \(what) is longer than \(maxNameBytes) bytes")
        }
        if name.hasPrefix("/") {
            throw ExtractionViolation(rule: rule ?? "absolute-path", entry: entry, reason: "the \(what) '\(name)' is absolute")
        }
        if name.contains("\\") {
            throw ExtractionViolation(rule: rule ?? "backslash", entry: entry,
                                      reason: "the \(what) '\(name)' contains a backslash, which Windows-made zips use as a separator (zip slip)")
        }
        if name.utf8.contains(0) {
            throw ExtractionViolation(rule: rule ?? "nul", entry: entry, reason: "the \(what) contains a NUL byte")
        }
        var parts: [Substring] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                throw ExtractionViolation(rule: rule ?? "dot-dot", entry: entry, reason: "the \(what) '\(name)' contains '..'")
            }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }

    /// A symlink is allowed when its target is relative, has `..` only as leading components, and
    /// climbs no higher than the link's own folder depth: then, since every link is created in a real
    /// folder (SECURE_SYMLINKS) and every other link obeys the same rule, it resolves inside the tree.
    public static func checkSymlink(target: String, at path: String, entry: String) throws {
        if target.isEmpty {
            throw ExtractionViolation(rule: "symlink-escape", entry: entry, reason: "the symlink has an empty target")
        }
        if target.hasPrefix("/") {
            throw ExtractionViolation(rule: "symlink-escape", entry: entry, reason: "the symlink points to the absolute path '\(target)', outside the sandbox")
        }
        if target.contains("\\") || target.utf8.contains(0) {
            throw ExtractionViolation(rule: "symlink-escape", entry: entry, reason: "the symlink target '\(target)' contains a backslash or NUL")
        }
        var ups = 0
        var sawName = false
        for part in target.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if sawName {
                    throw ExtractionViolation(rule: "symlink-escape", entry: entry,
                                              reason: "the symlink target '\(target)' has '..' after a name; only leading '../' is allowed")
                }
                ups += 1
            } else {
                sawName = true
            }
        }
        let depth = path.split(separator: "/").count - 1
        if ups > depth {
            throw ExtractionViolation(rule: "symlink-escape", entry: entry,
                                      reason: "the symlink target '\(target)' climbs out of the extraction folder")
        }
    }
}
