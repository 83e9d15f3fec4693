#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What the Mesos fetcher does with a file once it has it (``MesosURI/Action``, mesos.md §1.5–§1.6):
/// extract an archive into the sandbox root, gunzip a bare `.gz` beside it, copy, or chmod 0755 —
/// in strict mode under the extraction limits, in Mesos mode exactly as the agent does.
struct MesosActions {
    /// The options (sandbox, mode, limits, threads, progress).
    var options: FetchOptions

    /// Applies the plan's action to the fetched `file`. With `moveIntoPlace` the file is a download
    /// that becomes `destination`; without, it is a cache object that stays where it is (archives are
    /// extracted straight from it, other files copied, as Mesos does).
    func apply(_ plan: FetchPlan, file: String, destination: String, moveIntoPlace: Bool,
               result: inout FetchResult) throws {
        let sandbox = options.sandbox
        switch plan.action {
        case .extract:
            var source = file
            var placed = false
            if options.mode == .mesosCompat && moveIntoPlace {
                // Mesos downloads into the sandbox and extracts from there, so the archive stays even on failure.
                try Self.place(file, at: destination, mode: 0o644)
                source = destination
                placed = true
            }
            result.record(try extractArchive(at: source, name: plan.destinationName, into: sandbox))
            if moveIntoPlace && !placed { try Self.place(file, at: destination, mode: 0o644) }
        case .gunzip:
            var base = (plan.destinationName as NSString).lastPathComponent
            base.removeLast(3)
            result.extractedBytes = try gunzip(file, to: "\(sandbox)/\(base)", name: plan.destinationName)
            if moveIntoPlace { try Self.place(file, at: destination, mode: 0o644) }
        case .copy, .copyNotArchive:
            if moveIntoPlace { try Self.place(file, at: destination, mode: 0o644) } else { try copy(file, to: destination, mode: 0o644) }
        case .executable:
            if moveIntoPlace { try Self.place(file, at: destination, mode: 0o755) } else { try copy(file, to: destination, mode: 0o755) }
        }
    }

    /// Extracts an archive file into `folder` in the configured mode. Strict mode extracts into a
    /// staging folder inside `folder`, then replaces each top-level entry already there (a rerun
    /// replaces `site/` whole; a failure leaves it as it was, see ``SandboxStaging``); Mesos mode
    /// writes straight into `folder`, overwriting file by file, as Mesos does.
    func extractArchive(at path: String, name: String, into folder: String) throws -> ExtractionSummary {
        let fd = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        let progress = ProgressReporter(label: "extract \(name)", enabled: options.progress)
        defer { progress.finish() }
        var reader: ArchiveReader
        switch options.mode {
        case .mesosCompat:
            reader = try ArchiveReader(source: FileByteSource(fd: fd.rawValue, path: name), formats: .everything, displayName: name)
        case .strict:
            reader = try ArchiveSource.choose(for: .file(fd: fd.rawValue), path: name,
                                              inflation: .parallel(threads: options.threads)).reader(displayName: name)
        }
        let extractor = try SafeExtractor(mode: options.mode)
        guard options.mode == .strict else {
            let summary = try extractor.extract(from: &reader, into: folder, limits: options.limits, progress: { progress.advance(bytes: $0) })
            progress.advance(items: summary.files)
            _ = consume reader
            try fd.close()
            return summary
        }
        let staging = try SandboxStaging(in: folder)
        var summary = try extractor.extract(from: &reader, into: staging.folder, limits: options.limits, progress: { progress.advance(bytes: $0) })
        progress.advance(items: summary.files)
        _ = consume reader
        try fd.close()
        summary.topLevelNames = try staging.commit()
        return summary
    }

    /// Inflates a bare `.gz` (what Mesos does with `gunzip -d -c`). Strict mode holds the output to
    /// the limits tar extraction enforces — per-file and total bytes, and the expansion ratio — with
    /// the same rules and messages; Mesos mode has no limits.
    func gunzip(_ path: String, to output: String, name: String) throws -> Int64 {
        let input = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        var temporary = try TemporaryFile(in: (output as NSString).deletingLastPathComponent)
        let out = temporary.takeDescriptor()
        var inflater = try GzipStreamInflater()
        var buffer = [UInt8](repeating: 0, count: 1 << 18)
        var consumed: Int64 = 0
        var written: Int64 = 0
        var atEnd = true
        let strict = options.mode == .strict
        let limits = options.limits
        while true {
            let got = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
            if got == 0 { break }
            consumed += Int64(got)
            atEnd = try buffer.withUnsafeBytes { bytes in
                try inflater.inflate(UnsafeRawBufferPointer(rebasing: bytes[0..<got])) { piece in
                    written += Int64(piece.count)
                    if strict {
                        try limits.enforce(fileBytes: written, totalBytes: written, consumed: consumed, entry: name, archive: name)
                    }
                    try out.writeAll(piece)
                }
            }
        }
        guard atEnd else { throw SitepackError(.corruptArchive, "\(name) is truncated: the gzip stream ends early") }
        try out.close()
        chmod(temporary.path, 0o644)
        guard rename(temporary.path, output) == 0 else {
            throw SitepackError(.io, "cannot write \(output): \(String(cString: strerror(errno)))")
        }
        return written
    }

    /// Copies a cache object to `destination` (through a temporary file, renamed into place).
    private func copy(_ file: String, to destination: String, mode: mode_t) throws {
        var temporary = try TemporaryFile(in: options.sandbox)
        let output = temporary.takeDescriptor()
        let input = try OwnedFileDescriptor(path: file, flags: O_RDONLY)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
            if got == 0 { break }
            try buffer.withUnsafeBytes { try output.writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
        }
        try output.close()
        try Self.place(temporary.path, at: destination, mode: mode)
    }

    /// Renames `file` to `destination` with `mode`, creating the folders on the way.
    static func place(_ file: String, at destination: String, mode: mode_t) throws {
        try makeFolder((destination as NSString).deletingLastPathComponent)
        chmod(file, mode)
        guard rename(file, destination) == 0 else {
            throw SitepackError(.io, "cannot move the download to \(destination): \(String(cString: strerror(errno)))")
        }
    }

    /// Creates `path` and its parents.
    static func makeFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SitepackError(.io, "cannot create folder \(path): \(error.localizedDescription)")
        }
    }
}
