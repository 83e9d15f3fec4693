import NIOCore
import NIOPosix

/// Everything the server needs to take `PUT /sites/<name>/<sha256>/<file>` from `sitepack publish`: the
/// token, the limits, the store (the served folder) and a thread pool of its own for the blocking file
/// work, so uploads never run on an event loop nor wait behind a catalog scan. Present only when the
/// server was started with a publish token.
struct UploadDoor: Sendable {
    let token: PublishToken
    let store: ArtifactStore
    let maxUpload: Int64
    let minFree: Int64
    let threadPool: NIOThreadPool
    let catalog: ArtifactCatalog
    /// How long the answer to a completing manifest waits for the catalog to list the version.
    let visibleWait: TimeAmount

    /// What a completed upload is answered with, once the version (if it completed one) is visible.
    enum Result: Sendable {
        case done(StoreUpload.Outcome)
        case refused(UploadRefusal)
    }

    /// Runs `finish()` on the pool; a version it completed is handed to the catalog with its digest (so it
    /// is not hashed again) and the result arrives once a scan lists it, or after ``visibleWait``.
    func finish(_ upload: StoreUpload, on eventLoop: any EventLoop) -> EventLoopFuture<Result> {
        let catalog = self.catalog
        let visibleWait = self.visibleWait
        return threadPool.runIfActive(eventLoop: eventLoop) { () -> Result in
            do throws(UploadRefusal) {
                let outcome = try upload.finish()
                if case .published(let version) = outcome, let identity = FileIdentity.ofLink(path: version.path()) {
                    catalog.noteVerified(identity.content, sha256: version.address.sha256)
                }
                return .done(outcome)
            } catch {
                return .refused(error)
            }
        }.flatMap { result in
            guard case .done(.published) = result else { return eventLoop.makeSucceededFuture(result) }
            let promise = eventLoop.makePromise(of: Result.self)
            catalog.requestScan { promise.succeed(result) }
            eventLoop.scheduleTask(in: visibleWait) { promise.succeed(result) }
            return promise.futureResult
        }.flatMapErrorThrowing { error in
            .refused(UploadRefusal(.io, "the server is shutting down (\(error)); retry"))
        }
    }
}
