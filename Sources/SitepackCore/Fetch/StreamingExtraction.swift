#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Strict extraction of an archive while it downloads: the download thread writes into a temporary
/// file that the extractor reads as it grows (``GrowingFile``), so the site is ready about when the
/// last byte arrives. Nothing is committed into the sandbox before the download ended with a 200.
struct StreamingExtraction: Sendable {
    /// The options (sandbox, limits, threads).
    var options: FetchOptions
    /// Who downloads.
    var downloader: FetchDownloader

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
    static func applies(to plan: FetchPlan, expected: ExpectedDigest?, mode: ExtractionMode) -> Bool {
        guard expected == nil, mode == .strict, plan.action == .extract,
              case .http = plan.source else { return false }
        return !plan.destinationName.hasSuffix(".zip")
    }

    /// Downloads into `temporary` on a thread while extracting from it on this one. The extraction is
    /// committed into the sandbox only after the download ended with a 200; on any failure the
    /// download's error (an HTTP status, a stall) is reported in preference to the extractor's.
    func run(_ plan: FetchPlan, temporary: String) throws -> (String, Int64, ExtractionSummary) {
        let growing = GrowingFile()
        let outcome = DownloadOutcome()
        let downloader = self.downloader
        WorkerThreads.spawn {
            do {
                let fd = try OwnedFileDescriptor(path: temporary, flags: O_WRONLY)
                let result = try downloader.download(plan, into: fd, tap: growing)
                try fd.close()
                outcome.set(.success(result))
                growing.finish(error: nil)
            } catch {
                outcome.set(.failure(error))
                growing.finish(error: error)
            }
        }
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
}
