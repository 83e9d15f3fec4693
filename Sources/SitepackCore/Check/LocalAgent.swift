#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The parts of a Mesos agent and its command executor that `check` plays: the sandbox folder, the
/// environment the executor gives a command task (mesos.md §1.9), starting the command in a process
/// group of its own with `stdout`/`stderr` in the sandbox, and stopping it as the kill policy says.
public struct LocalAgent: Sendable {
    /// The temporary folder holding the agent's work dir (removed at the end unless kept).
    public let workDirectory: String
    /// The task's sandbox: `<work>/slaves/<agent>/frameworks/<framework>/executors/<task>/runs/<container>`.
    public let sandbox: String

    /// `MESOS_AGENT_ENDPOINT` of the pretend agent.
    public static let agentEndpoint = "127.0.0.1:5051"
    /// The PATH a task gets when the agent has none.
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Makes a fresh work dir under the system temp folder and the task's sandbox in it (mode 0755).
    public init(task: LocalTask) throws {
        let base = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
        workDirectory = try FileSystem.makeTemporaryDirectory(template: base + "/sitepack-check-XXXXXX")
        chmod(workDirectory, 0o755)
        let container = UUID().uuidString.lowercased()
        let executorFolder = "\(workDirectory)/slaves/\(task.agentID)/frameworks/\(task.frameworkID)/executors/\(task.taskID)"
        sandbox = "\(executorFolder)/runs/\(container)"
        try FileSystem.makeDirectories(sandbox)
        chmod(sandbox, 0o755)
        symlink(container, "\(executorFolder)/runs/latest")
        for file in ["stdout", "stderr"] {
            let fd = open("\(sandbox)/\(file)", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if fd >= 0 { close(fd) }
        }
    }

    /// Appends a line to the sandbox's `stderr` (the fetcher's log lines come first there, as on an agent).
    public func log(_ line: String) {
        let fd = open("\(sandbox)/stderr", O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// The environment the command executor gives a command task (mesos.md §1.9): the agent's executor
    /// variables, `MESOS_ALLOCATION_ROLE`, PATH, then the task's own variables, which win.
    public func environment(for task: LocalTask) -> [(name: String, value: String)] {
        var list: [(name: String, value: String)] = [
            ("MESOS_FRAMEWORK_ID", task.frameworkID),
            ("MESOS_EXECUTOR_ID", task.taskID),
            ("MESOS_DIRECTORY", sandbox),
            ("MESOS_SANDBOX", sandbox),
            ("MESOS_SLAVE_ID", task.agentID),
            ("MESOS_SLAVE_PID", "slave(1)@\(Self.agentEndpoint)"),
            ("MESOS_AGENT_ENDPOINT", Self.agentEndpoint),
            ("MESOS_CHECKPOINT", "0"),
            ("MESOS_HTTP_COMMAND_EXECUTOR", "0"),
            ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "5secs"),
            ("LIBPROCESS_PORT", "0"),
            ("MESOS_ALLOCATION_ROLE", task.role),
            ("PATH", ProcessInfo.processInfo.environment["PATH"] ?? Self.defaultPath),
        ]
        for variable in task.environment {
            list.removeAll { $0.name == variable.name }
            list.append(variable)
        }
        return list
    }

    /// Starts the task's command as the command executor does: `/bin/sh -c value` (or `value` with
    /// `arguments` when `shell` is false), cwd = sandbox, stdout/stderr appended to the sandbox's files,
    /// in a new session (its own process group), signals at their defaults. Returns the process id,
    /// which is also the process group id.
    public func launch(_ task: LocalTask) throws -> Int32 {
        let program: String
        let argv: [String]
        if task.shell {
            program = "/bin/sh"
            argv = ["sh", "-c", task.value ?? ""]
        } else {
            guard let value = task.value else {
                throw SitepackError(.checkFailed, "command.value is missing: with shell: false it names the program to run")
            }
            program = value
            argv = task.arguments.isEmpty ? [value] : task.arguments
        }
        let environment = self.environment(for: task).map { "\($0.name)=\($0.value)" }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "\(sandbox)/stdout", O_WRONLY | O_APPEND | O_CREAT, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "\(sandbox)/stderr", O_WRONLY | O_APPEND | O_CREAT, 0o644)
        _ = spawnAddChdir(&actions, sandbox)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The parent ignores SIGINT/SIGTERM/SIGPIPE (signal handling through dispatch); ignored
        // dispositions survive exec, so reset every signal and unblock them all.
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(Self.spawnSetSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var pid: pid_t = 0
        let status = Self.withCStrings(argv) { cArgv in
            Self.withCStrings(environment) { cEnvironment in
                task.shell || program.contains("/")
                    ? posix_spawn(&pid, program, &actions, &attributes, cArgv, cEnvironment)
                    : posix_spawnp(&pid, program, &actions, &attributes, cArgv, cEnvironment)
            }
        }
        guard status == 0 else {
            throw SitepackError(.checkFailed, "cannot start \(program): \(String(cString: strerror(status)))")
        }
        return pid
    }

    /// Stops the task as the command executor does: SIGTERM to the process group, SIGKILL after
    /// `grace`; reaps the leader. Returns whether SIGKILL was needed.
    @discardableResult
    public static func stop(group pid: Int32, grace: Duration) -> Bool {
        kill(-pid, SIGTERM)
        if waitForGroup(pid, within: grace) { return false }
        kill(-pid, SIGKILL)
        _ = waitForGroup(pid, within: .seconds(10))
        return true
    }

    /// Waits until no process of the group is left, or `limit` passes. Reaps every ended child in the
    /// group: the leader, and, when ``becomeSubreaper()`` was called, the group's orphans too (a forking
    /// server's workers), which would otherwise stay zombies — and the group alive — until PID 1 reaps them.
    static func waitForGroup(_ pid: pid_t, within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while true {
            var status: Int32 = 0
            while waitpid(-pid, &status, WNOHANG) > 0 {}
            if kill(-pid, 0) != 0 && errno == ESRCH { return true }
            if ContinuousClock.now >= deadline { return false }
            usleep(5_000)
        }
    }

    /// Makes this process the reaper of its descendants' orphans (`PR_SET_CHILD_SUBREAPER`), as an
    /// agent's containerizer is for its tasks, so a task's forked workers are reaped when stopped. For a
    /// process that starts tasks and nothing else it does not wait for (the `check` command).
    public static func becomeSubreaper() {
        _ = setChildSubreaper(36 /* PR_SET_CHILD_SUBREAPER */, 1, 0, 0, 0)
    }

    /// The exit description of the leader if it has ended (reaping it), else nil.
    public static func exited(_ pid: Int32) -> String? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return result < 0 && errno == ECHILD ? "ended" : nil }
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        return "was killed by signal \(signal)"
    }

    /// The last `count` lines of the sandbox's `stderr`.
    public func stderrTail(_ count: Int = 10) -> [String] {
        guard let data = FileManager.default.contents(atPath: "\(sandbox)/stderr") else { return [] }
        let lines = String(decoding: data.suffix(16 * 1024), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        return lines.suffix(count).map(String.init)
    }

    /// Removes the work dir.
    public func remove() {
        try? FileSystem.removeTree(workDirectory)
    }

    /// glibc's POSIX_SPAWN_SETSID (spawn.h, a GNU extension the Glibc module does not export).
    static let spawnSetSID: Int32 = 0x80

    /// A NULL-terminated `char *[]` of `strings` for the duration of `body`.
    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { (pointers + index).initialize(to: strdup(string)) }
        (pointers + strings.count).initialize(to: nil)
        defer {
            for index in 0..<strings.count { free(pointers[index]) }
            pointers.deallocate()
        }
        return body(pointers)
    }
}

/// prctl(2) with integer arguments (variadic in C; the Glibc module does not import it).
@_silgen_name("prctl")
private func setChildSubreaper(_ option: Int32, _ arg2: UInt, _ arg3: UInt, _ arg4: UInt, _ arg5: UInt) -> Int32

/// glibc ≥ 2.29's posix_spawn_file_actions_addchdir_np (a GNU extension the Glibc module does not export).
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func spawnAddChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32

extension SitepackError.Code {
    /// `sitepack check` could not do a step.
    public static let checkFailed = SitepackError.Code("check.failed")
}
