import NIOCore

/// One small file held in memory with its rendered validators.
struct CachedFile {
    /// The served file relative to the root (after `index.html` resolution).
    var relativePath: String
    var identity: FileIdentity
    var body: ByteBuffer
    var representation: Representation
    /// `NIODeadline.now().uptimeNanoseconds` when `identity` was last confirmed by `stat`.
    var validatedAt: UInt64
}

/// Small hot files kept in memory per event loop, so a 1 KiB request costs no open/stat/read/close.
/// An entry is revalidated with one `stat` when it is more than a second old; a changed or vanished
/// file drops it. The cache stops admitting files when its byte budget is spent.
final class SmallFileCache {
    private var entries: [String: CachedFile] = [:]
    private var bytes = 0
    private let limitBytes: Int

    init(limitBytes: Int) { self.limitBytes = limitBytes }

    /// The entry for a request key, revalidated if older than a second.
    func lookup(_ key: String, folder: ServedFolder, now: UInt64) -> CachedFile? {
        guard var entry = entries[key] else { return nil }
        if now &- entry.validatedAt < 1_000_000_000 { return entry }
        guard let current = folder.identity(of: entry.relativePath), current == entry.identity else {
            remove(key)
            return nil
        }
        entry.validatedAt = now
        entries[key] = entry
        return entry
    }

    /// Adds an entry if the budget allows.
    func insert(_ key: String, _ entry: CachedFile) {
        let size = entry.body.readableBytes + key.utf8.count + 256
        if let old = entries[key] { bytes -= old.body.readableBytes + key.utf8.count + 256 }
        guard bytes + size <= limitBytes else {
            entries[key] = nil
            return
        }
        entries[key] = entry
        bytes += size
    }

    private func remove(_ key: String) {
        if let old = entries.removeValue(forKey: key) { bytes -= old.body.readableBytes + key.utf8.count + 256 }
    }
}

/// What the response headers say about a file body: validators, type, caching.
struct Representation {
    var length: Int64
    var etag: String
    var lastModified: Int64
    var lastModifiedText: String
    var contentType: String
    var cacheControl: String?
}
