public import Foundation
import Synchronization
import UnixSignals

/// Runs a ``SiteFramework`` against a master through a ``SchedulerClient``: keeps a SUBSCRIBE stream
/// open (resubscribing with backoff and jitter when it drops or goes silent for 5 × the heartbeat
/// interval), feeds its events to the state machine, sends the calls it asks for, and turns SIGINT/SIGTERM
/// and `--timeout` into the state machine's stop and timeout.
public struct SchedulerRunner: Sendable {
    /// What the runner reports while it runs.
    public struct Output: Sendable {
        /// A progress line (state transitions, reconnections).
        public var say: @Sendable (String) -> Void
        /// Every task is ready.
        public var ready: @Sendable ([SiteEndpoint], String) -> Void

        /// Creates the callbacks.
        public init(say: @escaping @Sendable (String) -> Void, ready: @escaping @Sendable ([SiteEndpoint], String) -> Void) {
            self.say = say
            self.ready = ready
        }
    }

    let client: SchedulerClient
    let framework: SiteFramework
    let timeout: Duration
    let output: Output
    let trapSignals: Bool
    /// How long a stop waits for TASK_KILLED before it tears the framework down anyway.
    static let killWait: Duration = .seconds(30)
    /// How often a call refused by a 503 or a connection error is tried.
    static let callAttempts = 5

    /// A runner; `timeout` bounds the wait for every task to be ready (and, for `--kill`, for the teardown).
    public init(client: SchedulerClient, framework: SiteFramework, timeout: Duration, output: Output, trapSignals: Bool = true) {
        self.client = client
        self.framework = framework
        self.timeout = timeout
        self.output = output
        self.trapSignals = trapSignals
    }

    enum Input: Sendable {
        case connected(streamID: String)
        case event(SchedulerEvent)
        case disconnected(String)
        case fatal(SitepackError)
        case signal(String)
        case tick
    }

    /// Shared between the subscription task and the main loop.
    final class Shared: Sendable {
        let subscribeBody: Mutex<Data>
        let streamID = Mutex<String?>(nil)
        let heartbeat = Mutex<Double?>(nil)
        init(subscribeBody: Data) { self.subscribeBody = Mutex(subscribeBody) }
    }

    /// Runs until the framework finishes; returns how it ended.
    public func run() async throws -> SiteFramework.Outcome {
        var machine = framework
        let shared = Shared(subscribeBody: try machine.subscribeCall.body(frameworkID: machine.frameworkID))
        let (inputs, feed) = AsyncStream<Input>.makeStream()
        let client = self.client
        let output = self.output

        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await Self.subscribeLoop(client: client, shared: shared, feed: feed, say: output.say) }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    feed.yield(.tick)
                }
            }
            if trapSignals {
                group.addTask {
                    for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                        feed.yield(.signal(signal == .sigint ? "SIGINT" : "SIGTERM"))
                    }
                }
            }
            defer {
                group.cancelAll()
                feed.finish()
            }
            let started = ContinuousClock.now
            var stopDeadline: ContinuousClock.Instant?
            var timedOut = false
            var lastProblem: String?
            for await input in inputs {
                var actions: [SiteFramework.Action] = []
                switch input {
                case .connected(let streamID):
                    shared.streamID.withLock { $0 = streamID }
                case .event(let event):
                    if case .subscribed(_, let interval) = event { shared.heartbeat.withLock { $0 = interval } }
                    actions = machine.handle(event)
                case .disconnected(let reason):
                    shared.streamID.withLock { $0 = nil }
                    shared.heartbeat.withLock { $0 = nil }
                    lastProblem = reason
                    output.say(machine.frameworkID == nil ? reason : "event stream lost: \(reason)")
                case .fatal(let error):
                    // Nothing can be sent without a subscription: report and end.
                    throw error
                case .signal(let name):
                    output.say("\(name): stopping")
                    if stopDeadline != nil {
                        actions = machine.timedOut(after: "a second signal")
                    } else {
                        stopDeadline = .now + Self.killWait
                        actions = machine.stop()
                    }
                case .tick:
                    if let deadline = stopDeadline, ContinuousClock.now > deadline {
                        output.say("the tasks were not reported killed within \(DurationText.wholeSeconds(Self.killWait)) s: tearing down")
                        actions = machine.timedOut(after: "the kill wait")
                        stopDeadline = .now + Self.killWait
                    } else if !timedOut, !machine.isReady, ContinuousClock.now - started > timeout {
                        timedOut = true
                        if machine.frameworkID == nil || shared.streamID.withLock({ $0 }) == nil && !machine.hasLaunched {
                            throw SitepackError(.masterUnreachable, "no subscription to the master at \(client.master) within \(DurationText.wholeSeconds(timeout)) s (--timeout)\(lastProblem.map { ": \($0)" } ?? ""); check --master and that the master is up")
                        }
                        stopDeadline = .now + Self.killWait
                        actions = machine.timedOut(after: "\(DurationText.wholeSeconds(timeout)) s")
                    }
                }
                for action in actions {
                    switch action {
                    case .say(let line):
                        output.say(line)
                    case .ready(let endpoints):
                        output.ready(endpoints, machine.frameworkID ?? "")
                    case .call(let call):
                        if case .teardown = call {} else if call.type == "SUPPRESS" || call.type == "REVIVE" {
                            shared.subscribeBody.withLock { $0 = (try? machine.subscribeCall.body(frameworkID: machine.frameworkID)) ?? $0 }
                        }
                        try await send(call, frameworkID: machine.frameworkID, shared: shared)
                    case .finish(let outcome):
                        return outcome
                    }
                }
                if case .event(.subscribed) = input {
                    shared.subscribeBody.withLock { $0 = (try? machine.subscribeCall.body(frameworkID: machine.frameworkID)) ?? $0 }
                }
            }
            throw SitepackError(.masterUnreachable, "the scheduler stopped before the framework finished")
        }
    }

    /// Sends one call; a 503 or connection error is retried with backoff, a call refused because the
    /// subscription is gone (403, or no stream id) is dropped: resubscribing reconciles.
    func send(_ call: SchedulerCall, frameworkID: String?, shared: Shared) async throws {
        let body = try call.body(frameworkID: frameworkID)
        var backoff = Backoff(initial: 0.2, maximum: 2)
        for attempt in 1...Self.callAttempts {
            guard let streamID = shared.streamID.withLock({ $0 }) else {
                output.say("\(call.type) not sent: no event stream (it is resubscribing); reconciliation follows")
                return
            }
            do {
                try await client.send(body, type: call.type, streamID: streamID)
                return
            } catch let error as SchedulerClient.Retryable {
                if attempt == Self.callAttempts {
                    output.say("\(call.type) not delivered after \(attempt) attempts: \(error.reason)")
                    return
                }
                try? await Task.sleep(for: .milliseconds(Int(backoff.next() * 1000)))
            } catch let error as SitepackError where error.message.contains(" 403 ") {
                output.say("\(call.type) refused (\(error.message)); reconciliation after resubscribing settles it")
                return
            }
        }
    }

    /// Subscribes, and resubscribes whenever the stream ends, until cancelled.
    static func subscribeLoop(client: SchedulerClient, shared: Shared, feed: AsyncStream<Input>.Continuation, say: @Sendable (String) -> Void) async {
        var backoff = Backoff()
        while !Task.isCancelled {
            let body = shared.subscribeBody.withLock { $0 }
            var reason: String
            do {
                try await client.subscribe(
                    body: body,
                    idleLimit: { shared.heartbeat.withLock { $0 }.map { .milliseconds(Int64(min(max($0, 0.01), 86_400) * 5000)) } ?? .seconds(75) },
                    connected: { feed.yield(.connected(streamID: $0)) },
                    record: { record in
                        feed.yield(.event(try SchedulerEvent(record: record)))
                    }
                )
                reason = "the master closed the event stream"
            } catch let error as SchedulerClient.Retryable {
                reason = error.reason
            } catch let error as SitepackError {
                feed.yield(.fatal(error))
                return
            } catch {
                reason = "\(error)"
            }
            if Task.isCancelled { return }
            if shared.heartbeat.withLock({ $0 }) != nil { backoff.reset() }
            let delay = backoff.next()
            feed.yield(.disconnected(reason + String(format: "; reconnecting in %.1f s", delay)))
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
        }
    }
}
