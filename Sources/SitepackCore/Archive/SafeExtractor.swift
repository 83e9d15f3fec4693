#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization
private import CSitepackArchive

/// What an extraction wrote.
public struct ExtractionSummary: Sendable, Equatable {
    /// Entries written (files, folders, links).
    public var entries: Int = 0
    /// Regular files written.
    public var files: Int = 0
    /// Bytes of file data written.
    public var bytes: Int64 = 0
    /// Entries whose setuid/setgid/sticky bits were dropped.
    public var defusedSpecialBits: [String] = []
    /// The top-level names moved into the destination.
    public var topLevelNames: [String] = []
}

/// Writes an archive's entries to disk with libarchive's `archive_write_disk`, in one of two modes:
///
/// - **strict** (default): every header goes through ``ExtractionPolicy`` first; the writer uses
///   `SECURE_NODOTDOT | SECURE_SYMLINKS | SECURE_NOABSOLUTEPATHS | NO_OVERWRITE | TIME` (never OWNER or
///   PERM) with relative names inside a fresh staging folder beside the destination's content, which
///   is moved in only when the whole archive was written; limits count bytes actually written.
/// - **Mesos** (`--mesos-compat`): exactly stout's `archiver::extract` as used by Mesos ≥ 1.8 — each
///   name becomes `join(destination, name)` (one leading `/` stripped), hard-link targets likewise,
///   symlink targets verbatim, flags `TIME | SECURE_NODOTDOT` with the standard lookup, data copied
///   only for entries with a positive size, any result `<= ARCHIVE_WARN` fatal, straight into the folder.
public struct SafeExtractor: ~Copyable {
    private let writer: OpaquePointer
    private let mode: ExtractionMode

    /// Strict mode works with names relative to the staging folder, so the working directory changes
    /// for the duration; one extraction at a time per process.
    private static let workingDirectoryLock = Mutex(())

    /// Prepares a disk writer for `mode`.
    public init(mode: ExtractionMode) throws {
        guard let writer = archive_write_disk_new() else {
            throw SitepackError(.archive, "cannot allocate a libarchive disk writer (out of memory)")
        }
        do {
            switch mode {
            case .mesosCompat:
                let flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT
                try checkArchive(archive_write_disk_set_options(writer, flags), writer, "cannot set extraction options")
                try checkArchive(archive_write_disk_set_standard_lookup(writer), writer, "cannot set the user lookup")
            case .strict:
                let flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS
                    | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_NO_OVERWRITE
                try checkArchive(archive_write_disk_set_options(writer, flags), writer, "cannot set extraction options")
            }
        } catch {
            archive_write_free(writer)
            throw error
        }
        self.writer = writer
        self.mode = mode
    }

    deinit { archive_write_free(writer) }

    /// Extracts every entry of `reader` into `destination` (an existing folder). In strict mode a refused
    /// or failed archive leaves nothing in `destination`, and `beforeCommit` runs (and may refuse by
    /// throwing) before anything is moved into it.
    public consuming func extract(from reader: inout ArchiveReader, into destination: String,
                                  limits: ExtractionLimits = ExtractionLimits(),
                                  beforeCommit: () throws -> Void = {},
                                  progress: (Int64) -> Void = { _ in }) throws -> ExtractionSummary {
        switch mode {
        case .mesosCompat:
            return try extractLikeMesos(from: &reader, into: destination, progress: progress)
        case .strict:
            return try extractStrictly(from: &reader, into: destination, limits: limits, beforeCommit: beforeCommit, progress: progress)
        }
    }

    // MARK: Mesos

    private func extractLikeMesos(from reader: inout ArchiveReader, into destination: String,
                                  progress: (Int64) -> Void) throws -> ExtractionSummary {
        var summary = ExtractionSummary()
        while let header = try reader.nextHeader() {
            guard let entry = reader.entry else { break }
            let joined = Self.mesosJoin(destination, header.path)
            archive_entry_set_pathname(entry, joined)
            if case .hardlink(let target) = header.kind {
                archive_entry_set_hardlink(entry, Self.mesosJoin(destination, target))
            }
            try checkMesos(archive_write_header(writer, entry), "cannot extract '\(header.path)'")
            if archive_entry_size(entry) > 0 {
                while let (bytes, offset) = try reader.readBlock() {
                    let result = archive_write_data_block(writer, bytes.baseAddress, bytes.count, offset)
                    try checkMesos(Int32(truncatingIfNeeded: result), "cannot write '\(header.path)'")
                    summary.bytes += Int64(bytes.count)
                    progress(Int64(bytes.count))
                }
            }
            try checkMesos(archive_write_finish_entry(writer), "cannot finish '\(header.path)'")
            summary.entries += 1
            if header.kind == .file { summary.files += 1 }
        }
        try checkMesos(archive_write_close(writer), "cannot finish extraction")
        return summary
    }

    /// stout's `path::join(dest, name)`: drop exactly one leading `/` of the name and join with one `/`.
    static func mesosJoin(_ base: String, _ name: String) -> String {
        var tail = Substring(name)
        if tail.hasPrefix("/") { tail = tail.dropFirst() }
        var head = Substring(base)
        if head.hasSuffix("/") { head = head.dropLast() }
        return "\(head)/\(tail)"
    }

    private func checkMesos(_ result: Int32, _ context: String) throws {
        // Mesos treats every result <= ARCHIVE_WARN as failure.
        guard result <= ARCHIVE_WARN else { return }
        let text = archive_error_string(writer).map { String(cString: $0) } ?? "libarchive error \(result)"
        throw SitepackError(.archive, "\(context): \(text)")
    }

    // MARK: Strict

    private func extractStrictly(from reader: inout ArchiveReader, into destination: String,
                                 limits: ExtractionLimits, beforeCommit: () throws -> Void,
                                 progress: (Int64) -> Void) throws -> ExtractionSummary {
        let staging = try Self.makeStagingFolder(in: destination)
        TemporaryFiles.shared.register(staging)
        defer {
            try? FileManager.default.removeItem(atPath: staging)
            TemporaryFiles.shared.unregister(staging)
        }
        var summary = try Self.workingDirectoryLock.withLock { _ in
            let previous = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard previous >= 0, chdir(staging) == 0 else {
                let code = errno
                if previous >= 0 { Glibc.close(previous) }
                throw SitepackError(.io, "cannot enter staging folder \(staging): \(String(cString: strerror(code)))")
            }
            defer {
                _ = fchdir(previous)
                Glibc.close(previous)
            }
            return try withUTF8CharacterLocale { try writeStrictly(from: &reader, limits: limits, progress: progress) }
        }
        try beforeCommit()  // e.g. the download that fed the extraction must have ended with a 200
        summary.topLevelNames = try Self.moveContents(of: staging, into: destination)
        return summary
    }

    private func writeStrictly(from reader: inout ArchiveReader, limits: ExtractionLimits,
                               progress: (Int64) -> Void) throws -> ExtractionSummary {
        var policy = ExtractionPolicy(limits: limits)
        var summary = ExtractionSummary()
        let archiveName = reader.displayName
        while let header = try reader.nextHeader() {
            guard let entry = reader.entry else { break }
            let accepted: ExtractionPolicy.Accepted
            do {
                accepted = try policy.check(header)
            } catch let violation as ExtractionViolation {
                throw violation.error(archive: archiveName)
            }
            if accepted.path.isEmpty {
                try reader.skipData()  // the "." entry would retarget the destination folder itself
                continue
            }
            if accepted.droppedSpecialBits { summary.defusedSpecialBits.append(header.path) }
            _ = accepted.path.withCString { archive_entry_update_pathname_utf8(entry, $0) }
            if let target = accepted.hardlinkTarget {
                _ = target.withCString { archive_entry_update_hardlink_utf8(entry, $0) }
            }
            if case .symlink = header.kind {} else {
                archive_entry_set_perm(entry, mode_t(accepted.permissions))
            }
            archive_entry_set_uid(entry, 0)
            archive_entry_set_gid(entry, 0)
            let status = archive_write_header(writer, entry)
            if status < ARCHIVE_OK {
                let text = archive_error_string(writer).map { String(cString: $0) } ?? "error \(status)"
                throw SitepackError(.unsafeInput, "refused \(archiveName): entry '\(header.path)' breaks rule disk-check: libarchive refused to write it (\(text)); nothing was extracted")
            }
            var fileBytes: Int64 = 0
            if header.kind == .file || accepted.hardlinkTarget != nil && header.size > 0 {
                while let (bytes, offset) = try reader.readBlock() {
                    fileBytes += Int64(bytes.count)
                    summary.bytes += Int64(bytes.count)
                    try Self.enforce(limits, fileBytes: fileBytes, totalBytes: summary.bytes,
                                     consumed: reader.consumedBytes, entry: header.path, archive: archiveName)
                    let result = archive_write_data_block(writer, bytes.baseAddress, bytes.count, offset)
                    if result < Int(ARCHIVE_OK) {
                        let text = archive_error_string(writer).map { String(cString: $0) } ?? "error \(result)"
                        throw SitepackError(.io, "cannot write '\(header.path)' while extracting \(archiveName): \(text)")
                    }
                    progress(Int64(bytes.count))
                }
            }
            let finished = archive_write_finish_entry(writer)
            if finished < ARCHIVE_OK {
                let text = archive_error_string(writer).map { String(cString: $0) } ?? "error \(finished)"
                throw SitepackError(.io, "cannot finish '\(header.path)' while extracting \(archiveName): \(text)")
            }
            summary.entries += 1
            if header.kind == .file { summary.files += 1 }
        }
        try checkArchive(archive_write_close(writer), writer, "cannot finish extracting \(archiveName)")
        return summary
    }

    private static func enforce(_ limits: ExtractionLimits, fileBytes: Int64, totalBytes: Int64, consumed: Int64,
                                entry: String, archive: String) throws {
        if fileBytes > limits.maxFileBytes {
            throw ExtractionViolation(rule: "file-too-large", entry: entry,
                                      reason: "it holds more than \(limits.maxFileBytes) bytes (the per-file limit, --max-file-bytes)").error(archive: archive)
        }
        if totalBytes > limits.maxBytes {
            throw ExtractionViolation(rule: "too-many-bytes", entry: entry,
                                      reason: "the archive expands to more than \(limits.maxBytes) bytes (--max-bytes)").error(archive: archive)
        }
        if totalBytes > limits.ratioFloor, totalBytes > limits.maxRatio * max(consumed, 1) {
            throw ExtractionViolation(rule: "compression-ratio", entry: entry,
                                      reason: "\(totalBytes) bytes came out of \(consumed) compressed bytes, more than \(limits.maxRatio):1 (a decompression bomb?)").error(archive: archive)
        }
    }

    /// A fresh, private folder inside `destination`, so the final renames stay on one file system.
    static func makeStagingFolder(in destination: String) throws -> String {
        var template = Array("\(destination)/.sitepack-extract-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            let code = errno
            throw SitepackError(.io, "cannot create a staging folder in \(destination): \(String(cString: strerror(code)))")
        }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Renames every top-level item of `staging` into `destination`, after checking none exists there.
    static func moveContents(of staging: String, into destination: String) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: staging).sorted()
        for name in names {
            // attributesOfItem does not follow symlinks, so a dangling one counts as existing.
            if (try? FileManager.default.attributesOfItem(atPath: "\(destination)/\(name)")) != nil {
                throw SitepackError(.extractionConflict, "cannot extract into \(destination): '\(name)' already exists there and strict mode never overwrites; remove it or fetch into an empty --sandbox")
            }
        }
        var moved: [String] = []
        for name in names {
            if rename("\(staging)/\(name)", "\(destination)/\(name)") != 0 {
                let code = errno
                for done in moved { try? FileManager.default.removeItem(atPath: "\(destination)/\(done)") }
                throw SitepackError(.io, "cannot move \(name) into \(destination): \(String(cString: strerror(code)))")
            }
            moved.append(name)
        }
        return names
    }
}

extension SitepackError.Code {
    /// Strict extraction would overwrite something already in the sandbox.
    public static let extractionConflict = SitepackError.Code("fetch.extraction-conflict")
}
