import NIOCore
import NIOPosix

/// The event-loop half of one upload: hands the body to a ``StoreUpload`` on the upload pool as it
/// arrives, one write at a time, and tells the connection when it may read more. At most one write runs
/// and at most ``highWater`` bytes wait for it, so a fast client is held back by TCP (the connection stops
/// reading) instead of filling memory, and the event loop never touches the disk.
///
/// Used only on its connection's event loop.
final class UploadStream {
    let target: Responder.UploadTarget
    private let eventLoop: any EventLoop
    private var upload: StoreUpload?
    private var pending: ByteBuffer?
    private var working = false
    private var ended = false
    private var settled = false
    /// Body bytes received so far.
    private(set) var received: Int64 = 0

    /// Bytes allowed to wait for the disk before the connection stops reading.
    static let highWater = 256 * 1024

    /// Called once the file is open (send `100 Continue` then).
    var onOpened: () -> Void = {}
    /// Called once with the outcome; `complete` says whether the whole body was read (the connection may be kept).
    var onSettled: (UploadDoor.Result, _ complete: Bool) -> Void = { _, _ in }
    /// Called when the stream can take more bytes after it could not.
    var onDrained: () -> Void = {}

    init(target: Responder.UploadTarget, eventLoop: any EventLoop) {
        self.target = target
        self.eventLoop = eventLoop
    }

    /// Whether the connection should read more of the body now.
    var wantsData: Bool { !settled && !working && upload != nil && (pending?.readableBytes ?? 0) < Self.highWater }

    /// Whether the outcome is known (the rest of the body, if any, is not wanted).
    var isSettled: Bool { settled }

    /// Opens the temporary file on the pool (checking free space for the announced length).
    func start() {
        working = true
        let (door, target) = (target.door, target)
        door.threadPool.runIfActive(eventLoop: eventLoop) {
            try StoreUpload(store: door.store, address: target.address, file: target.file,
                            expectedLength: target.expectedLength, minimumFree: door.minFree)
        }.assumeIsolated().whenComplete { result in
            self.working = false
            switch result {
            case .success(let upload):
                guard !self.settled else { return self.discard(upload) }
                self.upload = upload
                self.onOpened()
                self.pump()
            case .failure(let error):
                self.settle(.refused(error as? UploadRefusal ?? UploadRefusal(.io, "\(error)")), complete: false)
            }
        }
    }

    /// The next piece of the body.
    func receive(_ buffer: ByteBuffer) {
        guard !settled else { return }
        received += Int64(buffer.readableBytes)
        if received > target.door.maxUpload || target.expectedLength.map({ received > $0 }) == true {
            settle(.refused(UploadRefusal(.tooLarge, "the body is larger than \(target.door.maxUpload) bytes, the most this server takes (--max-upload)")), complete: false)
            return
        }
        if pending == nil {
            pending = buffer
        } else {
            var buffer = buffer
            pending?.writeBuffer(&buffer)
        }
        pump()
    }

    /// The body is complete.
    func end() {
        guard !settled else { return }
        ended = true
        pump()
    }

    /// The connection went away: the upload is dropped, and nothing it wrote is kept.
    func cancel() {
        guard !settled else { return }
        settled = true
        if !working, let upload { discard(upload) }
    }

    private func pump() {
        guard !settled, !working, let upload else { return }
        let door = target.door
        if let chunk = pending, chunk.readableBytes > 0 {
            pending = nil
            working = true
            door.threadPool.runIfActive(eventLoop: eventLoop) {
                try chunk.withUnsafeReadableBytes { bytes throws(UploadRefusal) in try upload.append(bytes) }
            }.assumeIsolated().whenComplete { result in
                self.working = false
                if self.settled { return self.discard(upload) }
                switch result {
                case .success:
                    self.pump()
                    if self.wantsData { self.onDrained() }
                case .failure(let error):
                    self.settle(.refused(error as? UploadRefusal ?? UploadRefusal(.io, "\(error)")), complete: false)
                }
            }
        } else if ended {
            working = true
            door.finish(upload, on: eventLoop).assumeIsolated().whenComplete { result in
                self.working = false
                guard !self.settled else { return }
                switch result {
                case .success(let outcome): self.settle(outcome, complete: true)
                case .failure(let error): self.settle(.refused(UploadRefusal(.io, "\(error)")), complete: true)
                }
            }
        }
    }

    private func settle(_ result: UploadDoor.Result, complete: Bool) {
        guard !settled else { return }
        settled = true
        pending = nil
        if !working, let upload, !complete { discard(upload) }
        onSettled(result, complete)
    }

    /// Removes what an unfinished upload wrote (on the pool: unlink is file I/O).
    private func discard(_ upload: StoreUpload) {
        target.door.threadPool.submit { _ in upload.abandon() }
    }
}
