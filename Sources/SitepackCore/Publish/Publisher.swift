#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// `sitepack publish`: copies versions from a store into another store, or into a running
/// `sitepack serve` over HTTP.
///
/// Into a folder, each version is added as a build adds one (``ArtifactStore/copyVersion(_:progress:)``:
/// staging folder, flushed files, one rename). Into a server, each version is three `PUT`s with the
/// bearer token, in the order the server completes a version: `content.tar.gz` (checked against its
/// digest on arrival), `content.tar.gz.sha256`, then `manifest.json`, whose answer comes once the
/// version is served. Every request may be repeated, so failures that may pass (transport errors,
/// 5xx but 507) are retried with doubling pauses; refusals (token, size, digest, space) are not.
public struct Publisher: Sendable {
    /// What to publish and where.
    public let options: PublishOptions

    /// A publisher for `options`.
    public init(options: PublishOptions) {
        self.options = options
    }

    /// The versions ``PublishOptions/selection`` names in the source store, in publishing order.
    public func selectedVersions() throws -> [StoredVersion] {
        let source = ArtifactStore(root: options.source)
        guard FileSystem.isDirectory(source.root) else {
            throw SitepackError(.publish, "\(options.source) is not a folder: pass the output folder of sitepack build (a store with sites/<name>/<sha256>/)")
        }
        let names = source.siteNames()
        guard !names.isEmpty else {
            throw SitepackError(.publish, "\(options.source) holds no stored versions: build one first (sitepack build SITE -o \(options.source))")
        }
        switch options.selection {
        case .newest:
            guard let newest = source.newestVersion() else {
                throw SitepackError(.publish, "\(options.source) holds no complete version: build one first (sitepack build SITE -o \(options.source))")
            }
            return [newest]
        case .all:
            return names.flatMap { source.versions(of: $0) }.sorted { $0.addedNanoseconds < $1.addedNanoseconds }
        case .site(let name):
            guard let newest = source.newest(of: name) else {
                throw SitepackError(.publish, "\(options.source) holds no version of \(name); its sites: \(names.joined(separator: ", "))")
            }
            return [newest]
        case .version(let address):
            guard let version = source.versions(of: address.name).first(where: { $0.address == address }) else {
                throw SitepackError(.publish, "\(options.source) holds no version \(address) (list them: ls \(ArtifactAddress.siteFolder(name: address.name, in: source.root)))")
            }
            return [version]
        }
    }

    /// Publishes the selected versions; `published` is called after each one.
    public func run(published: (PublishResult.Item) -> Void = { _ in }) throws -> PublishResult {
        let versions = try selectedVersions()
        let totalBytes = versions.reduce(Int64(0)) { $0 + (FileSystem.status($1.path()).map { Int64($0.st_size) } ?? 0) }
        let progress = ProgressReporter(label: "publishing", totalItems: versions.count, totalBytes: totalBytes, enabled: options.showProgress)
        defer { progress.finish() }
        var items: [PublishResult.Item] = []
        for version in versions {
            let item: PublishResult.Item
            switch options.destination {
            case .store(let path):
                item = try copy(version, into: path, progress: progress)
            case .server(let origin):
                item = try upload(version, to: origin, progress: progress)
            }
            progress.advance(items: 1)
            items.append(item)
            published(item)
        }
        return PublishResult(items: items)
    }

    // MARK: - Into a folder

    private func copy(_ version: StoredVersion, into path: String, progress: ProgressReporter) throws -> PublishResult.Item {
        let destination = ArtifactStore(root: path)
        let source = ArtifactStore(root: options.source)
        if let a = FileSystem.status(source.root), let b = FileSystem.status(destination.root), a.st_dev == b.st_dev, a.st_ino == b.st_ino {
            throw SitepackError(.publish, "\(path) is the source store itself: publish into another folder or a server URL")
        }
        let addition = try destination.copyVersion(version) { progress.advance(bytes: $0) }
        return PublishResult.Item(address: version.address, location: addition.version.path(), bytes: size(of: version),
                                  unchanged: addition.unchanged)
    }

    // MARK: - Into a server

    private func upload(_ version: StoredVersion, to origin: String, progress: ProgressReporter) throws -> PublishResult.Item {
        guard let token = options.token else {
            throw SitepackError(.publishAuth, "publishing to \(origin) needs the server's token: pass --token-file FILE (the file sitepack serve was started with as --publish-token-file)")
        }
        let address = version.address
        let headers = ["Authorization: Bearer \(token.text)", "Expect: 100-continue"]
        let archiveSize = size(of: version)
        let sent = Mutex<Int64>(0)
        let archive = try put(origin + address.urlPath(), body: .file(path: version.path(), length: archiveSize),
                              headers: headers + ["Content-Type: application/gzip"]) { total in
            let delta = sent.withLock { last -> Int64 in
                defer { last = total }
                return total > last ? total - last : 0
            }
            progress.advance(bytes: delta)
        }
        let checksum = try bytes(of: version.path(ArtifactAddress.checksumFile))
        _ = try put(origin + address.urlPath(ArtifactAddress.checksumFile), body: .bytes(checksum),
                    headers: headers + ["Content-Type: text/plain; charset=utf-8"])
        let manifest = try put(origin + address.urlPath(ArtifactAddress.manifestFile),
                               body: .file(path: version.path(ArtifactAddress.manifestFile), length: size(of: version, file: ArtifactAddress.manifestFile)),
                               headers: headers + ["Content-Type: application/json"])
        // The server answers the manifest with the URL agents should use (its advertised origin).
        let said = manifest.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let location = said.hasSuffix(address.urlPath()) && said.contains("://") ? said : origin + address.urlPath()
        return PublishResult.Item(address: address, location: location, bytes: archiveSize,
                                  unchanged: archive.status == 200 && manifest.status == 200)
    }

    private struct Answer {
        var status: Int
        var text: String
    }

    /// One `PUT`, tried again after failures that may pass; a 2xx answer or an error that says what to do.
    private func put(_ url: String, body: HTTPTransfer.RequestBody, headers: [String],
                     progress: (@Sendable (Int64) -> Void)? = nil) throws -> Answer {
        var delay = options.retryDelay
        var attempt = 0
        while true {
            attempt += 1
            let received = Mutex<[UInt8]>([])
            let transfer = HTTPTransfer(put: url, body: body, headers: headers, onUploadProgress: progress)
            let outcome = try transfer.run { chunk in
                received.withLock { if $0.count < 64 * 1024 { $0.append(contentsOf: chunk) } }
            }
            let text = String(decoding: received.withLock { $0 }, as: UTF8.self)
            let retryable: String
            switch outcome {
            case .ok:
                return Answer(status: 200, text: text)
            case .httpStatus(let status, _) where (200..<300).contains(status):
                return Answer(status: status, text: text)
            case .httpStatus(let status, _):
                if let error = refusal(status, url: url, text: text) { throw error }
                retryable = "HTTP \(status): \(text.trimmingCharacters(in: .whitespacesAndNewlines))"
            case .transportError(let message):
                retryable = message
            }
            guard attempt <= options.retries else {
                throw SitepackError(.publish, "PUT \(url) failed \(attempt) times, last: \(retryable); is the server up and reachable? Run the same command again: publishing is idempotent")
            }
            usleep(useconds_t(delay * 1_000_000))
            delay *= 2
        }
    }

    /// The error for an answer that trying again cannot change; nil for one worth retrying.
    private func refusal(_ status: Int, url: String, text: String) -> SitepackError? {
        let said = text.trimmingCharacters(in: .whitespacesAndNewlines)
        switch status {
        case 401:
            return SitepackError(.publishAuth, "\(url): the server wants a token (401): pass --token-file with the file sitepack serve was started with as --publish-token-file")
        case 403:
            return SitepackError(.publishAuth, "\(url): the server refused the token (403): it is not the one in the server's --publish-token-file; nothing was published")
        case 405:
            return SitepackError(.publish, "\(url): the server takes no uploads (405): start sitepack serve with --publish-token-file FILE to publish into it")
        case 413, 422, 409, 507, 400, 404, 417:
            return SitepackError(status == 422 ? .integrity : .publish, "\(url): HTTP \(status): \(said)")
        case 500..<600, 408, 429:
            return nil
        default:
            return SitepackError(.publish, "\(url): unexpected HTTP \(status): \(said)")
        }
    }

    private func size(of version: StoredVersion, file: String = ArtifactAddress.archiveFile) -> Int64 {
        FileSystem.status(version.path(file)).map { Int64($0.st_size) } ?? 0
    }

    private func bytes(of path: String) throws -> [UInt8] {
        let file = try OwnedFileDescriptor(path: path, flags: O_RDONLY)
        var result: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = try file.read(into: buffer)
            if count == 0 { break }
            result.append(contentsOf: buffer[0..<count])
            guard result.count <= StoreUpload.checksumLimit else {
                throw SitepackError(.publish, "\(path) is not a sha256sum line; rebuild the version")
            }
        }
        try file.close()
        return result
    }
}
