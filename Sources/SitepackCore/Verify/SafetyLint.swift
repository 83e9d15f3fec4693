import Foundation

/// `sitepack verify`'s safety lint: what strict fetch would refuse (through the same
/// ``ExtractionPolicy``) and what trips Mesos's fetcher, entry by entry, then over the whole layout.
struct SafetyLint {
    private var policy: ExtractionPolicy
    /// Headers checked so far.
    private(set) var entryCount = 0
    private var topFolders: Set<String> = []
    private var rootEntries: [String] = []
    /// The limits strict fetch would extract under.
    let limits: ExtractionLimits

    /// A lint for one archive under `limits` (strict fetch's defaults unless told). The entry limit is
    /// reported as a finding, not thrown, so every entry is still read.
    init(limits: ExtractionLimits = ExtractionLimits()) {
        self.limits = limits
        var unbounded = limits
        unbounded.maxEntries = Int.max
        policy = ExtractionPolicy(limits: unbounded)
    }

    /// Checks one header in archive order, appending what it breaks; returns the entry's normalized
    /// path ("" for the `.` entry and for names the policy cannot normalize).
    mutating func check(_ header: ArchiveEntryHeader, into findings: inout [VerifyFinding]) throws -> String {
        entryCount += 1
        let name = header.path
        if entryCount == limits.maxEntries + 1 {
            findings.append(VerifyFinding(.error, .unsafe, "too-many-entries", name, "the archive has more than \(limits.maxEntries) entries, strict fetch's limit", "pack fewer files, or fetch with --max-files"))
        }
        if !name.unicodeScalars.allSatisfy(\.isASCII) {
            findings.append(VerifyFinding(.error, .unsafe, "non-ascii-name", name, "the name is not ASCII; Mesos's fetcher runs libarchive in the C locale and fails on it (MESOS-9393)", "rename the file to ASCII"))
        }
        if name == "." || name == "./" {
            findings.append(VerifyFinding(.warning, .lint, "dot-entry", name, "a '.' entry makes Mesos apply its mode and mtime to the sandbox folder itself", "pack the folder's contents by name (tar -C dir -czf x.tgz site), or use sitepack build"))
        }
        let normalized = try checkPolicy(header, into: &findings)
        if !normalized.isEmpty {
            let parts = normalized.split(separator: "/")
            if parts.count == 1 && header.kind != .directory { rootEntries.append(name) }
            if let top = parts.first { topFolders.insert(String(top)) }
        }
        return normalized
    }

    /// Strict fetch's own rules; a refusal becomes an `unsafe` error, dropped special bits a warning.
    private mutating func checkPolicy(_ header: ArchiveEntryHeader, into findings: inout [VerifyFinding]) throws -> String {
        let name = header.path
        do {
            let accepted = try policy.check(header)
            if accepted.droppedSpecialBits {
                findings.append(VerifyFinding(.warning, .lint, "special-bits", name, String(format: "mode %04o has setuid/setgid/sticky bits; they are never restored", header.permissions), "chmod the file to 0644 or 0755 before packing"))
            }
            return accepted.path
        } catch let violation as ExtractionViolation {
            findings.append(VerifyFinding(.error, .unsafe, violation.rule, name, "strict fetch refuses it: \(violation.reason)", Self.fix(for: violation.rule)))
            return (try? ExtractionPolicy.normalize(name, entry: name, what: "name")) ?? ""
        }
    }

    /// After the last entry: the files' total size against the byte limit (`bytes`, as read).
    func checkTotal(bytes: Int64, into findings: inout [VerifyFinding]) {
        if bytes > limits.maxBytes {
            findings.append(VerifyFinding(.error, .unsafe, "too-many-bytes", nil, "the files hold \(bytes) bytes, more than strict fetch's limit of \(limits.maxBytes)", Self.fix(for: "too-many-bytes")))
        }
    }

    /// After the last entry: everything under one top folder, with an `index.html` there.
    func checkLayout(paths: Set<String>, into findings: inout [VerifyFinding]) {
        guard entryCount > 0 else { return }
        if topFolders.count > 1 || !rootEntries.isEmpty {
            let list = topFolders.sorted().prefix(5).joined(separator: ", ")
            findings.append(VerifyFinding(.warning, .lint, "outside-top-folder", rootEntries.first, "entries are not all under one top folder (found: \(list)); Mesos extracts them straight into the sandbox root, beside stdout and stderr", "put the site under one folder, e.g. site/ (sitepack build --prefix site)"))
        }
        if let top = topFolders.sorted().first, topFolders.count == 1, !paths.contains("\(top)/index.html") {
            findings.append(VerifyFinding(.warning, .lint, "no-index", nil, "there is no \(top)/index.html, so the site's root URL will not answer", "add an index.html at the top of the site"))
        }
    }

    /// How to fix an archive that breaks `rule`.
    static func fix(for rule: String) -> String {
        switch rule {
        case "absolute-path", "dot-dot", "backslash", "empty-name", "nul", "name-too-long":
            return "pack files by relative names under one folder (sitepack build does)"
        case "symlink-escape":
            return "replace the symlink by a copy of its target, or point it to a relative path inside the site"
        case "hardlink-outside":
            return "store the file itself instead of a hard link"
        case "special-file", "sparse":
            return "remove devices, FIFOs, sockets and sparse files from the site folder"
        case "duplicate-path":
            return "pack each path once"
        case "too-deep":
            return "flatten the site's folders"
        case "file-too-large", "too-many-bytes", "too-many-entries", "compression-ratio":
            return "pack less, or fetch with higher --max-files/--max-bytes/--max-file-bytes/--max-ratio"
        default:
            return "rebuild the archive with sitepack build"
        }
    }
}
