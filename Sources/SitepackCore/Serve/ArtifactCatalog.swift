public import Logging
public import NIOPosix
import NIOCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The artifacts under the served folder, found by their `manifest.json` files: a store laid out as
/// `sites/<name>/<sha256>/` (what `sitepack build -o DIR` writes), its top-level `DIR/content.tar.gz`
/// links, and any plain build output folder.
///
/// Request handling only reads the current state (``artifacts``, ``artifact(at:)``, ``latest(name:)``),
/// which costs a lock and no I/O. Scans and hashing run on a thread pool the server owns (one thread:
/// scans are serialised by construction), never on an event loop, so publishing a large artifact never
/// stalls a download. Scan requests that arrive while one runs coalesce into a single follow-up scan.
/// A scan swaps in its result only when it is complete, so `latest` keeps naming the previous version
/// until the new one is verified.
public final class ArtifactCatalog: Sendable {
    /// The real path of the served folder.
    public let root: String
    /// After this long without a scan, reading `latest`, `/sites` or a missing artifact kicks one off.
    public static let staleAfter: Duration = .seconds(1)

    private let threadPool: NIOThreadPool
    private let state: Mutex<State>
    private let scanner: Mutex<CatalogScanner>
    private let stopping = Atomic<Bool>(false)
    /// Digests learnt without a scan (an upload hashed its bytes while receiving them), by file identity.
    private let verified = Mutex<[FileIdentity.Content: String]>([:])
    /// The origin `/sites` is rendered with, once the server knows it.
    private let listingOrigin = Mutex<String?>(nil)

    private struct State: ~Copyable {
        var snapshot = CatalogSnapshot.empty
        var running = false
        /// When the last scan finished (nil before the first).
        var finishedAt: ContinuousClock.Instant?
        /// Called when the scan now running finishes.
        var waitingForCurrent: [@Sendable () -> Void] = []
        /// Asked for after the running scan started (it may have missed their change): they need the next one.
        var waitingForNext: [@Sendable () -> Void] = []
        var nextRequested = false
        var stopped = false
    }

    /// A catalog over `root` (already resolved with `realpath`) whose scans run on `threadPool` (started
    /// by the caller). It is empty until the first scan: `await` ``refresh()`` once before serving.
    /// `beforeHashing` is called on the scanner thread with each archive path about to be hashed.
    public init(root: String, logger: Logger, threadPool: NIOThreadPool, beforeHashing: (@Sendable (String) -> Void)? = nil) {
        self.root = root
        self.threadPool = threadPool
        self.state = Mutex(State())
        self.scanner = Mutex(CatalogScanner(root: root, logger: logger, beforeHashing: beforeHashing))
    }

    // MARK: - Reading the current state

    /// Every artifact, sorted by name then newest first.
    public var artifacts: [Artifact] { snapshot.artifacts }

    /// The verified artifact at `address`, from the current state (no I/O, no scan).
    public func artifact(at address: ArtifactAddress) -> Artifact? { snapshot.artifact(at: address) }

    /// The newest verified version of `name` from the current state.
    public func latest(name: String) -> Artifact? { snapshot.versions(of: name).first }

    /// The state request handlers read.
    var snapshot: CatalogSnapshot { state.withLock { $0.snapshot } }

    /// Whether the store holds a version at `address` that a scan should look at: its `manifest.json` is on
    /// disk (one `lstat`) and is not one the last scan refused. True for a version just published, and for
    /// one the state lists whose files changed since it was verified.
    func hasUnscannedStoreVersion(_ address: ArtifactAddress) -> Bool {
        let manifestPath = address.versionFolder(in: root) + "/" + ArtifactAddress.manifestFile
        guard let identity = FileIdentity.ofLink(path: manifestPath), identity.isRegularFile else { return false }
        guard let refused = snapshot.refused[manifestPath] else { return true }
        return !refused.hasSameContent(as: identity)
    }

    // MARK: - Scanning

    /// Tells the next scan the sha256 of a file it has not seen (an upload hashed it while writing it),
    /// so a just-published version is listed without being read again. The scan still checks it against
    /// the manifest and its folder name.
    /// Renders `/sites` for `origin` now and after every scan (the server calls it once it has bound).
    func renderListings(origin: String) {
        listingOrigin.withLock { $0 = origin }
        state.withLock { $0.snapshot = $0.snapshot.rendered(origin: origin) }
    }

    func noteVerified(_ content: FileIdentity.Content, sha256: String) {
        verified.withLock { $0[content] = sha256 }
    }

    /// Scans now (or right after the scan in progress) and returns when a scan that started after this
    /// call has finished.
    public func refresh() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            requestScan { continuation.resume() }
        }
    }

    /// Starts a scan unless one ran within ``staleAfter`` or is running; returns at once.
    func refreshIfStale() {
        let now = ContinuousClock.now
        let start = state.withLock { state -> Bool in
            guard !state.running else { return false }
            if let finished = state.finishedAt, now - finished < Self.staleAfter { return false }
            state.running = true
            return true
        }
        if start { submitScan() }
    }

    /// Asks for a scan that starts after this call; `whenDone` (if any) is called once it finished, on the
    /// scanner thread (or at once, on this thread, after ``stop()``). Returns at once.
    func requestScan(whenDone: (@Sendable () -> Void)? = nil) {
        enum Next { case start, wait, callNow }
        let next = state.withLock { state -> Next in
            if state.stopped { return .callNow }
            if state.running {
                state.nextRequested = true
                if let whenDone { state.waitingForNext.append(whenDone) }
                return .wait
            }
            state.running = true
            if let whenDone { state.waitingForCurrent.append(whenDone) }
            return .start
        }
        switch next {
        case .start: submitScan()
        case .wait: break
        case .callNow: whenDone?()
        }
    }

    /// Stops scanning: a scan in progress gives up at its next file or chunk, and everyone waiting is
    /// called. Later requests are answered from the last state.
    func stop() {
        stopping.store(true, ordering: .releasing)
        let waiting = state.withLock { state -> [@Sendable () -> Void] in
            state.stopped = true
            defer { state.waitingForCurrent = []; state.waitingForNext = [] }
            return state.waitingForCurrent + state.waitingForNext
        }
        for call in waiting { call() }
    }

    private func submitScan() {
        threadPool.submit { workState in
            var snapshot: CatalogSnapshot?
            if case .active = workState, !self.stopping.load(ordering: .relaxed) {
                Self.lowerThreadPriority()
                let verified = self.verified.withLock { verified in
                    defer { verified = [:] }
                    return verified
                }
                snapshot = self.scanner.withLock { scanner in
                    scanner.adopt(verified)
                    return scanner.scan { self.stopping.load(ordering: .relaxed) }
                }
                if let scanned = snapshot, let origin = self.listingOrigin.withLock({ $0 }) {
                    snapshot = scanned.rendered(origin: origin)
                }
            }
            self.scanFinished(with: snapshot)
        }
    }

    /// Publishes a scan's result, calls whoever waited for it and starts the follow-up scan if one was asked for.
    private func scanFinished(with snapshot: CatalogSnapshot?) {
        let (done, again) = state.withLock { state -> ([@Sendable () -> Void], Bool) in
            if let snapshot { state.snapshot = snapshot }
            state.finishedAt = .now
            var done = state.waitingForCurrent
            state.waitingForCurrent = []
            if state.nextRequested, !state.stopped {
                state.waitingForCurrent = state.waitingForNext
                state.waitingForNext = []
                state.nextRequested = false
                return (done, true)
            }
            done += state.waitingForNext
            state.waitingForNext = []
            state.nextRequested = false
            state.running = false
            return (done, false)
        }
        for call in done { call() }
        if again { submitScan() }
    }

    /// The scanner thread yields to the event loops: hashing a large artifact on a busy two-core machine
    /// should take its time rather than theirs. (On Linux the nice value is per thread; `who` 0 is this one.)
    private static func lowerThreadPriority() {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
    }

    /// SHA-256 of a file in hex, or nil if it cannot be read.
    static func sha256(of path: String) -> String? { CatalogScanner.sha256(of: path) }
}
