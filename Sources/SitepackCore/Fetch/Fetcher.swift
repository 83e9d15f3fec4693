#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging

/// Does what a Mesos agent's fetcher does for each URI — download or copy, name, chmod, extract — and,
/// unless asked for Mesos's exact behaviour, does it safely (see ``SafeExtractor``).
///
/// The jobs are apart: ``FetchPlan`` decides (by ``MesosURI``'s rules), ``FetchDownloader`` gets and
/// checks the bytes (``ExpectedDigest``), ``StreamingExtraction`` extracts while downloading,
/// ``MesosActions`` extracts, gunzips, copies or chmods, ``FetchCache`` keeps downloads.
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
    public func fetchAll(_ uris: [MesosURI]) throws -> [FetchResult] {
        try uris.map { try fetch($0) }
    }

    /// Fetches one URI into the sandbox.
    public func fetch(_ uri: MesosURI) throws -> FetchResult {
        let started = ProgressReporter.now()
        let plan = try FetchPlan(uri, mode: options.mode)
        let expected = try ExpectedDigest(for: plan, given: options.sha256)
        for warning in plan.warnings { logger.warning("\(warning)") }
        let sandbox = options.sandbox
        try MesosActions.makeFolder(sandbox)
        let destination = "\(sandbox)/\(plan.destinationName)"
        var result = FetchResult(uri: uri.value, path: destination, action: plan.action, files: 1, bytes: 0, extractedBytes: 0,
                                 sha256: "", seconds: 0, cache: nil, cacheKey: nil, verified: expected != nil,
                                 defused: [], warnings: plan.warnings)
        let downloader = FetchDownloader(options: options, logger: logger)
        let actions = MesosActions(options: options)

        var probe: CacheSizeProbe?
        if uri.cache || options.cacheAll, case .http(let url) = plan.source {
            // The agent sizes a cached URI with a HEAD first and, when that fails, downloads it uncached.
            probe = try CacheSizeProbe.probe(url)
            result.sizeProbe = probe
            if let problem = probe?.problem {
                logger.warning("\(problem)")
                result.warnings.append(problem)
            }
        }
        if (uri.cache || options.cacheAll) && probe?.bypassesCache != true {
            let cache = try FetchCache(directory: options.cacheDirectory, capacity: options.cacheSize)
            let key = FetchCache.key(uri: uri.value, sha256: expected?.sha256)
            result.cacheKey = expected == nil ? "uri" : "sha256"
            // A miss is checked as it is downloaded, so bytes are never stored under a digest they do not
            // have; a digest-keyed hit is hashed again by the cache, which drops it when it does not match.
            let lease = try cache.entry(key: key, verifying: expected?.sha256) { temporary in
                let fd = try OwnedFileDescriptor(path: temporary, flags: O_RDWR | O_CREAT | O_TRUNC)
                let (digest, _) = try downloader.download(plan, into: fd, checking: expected, cached: true)
                try fd.close()
                return digest
            }
            result.cache = lease.hit ? "hit" : "miss"
            result.sha256 = lease.sha256
            result.bytes = lease.size
            // As Mesos: archives are extracted straight from the cache file and not copied into the sandbox.
            try actions.apply(plan, file: lease.path, destination: destination, moveIntoPlace: false, result: &result)
            if lease.size > cache.capacity { unlink(lease.path) }
        } else {
            var temporary = try TemporaryFile(in: sandbox)
            let fd = temporary.takeDescriptor()
            if StreamingExtraction.applies(to: plan, expected: expected, mode: options.mode) {
                try fd.close()
                let streaming = StreamingExtraction(options: options, downloader: downloader)
                let (digest, size, summary) = try streaming.run(plan, temporary: temporary.path)
                result.sha256 = digest
                result.bytes = size
                result.record(summary)
                try MesosActions.place(temporary.path, at: destination, mode: 0o644)
            } else {
                let (digest, size) = try downloader.download(plan, into: fd, checking: expected, cached: false)
                try fd.close()
                result.sha256 = digest
                result.bytes = size
                try actions.apply(plan, file: temporary.path, destination: destination, moveIntoPlace: true, result: &result)
            }
        }
        if let mismatch = probe?.mismatch(downloaded: result.bytes) {
            logger.warning("\(mismatch)")
            result.warnings.append(mismatch)
        }
        for entry in result.defused {
            logger.warning("dropped setuid/setgid/sticky bits of '\(entry)' (never restored)")
        }
        result.seconds = ProgressReporter.now() - started
        return result
    }

    /// Extracts an archive file into `folder` in the configured mode (see
    /// ``MesosActions/extractArchive(at:name:into:)``).
    public func extractArchive(at path: String, name: String, into folder: String) throws -> ExtractionSummary {
        try MesosActions(options: options).extractArchive(at: path, name: name, into: folder)
    }
}
