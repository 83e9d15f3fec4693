#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation

/// The fetcher cache Mesos's docs list as never built: content-keyed (by sha256 when the digest is
/// known — `--sha256` or a content-addressed URL — else by the URI, as Mesos does), size-bounded LRU,
/// and safe for concurrent processes — a per-key `flock` makes a second process wait for the first
/// one's download and then reuse it. An object keyed by its digest is hashed again on every hit, so
/// it is never served stale or damaged; a URI-keyed object is whatever the URI answered first.
///
/// Layout: `DIR/objects/<key>` (the bytes), `DIR/objects/<key>.sha256` (their digest), `DIR/locks/<key>`
/// (lock files), `DIR/.lock` (held while evicting). Recency is the object's mtime, touched on use.
public final class FetchCache {
    /// The cache folder.
    public let directory: String
    /// Most bytes kept (objects in use by another process are never evicted).
    public let capacity: Int64

    /// Opens (creating) a cache folder.
    public init(directory: String, capacity: Int64) throws {
        self.directory = directory
        self.capacity = capacity
        for folder in ["objects", "locks"] {
            do {
                try FileManager.default.createDirectory(atPath: "\(directory)/\(folder)", withIntermediateDirectories: true)
            } catch {
                throw SitepackError(.io, "cannot create cache folder \(directory)/\(folder): \(error.localizedDescription); choose a writable --cache-dir")
            }
        }
    }

    /// The default folder: `$XDG_CACHE_HOME/sitepack/fetch`, else `~/.cache/sitepack/fetch`.
    public static var defaultDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return "\(xdg)/sitepack/fetch" }
        return "\(NSHomeDirectory())/.cache/sitepack/fetch"
    }

    /// The key of a URI: `sha256-<digest>` when the digest is known, else `uri-<sha256 of the URI text>`.
    public static func key(uri: String, sha256: String?) -> String {
        if let sha256 { return "sha256-\(sha256.lowercased())" }
        return "uri-\(SHA256.hash(data: Array(uri.utf8)).hex)"
    }

    /// A held cache entry: the object's path, while a shared lock keeps it from eviction.
    public final class Lease {
        /// The object file.
        public let path: String
        /// Its sha256.
        public let sha256: String
        /// Its size.
        public let size: Int64
        /// Whether it was already cached.
        public let hit: Bool
        private let lockFD: Int32

        init(path: String, sha256: String, size: Int64, hit: Bool, lockFD: Int32) {
            self.path = path
            self.sha256 = sha256
            self.size = size
            self.hit = hit
            self.lockFD = lockFD
        }

        deinit {
            flock(lockFD, LOCK_UN)
            close(lockFD)
        }
    }

    /// Returns the object for `key`, calling `fill(temporaryPath)` to download it (returning its sha256)
    /// when it is missing. Concurrent callers with the same key wait on the lock; one downloads.
    /// With `verifying`, a cached object is hashed again and used only if it has that digest; one that
    /// does not (a damaged file) is dropped and downloaded again.
    public func entry(key: String, verifying expected: String? = nil, fill: (String) throws -> String) throws -> Lease {
        let lockPath = "\(directory)/locks/\(key)"
        let lockFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lockFD >= 0 else {
            throw SitepackError(.io, "cannot open cache lock \(lockPath): \(String(cString: strerror(errno)))")
        }
        while flock(lockFD, LOCK_EX) != 0 {
            if errno != EINTR {
                close(lockFD)
                throw SitepackError(.io, "cannot lock \(lockPath): \(String(cString: strerror(errno)))")
            }
        }
        let objectPath = "\(directory)/objects/\(key)"
        if access(objectPath, F_OK) == 0, let recorded = try? String(contentsOfFile: objectPath + ".sha256", encoding: .utf8) {
            let digest = recorded.trimmingCharacters(in: .whitespacesAndNewlines)
            if let expected, digest != expected.lowercased() || (try? FileDigest.sha256(ofFile: objectPath)) != expected.lowercased() {
                unlink(objectPath)
                unlink(objectPath + ".sha256")
            } else {
                utimensat(AT_FDCWD, objectPath, nil, 0)  // most recently used
                flock(lockFD, LOCK_SH)
                return Lease(path: objectPath, sha256: digest, size: Self.size(of: objectPath), hit: true, lockFD: lockFD)
            }
        }
        let temporary = "\(directory)/objects/.\(key).tmp-\(getpid())"
        TemporaryFiles.shared.register(temporary)
        defer {
            unlink(temporary)
            TemporaryFiles.shared.unregister(temporary)
        }
        let digest: String
        do {
            digest = try fill(temporary)
            try Array((digest + "\n").utf8).withUnsafeBytes { bytes in
                let fd = try OwnedFileDescriptor(path: objectPath + ".sha256", flags: O_WRONLY | O_CREAT | O_TRUNC)
                try fd.writeAll(bytes)
                try fd.close()
            }
            guard rename(temporary, objectPath) == 0 else {
                throw SitepackError(.io, "cannot store \(objectPath) in the cache: \(String(cString: strerror(errno)))")
            }
        } catch {
            flock(lockFD, LOCK_UN)
            close(lockFD)
            throw error
        }
        flock(lockFD, LOCK_SH)
        let lease = Lease(path: objectPath, sha256: digest, size: Self.size(of: objectPath), hit: false, lockFD: lockFD)
        evict(keeping: key)
        return lease
    }

    private static func size(of path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Removes least recently used objects until the total fits `capacity`, skipping objects another
    /// process holds and the one just added.
    public func evict(keeping: String) {
        let globalFD = open("\(directory)/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard globalFD >= 0 else { return }
        defer { close(globalFD) }
        flock(globalFD, LOCK_EX)
        defer { flock(globalFD, LOCK_UN) }
        let objects = "\(directory)/objects"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: objects) else { return }
        var entries: [(name: String, size: Int64, mtime: Double)] = []
        var total: Int64 = 0
        for name in names where !name.hasPrefix(".") && !name.hasSuffix(".sha256") {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: "\(objects)/\(name)") else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            entries.append((name, size, mtime))
            total += size
        }
        for entry in entries.sorted(by: { $0.mtime < $1.mtime }) where total > capacity {
            if entry.name == keeping { continue }
            let lockFD = open("\(directory)/locks/\(entry.name)", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard lockFD >= 0 else { continue }
            if flock(lockFD, LOCK_EX | LOCK_NB) == 0 {
                unlink("\(objects)/\(entry.name)")
                unlink("\(objects)/\(entry.name).sha256")
                total -= entry.size
                flock(lockFD, LOCK_UN)
            }
            close(lockFD)
        }
    }
}
