#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import Logging

/// Gets a URI's bytes as the Mesos fetcher does — libcurl for http(s) (a final 200 only, the stall
/// timeout), a copy for local files — hashing them as they arrive, with retries after transport errors.
struct FetchDownloader: Sendable {
    /// The options (stall timeout, retries, progress).
    var options: FetchOptions
    /// Where retries are reported.
    var logger: Logger

    /// Downloads the plan's bytes into `fd` and checks them against `expected` (the one digest check
    /// of a fetch); returns (sha256, size). `cached` only shapes the mismatch message.
    func download(_ plan: FetchPlan, into fd: borrowing OwnedFileDescriptor, checking expected: ExpectedDigest?,
                  cached: Bool) throws -> (String, Int64) {
        let (digest, size) = try download(plan, into: fd)
        try expected?.check(digest, cached: cached)
        return (digest, size)
    }

    /// Downloads or copies the plan's source into `fd`, hashing as bytes arrive; returns (sha256, size).
    /// With `tap`, each written byte is published to a reader extracting meanwhile; a transfer that
    /// already published bytes is then not retried (the reader has used them).
    func download(_ plan: FetchPlan, into fd: borrowing OwnedFileDescriptor, tap: GrowingFile? = nil) throws -> (String, Int64) {
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

    /// The progress line of the current attempt, created once the response's length is known.
    private final class ProgressBox {
        var reporter: ProgressReporter?
    }
}
