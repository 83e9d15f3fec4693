#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
public import Logging

/// Settings of one `sitepack fetch` run.
public struct FetchOptions: Sendable {
    /// The sandbox folder (created if missing).
    public var sandbox: String
    /// Strict (default) or Mesos-compatible extraction.
    public var mode: ExtractionMode = .strict
    /// Strict-mode limits.
    public var limits = ExtractionLimits()
    /// The expected sha256 of the (single) URI's bytes. A content-addressed URI carries its own
    /// (``FetchPlan/contentAddress``); this one must then agree with it.
    public var sha256: String?
    /// Cache every URI (as `cache: true`), in addition to URIs that ask for it.
    public var cacheAll = false
    /// The cache folder.
    public var cacheDirectory: String = FetchCache.defaultDirectory
    /// The cache's size bound (Mesos's `--fetcher_cache_size` default, 2 GB).
    public var cacheSize: Int64 = 2_000_000_000
    /// Mesos's `--fetcher_stall_timeout` (seconds under 1 byte/s before giving up).
    public var stallTimeoutSeconds = 60
    /// Retries after transport errors, with exponential backoff from ``retryDelay`` seconds.
    public var retries = 3
    /// First backoff delay in seconds (doubled each retry, capped at 30 s).
    public var retryDelay: Double = 1
    /// Show progress on stderr (only when it is a terminal).
    public var progress = true
    /// Inflating threads for sitepack's multi-member gzip (default: every core).
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    /// Options for a sandbox folder.
    public init(sandbox: String) { self.sandbox = sandbox }
}

/// What fetching one URI did (the `--json` summary).
public struct FetchResult: Sendable, Codable, Equatable {
    /// The URI as given.
    public var uri: String
    /// The destination path (the archive's path, kept in the sandbox, or the output file).
    public var path: String
    /// What was done.
    public var action: FetchAction
    /// Regular files written (1 for a copy).
    public var files: Int
    /// Bytes fetched.
    public var bytes: Int64
    /// Bytes written by extraction or gunzip.
    public var extractedBytes: Int64
    /// sha256 of the fetched bytes.
    public var sha256: String
    /// Wall time.
    public var seconds: Double
    /// `hit`, `miss`, or nil when the cache was not used.
    public var cache: String?
    /// What the cache entry is keyed by: `sha256` (the digest, from `--sha256` or a content-addressed
    /// URL: never stale) or `uri` (Mesos's key: whatever the URI answered first); nil without the cache.
    public var cacheKey: String?
    /// Whether the bytes were checked against a known digest (`--sha256` or the URL's own) before use.
    public var verified: Bool
    /// Entries whose setuid/setgid/sticky bits were dropped.
    public var defused: [String]
    /// Warnings shown.
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case uri, path, action, files, bytes, sha256, seconds, cache, verified, defused, warnings
        case extractedBytes = "extracted_bytes", cacheKey = "cache_key"
    }
}

/// Does what a Mesos agent's fetcher does for each URI — download or copy, name, chmod, extract — and,
/// unless asked for Mesos's exact behaviour, does it safely (see ``SafeExtractor``).
public struct Fetcher: Sendable {
    /// The options.
    public var options: FetchOptions
    private let logger: Logger

    /// A fetcher logging warnings to `logger`.
    public init(options: FetchOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Fetches every URI in order, stopping at the first failure (as mesos-fetcher does).
    public func fetchAll(_ uris: [FetchURI]) throws -> [FetchResult] {
        try uris.map { try fetch($0) }
    }

    /// Fetches one URI into the sandbox.
    public func fetch(_ uri: FetchURI) throws -> FetchResult {
        let started = ProgressReporter.now()
        let plan = try FetchPlan(uri, mode: options.mode)
        let expected = try expectedDigest(for: plan)
        for warning in plan.warnings { logger.warning("\(warning)") }
        let sandbox = options.sandbox
        try Self.makeFolder(sandbox)
        let destination = "\(sandbox)/\(plan.destinationName)"
        var result = FetchResult(uri: uri.value, path: destination, action: plan.action, files: 1, bytes: 0, extractedBytes: 0,
                                 sha256: "", seconds: 0, cache: nil, cacheKey: nil, verified: expected != nil,
                                 defused: [], warnings: plan.warnings)

        if uri.cache || options.cacheAll {
            let cache = try FetchCache(directory: options.cacheDirectory, capacity: options.cacheSize)
            let key = FetchCache.key(uri: uri.value, sha256: expected)
            result.cacheKey = expected == nil ? "uri" : "sha256"
            let lease = try cache.entry(key: key, verifying: expected) { temporary in
                let fd = try OwnedFileDescriptor(path: temporary, flags: O_RDWR | O_CREAT | O_TRUNC)
                let (digest, _) = try obtain(plan, into: fd)
                try fd.close()
                // Never store bytes under a digest they do not have.
                if let expected, expected != digest {
                    throw Self.mismatch(plan, expected: expected, actual: digest, cached: true)
                }
                return digest
            }
            result.cache = lease.hit ? "hit" : "miss"
            result.sha256 = lease.sha256
            result.bytes = lease.size
            if let expected, expected != lease.sha256 {
                throw Self.mismatch(plan, expected: expected, actual: lease.sha256, cached: true)
            }
            // As Mesos: archives are extracted straight from the cache file and not copied into the sandbox.
            try apply(plan, file: lease.path, destination: destination, moveIntoPlace: false, result: &result)
            if lease.size > cache.capacity { unlink(lease.path) }
        } else {
            let temporary = try Self.temporaryFile(in: sandbox)
            defer {
                unlink(temporary)
                TemporaryFiles.shared.unregister(temporary)
            }
            if streamsExtraction(plan, expected: expected) {
                let (digest, size, summary) = try downloadWhileExtracting(plan, temporary: temporary)
                result.sha256 = digest
                result.bytes = size
                record(summary, in: &result)
                try place(temporary, at: destination, mode: 0o644)
            } else {
                let fd = try OwnedFileDescriptor(path: temporary, flags: O_RDWR)
                let (digest, size) = try obtain(plan, into: fd)
                try fd.close()
                result.sha256 = digest
                result.bytes = size
                if let expected, expected != digest {
                    throw Self.mismatch(plan, expected: expected, actual: digest, cached: false)
                }
                try apply(plan, file: temporary, destination: destination, moveIntoPlace: true, result: &result)
            }
        }
        result.seconds = ProgressReporter.now() - started
        return result
    }

    /// The digest the plan's bytes must have: the one a content-addressed URI carries, else
    /// ``FetchOptions/sha256``; nil when neither says. Refuses a `--sha256` that is not a digest, or
    /// that contradicts the URI's own (a usage error: one of the two names the wrong artifact).
    public func expectedDigest(for plan: FetchPlan) throws -> String? {
        var given: String?
        if let text = options.sha256 {
            guard ArtifactAddress.isSHA256Hex(text) else {
                throw SitepackError(.invalidInput, "--sha256 '\(text)' is not a sha256 digest (64 hex digits)")
            }
            given = text.lowercased()
        }
        guard let address = plan.contentAddress else { return given }
        if let given, given != address.sha256 {
            throw SitepackError(.fetchDigestConflict, "--sha256 \(given) contradicts \(plan.uri.value), whose path names the digest \(address.sha256) (a content-addressed URL is always verified against its own digest); drop --sha256, or fetch the URL of the version you mean")
        }
        return address.sha256
    }

    private static func mismatch(_ plan: FetchPlan, expected: String, actual: String, cached: Bool) -> SitepackError {
        let kept = cached ? "nothing was extracted or cached" : "nothing was extracted and the download was removed"
        if plan.contentAddress?.sha256 == expected {
            return SitepackError(.integrity, "sha256 mismatch for \(plan.uri.value): its path names the digest \(expected), but its bytes hash to \(actual); \(kept). The server answers a content-addressed (immutable) URL with other bytes: check that it serves the store the URL came from, or publish the artifact again (sitepack publish)")
        }
        return SitepackError(.integrity, "sha256 mismatch for \(plan.uri.value): expected \(expected), got \(actual); \(kept). Check the URL, or the digest (sitepack build prints it)")
    }

    // MARK: Getting the bytes

    /// Downloads or copies the plan's source into `fd`, hashing as bytes arrive; returns (sha256, size).
    /// With `tap`, each written byte is published to a reader extracting meanwhile; a transfer that
    /// already published bytes is then not retried (the reader has used them).
    func obtain(_ plan: FetchPlan, into fd: borrowing OwnedFileDescriptor, tap: GrowingFile? = nil) throws -> (String, Int64) {
        let label = "fetch \(plan.destinationName)"
        let progressBox = ProgressBox()
        defer { progressBox.reporter?.finish() }
        switch plan.source {
        case .local(let path):
            let source = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
            let size = lseek(source.rawValue, 0, SEEK_END)
            lseek(source.rawValue, 0, SEEK_SET)
            let progress = ProgressReporter(label: label, totalBytes: size >= 0 ? Int64(size) : nil, enabled: options.progress)
            progressBox.reporter = progress
            var hasher = SHA256()
            var total: Int64 = 0
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let got = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                if got == 0 { break }
                try buffer.withUnsafeBytes { bytes in
                    let chunk = UnsafeRawBufferPointer(rebasing: bytes[0..<got])
                    hasher.update(bufferPointer: chunk)
                    try fd.writeAll(chunk)
                }
                total += Int64(got)
                progress.advance(bytes: Int64(got))
            }
            return (hasher.finalize().hex, total)
        case .http(let url):
            let transfer = HTTPTransfer(url: url, stallTimeoutSeconds: options.stallTimeoutSeconds)
            let raw = fd.rawValue
            let path = fd.path
            var attempt = 0
            while true {
                _ = ftruncate(raw, 0)
                _ = lseek(raw, 0, SEEK_SET)
                let box = HashBox()
                let enabled = options.progress
                progressBox.reporter?.finish()
                let outcome = try transfer.run(onStart: { total in
                    progressBox.reporter = ProgressReporter(label: label, totalBytes: total, enabled: enabled)
                }, sink: { bytes in
                    box.hasher.update(bufferPointer: bytes)
                    try OwnedFileDescriptor.writeAll(bytes, to: raw, path: path)
                    box.count += bytes.count
                    try tap?.advance(by: bytes.count)
                    progressBox.reporter?.advance(bytes: Int64(bytes.count))
                })
                switch outcome {
                case .ok(let bytes):
                    return (box.hasher.finalize().hex, bytes)
                case .httpStatus(let status, _):
                    throw SitepackError(.fetchHTTPStatus, "\(url) answered HTTP \(status) (after redirects); the Mesos fetcher accepts only 200, so this task would fail with REASON_CONTAINER_LAUNCH_FAILED. Check the URL and the server")
                case .transportError(let message):
                    guard attempt < options.retries, tap == nil || box.count == 0 else {
                        let tries = attempt + 1
                        throw SitepackError(.fetchTransport, "cannot download \(url): \(message) (\(tries) attempt\(tries == 1 ? "" : "s")); check that the server is reachable from here, or raise --retries/--stall-timeout")
                    }
                    let delay = min(options.retryDelay * pow(2, Double(attempt)), 30)
                    logger.warning("download of \(url) failed: \(message); retrying in \(delay) s")
                    attempt += 1
                    if delay > 0 { usleep(UInt32(delay * 1_000_000)) }
                }
            }
        }
    }

    private final class HashBox {
        var hasher = SHA256()
        var count = 0
    }

    /// The download thread's result, read after it finished.
    private final class DownloadOutcome: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Result<(String, Int64), any Error>?
        func set(_ result: Result<(String, Int64), any Error>) { lock.withLock { value = result } }
        func get() -> Result<(String, Int64), any Error>? { lock.withLock { value } }
    }

    /// Whether to extract while downloading: strict mode, http(s), no digest to check first (with
    /// `--sha256` or a content-addressed URL nothing is extracted before the digest matched), and not
    /// zip (which needs seeking).
    func streamsExtraction(_ plan: FetchPlan, expected: String?) -> Bool {
        guard expected == nil, options.mode == .strict, plan.action == .extract,
              case .http = plan.source else { return false }
        return !plan.destinationName.hasSuffix(".zip")
    }

    /// Downloads into `temporary` on a thread while extracting from it on this one. The extraction is
    /// committed into the sandbox only after the download ended with a 200; on any failure the
    /// download's error (an HTTP status, a stall) is reported in preference to the extractor's.
    private func downloadWhileExtracting(_ plan: FetchPlan, temporary: String) throws -> (String, Int64, ExtractionSummary) {
        let growing = GrowingFile()
        let outcome = DownloadOutcome()
        let fetcher = self
        let thread = Thread {
            do {
                let fd = try OwnedFileDescriptor(path: temporary, flags: O_WRONLY)
                let result = try fetcher.obtain(plan, into: fd, tap: growing)
                try fd.close()
                outcome.set(.success(result))
                growing.finish(error: nil)
            } catch {
                outcome.set(.failure(error))
                growing.finish(error: error)
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
        do {
            let reader = try OwnedFileDescriptor(path: temporary, flags: O_RDONLY)
            let fd = reader.rawValue
            let name = plan.destinationName
            var archive = try ArchiveSource.choose(for: .growing(fd: fd, file: growing), path: name,
                                                   inflation: .parallel(threads: options.threads)).reader(displayName: name)
            let staging = try SandboxStaging(in: options.sandbox)
            var summary = try SafeExtractor(mode: .strict).extract(from: &archive, into: staging.folder, limits: options.limits,
                                                                   beforeCommit: { try growing.waitUntilFinished() })
            _ = consume archive
            try reader.close()
            try growing.waitUntilFinished()
            guard case .success(let (digest, size))? = outcome.get() else {
                throw SitepackError(.io, "the download of \(plan.uri.value) ended without a result")
            }
            summary.topLevelNames = try staging.commit()
            return (digest, size, summary)
        } catch {
            growing.cancel()
            do {
                try growing.waitUntilFinished()
            } catch let download as SitepackError where download.code == .fetchStopped {
                // The download stopped because extraction failed: report the extraction's error.
            } catch let download {
                throw download
            }
            throw error
        }
    }

    /// The progress line of the current attempt, created once the response's length is known.
    private final class ProgressBox {
        var reporter: ProgressReporter?
    }

    // MARK: Doing what Mesos does with the file

    private func apply(_ plan: FetchPlan, file: String, destination: String, moveIntoPlace: Bool,
                       result: inout FetchResult) throws {
        let sandbox = options.sandbox
        switch plan.action {
        case .extract:
            var source = file
            var placed = false
            if options.mode == .mesosCompat && moveIntoPlace {
                // Mesos downloads into the sandbox and extracts from there, so the archive stays even on failure.
                try place(file, at: destination, mode: 0o644)
                source = destination
                placed = true
            }
            let summary = try extractArchive(at: source, name: plan.destinationName, into: sandbox)
            record(summary, in: &result)
            if moveIntoPlace && !placed { try place(file, at: destination, mode: 0o644) }
        case .gunzip:
            var base = (plan.destinationName as NSString).lastPathComponent
            base.removeLast(3)
            result.extractedBytes = try gunzip(file, to: "\(sandbox)/\(base)", name: plan.destinationName)
            if moveIntoPlace { try place(file, at: destination, mode: 0o644) }
        case .copy, .copyNotArchive:
            if moveIntoPlace { try place(file, at: destination, mode: 0o644) } else { try copy(file, to: destination, mode: 0o644) }
        case .executable:
            if moveIntoPlace { try place(file, at: destination, mode: 0o755) } else { try copy(file, to: destination, mode: 0o755) }
        }
    }

    private func record(_ summary: ExtractionSummary, in result: inout FetchResult) {
        result.files = summary.files
        result.extractedBytes = summary.bytes
        result.defused = summary.defusedSpecialBits
        for entry in summary.defusedSpecialBits {
            logger.warning("dropped setuid/setgid/sticky bits of '\(entry)' (never restored)")
        }
    }

    /// Extracts an archive file into `folder` in the configured mode. Strict mode extracts into a
    /// staging folder inside `folder`, then replaces each top-level entry already there (a rerun
    /// replaces `site/` whole; a failure leaves it as it was, see ``SandboxStaging``); Mesos mode
    /// writes straight into `folder`, overwriting file by file, as Mesos does.
    public func extractArchive(at path: String, name: String, into folder: String) throws -> ExtractionSummary {
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

    /// Inflates a bare `.gz` (what Mesos does with `gunzip -d -c`), under strict limits unless in Mesos mode.
    private func gunzip(_ path: String, to output: String, name: String) throws -> Int64 {
        let input = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        let temporary = try Self.temporaryFile(in: (output as NSString).deletingLastPathComponent)
        defer {
            unlink(temporary)
            TemporaryFiles.shared.unregister(temporary)
        }
        let out = try OwnedFileDescriptor(path: temporary, flags: O_WRONLY)
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
                        let cap = min(limits.maxBytes, limits.maxFileBytes)
                        if written > cap {
                            throw ExtractionViolation(rule: "too-many-bytes", entry: name, reason: "it inflates to more than \(cap) bytes (--max-bytes/--max-file-bytes)").error(archive: name)
                        }
                        if written > limits.ratioFloor, written > limits.maxRatio * max(consumed, 1) {
                            throw ExtractionViolation(rule: "compression-ratio", entry: name, reason: "\(written) bytes came out of \(consumed) compressed bytes, more than \(limits.maxRatio):1 (a decompression bomb?)").error(archive: name)
                        }
                    }
                    try out.writeAll(piece)
                }
            }
        }
        guard atEnd else { throw SitepackError(.corruptArchive, "\(name) is truncated: the gzip stream ends early") }
        try out.close()
        chmod(temporary, 0o644)
        guard rename(temporary, output) == 0 else {
            throw SitepackError(.io, "cannot write \(output): \(String(cString: strerror(errno)))")
        }
        return written
    }

    // MARK: Files

    private func place(_ file: String, at destination: String, mode: mode_t) throws {
        try Self.makeFolder((destination as NSString).deletingLastPathComponent)
        chmod(file, mode)
        guard rename(file, destination) == 0 else {
            throw SitepackError(.io, "cannot move the download to \(destination): \(String(cString: strerror(errno)))")
        }
    }

    private func copy(_ file: String, to destination: String, mode: mode_t) throws {
        let temporary = try Self.temporaryFile(in: options.sandbox)
        defer {
            unlink(temporary)
            TemporaryFiles.shared.unregister(temporary)
        }
        let output = try OwnedFileDescriptor(path: temporary, flags: O_WRONLY)
        let input = try OwnedFileDescriptor(path: file, flags: O_RDONLY)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
            if got == 0 { break }
            try buffer.withUnsafeBytes { try output.writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
        }
        try output.close()
        try place(temporary, at: destination, mode: mode)
    }

    static func makeFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SitepackError(.io, "cannot create folder \(path): \(error.localizedDescription)")
        }
    }

    /// Creates a new, empty hidden temporary file in `folder` (removed on interruption); returns its path.
    static func temporaryFile(in folder: String) throws -> String {
        let (fd, path) = try OwnedFileDescriptor.makeTemporary(template: "\(folder)/.sitepack-download-XXXXXX")
        close(fd)
        TemporaryFiles.shared.register(path)
        return path
    }
}
