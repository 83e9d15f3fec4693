import Foundation

/// Chooses the one mtime every entry gets: `SOURCE_DATE_EPOCH` (flag, then environment), else the
/// last commit time of the git repository holding the site, else the newest mtime in the site.
public enum MtimePolicy {
    /// Resolves the mtime for a build.
    public static func resolve(explicit: Int64?, environment: [String: String], siteDirectory: String, newestMtime: Int64) throws -> Manifest.Mtime {
        if let explicit {
            guard explicit >= 0 else {
                throw SitepackError(.invalidInput, "--source-date-epoch \(explicit) is negative: give seconds since 1970-01-01 UTC")
            }
            return .init(epoch: explicit, source: .sourceDateEpoch)
        }
        if let text = environment["SOURCE_DATE_EPOCH"], !text.isEmpty {
            guard let value = Int64(text), value >= 0 else {
                throw SitepackError(.invalidInput, "SOURCE_DATE_EPOCH=\(text) is not a whole number of seconds since 1970: fix or unset it")
            }
            return .init(epoch: value, source: .sourceDateEpoch)
        }
        if let commitTime = lastCommitTime(of: siteDirectory) {
            return .init(epoch: commitTime, source: .git)
        }
        return .init(epoch: newestMtime, source: .newestFile)
    }

    /// The committer time of HEAD in the repository holding `directory`, if git is installed and it is one.
    static func lastCommitTime(of directory: String) -> Int64? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory, "log", "-1", "--format=%ct"]
        var environment = ProcessInfo.processInfo.environment
        for key in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"] { environment.removeValue(forKey: key) }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return Int64(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
