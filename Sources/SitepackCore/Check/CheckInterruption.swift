#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// Ctrl-C (SIGINT) or SIGTERM during `check`: stop the task's process group as the kill policy says,
/// remove the sandbox unless kept, and exit with 128 + the signal, leaving no process behind.
final class CheckInterruption: Sendable {
    /// What to clean up if a signal arrives now.
    struct State: Sendable {
        var group: pid_t?
        var grace: Duration = .seconds(3)
        var workDirectory: String?
        var keep = false
        var interrupted = false
    }

    static let shared = CheckInterruption()

    private let state = Mutex(State())
    private let sources = Mutex<[any DispatchSourceSignal]>([])

    /// Installs the handlers (once).
    func install() {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [self] in self.interrupted(by: number) }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Changes what a signal would clean up.
    func update(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }

    /// Once a signal arrived, the handler cleans up and exits: whoever finishes the check meanwhile
    /// (a task that died of the handler's SIGTERM looks like a failure) must not exit first.
    func waitIfInterrupted() {
        while state.withLock({ $0.interrupted }) { usleep(100_000) }
    }

    private func interrupted(by number: Int32) -> Never {
        let current = state.withLock { state -> State in
            state.interrupted = true
            return state
        }
        if let group = current.group {
            LocalAgent.stop(group: group, grace: min(current.grace, .seconds(10)))
        }
        if let work = current.workDirectory, !current.keep { try? FileSystem.removeTree(work) }
        _exit(128 + number)
    }
}
