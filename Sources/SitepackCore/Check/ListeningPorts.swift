import Foundation

/// The TCP ports a process group listens on, read from /proc: so a task serving on the wrong port is
/// named with the port it took ("listens on 8000, not on $PORT0 = 31005").
enum ListeningPorts {
    /// The listening TCP ports of every process in group `pgid` (empty where /proc is unreadable).
    static func of(group pgid: Int32) -> [UInt64] {
        var inodes = Set<String>()
        for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where pid.allSatisfy(\.isNumber) {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "pid (comm)": state ppid pgrp …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[2]) == pgid else { continue }
            let fdFolder = "/proc/\(pid)/fd"
            for fd in (try? FileManager.default.contentsOfDirectory(atPath: fdFolder)) ?? [] {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdFolder)/\(fd)"),
                      target.hasPrefix("socket:[") else { continue }
                inodes.insert(String(target.dropFirst(8).dropLast()))
            }
        }
        guard !inodes.isEmpty else { return [] }
        var ports = Set<UInt64>()
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let columns = line.split(separator: " ")
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                guard columns.count > 9, columns[3] == "0A", inodes.contains(String(columns[9])),
                      let colon = columns[1].lastIndex(of: ":"), let port = UInt64(columns[1][columns[1].index(after: colon)...], radix: 16) else { continue }
                ports.insert(port)
            }
        }
        return ports.sorted()
    }
}
