import Foundation

/// gitignore-style exclusion rules: `.sitepackignore` lines, `--exclude` globs and the defaults.
///
/// Syntax as git documents it: `#` comments, `!` re-includes, a trailing `/` matches folders only, a
/// pattern with a `/` elsewhere is anchored at the site root, otherwise it matches a name at any
/// depth; `*`, `?`, `[…]` never cross `/`, `**` does. The last matching rule wins, and nothing under
/// an excluded folder can be re-included (git's rule too).
public struct IgnoreRules: Sendable {
    struct Rule: Sendable {
        let pattern: [UInt8]
        let negated: Bool
        let directoryOnly: Bool
        let anchored: Bool
        let origin: String
        /// The byte a matching subject must start with, and the one it must end with, when the
        /// pattern starts or ends with a plain character: most names fail on these at once.
        let first: UInt8?
        let last: UInt8?

        init(pattern: [UInt8], negated: Bool, directoryOnly: Bool, anchored: Bool, origin: String) {
            (self.pattern, self.negated, self.directoryOnly, self.anchored, self.origin) = (pattern, negated, directoryOnly, anchored, origin)
            let special: Set<UInt8> = [0x2a, 0x3f, 0x5b, 0x5d, 0x5c]  // * ? [ ] backslash
            if let head = pattern.first {
                if !special.contains(head) {
                    first = head
                } else if head == 0x5c, pattern.count > 1 {
                    first = pattern[1]  // an escaped character is plain
                } else {
                    first = nil
                }
            } else {
                first = nil
            }
            // A plain last character, not itself escaped (an escaped one is plain too, but rare).
            if let tail = pattern.last, !special.contains(tail), pattern.count < 2 || pattern[pattern.count - 2] != 0x5c {
                last = tail
            } else {
                last = nil
            }
        }
    }

    private var rules: [Rule] = []

    /// Names excluded from every build: VCS folders, OS litter, editor swap files, the ignore file itself.
    public static let defaultPatterns = [".git", ".hg", ".svn", ".DS_Store", "Thumbs.db", "desktop.ini",
                                         "*.swp", "*.swo", "*.swx", "*~", ".#*", "\\#*#", ".sitepackignore"]

    /// The name of the per-site ignore file, read from the site root.
    public static let fileName = ".sitepackignore"

    /// An empty rule set.
    public init() {}

    /// The defaults, then the site's `.sitepackignore` (if it exists), then `--exclude` patterns.
    /// An ignore file that exists but cannot be read or is not UTF-8, or any pattern that cannot be
    /// parsed, is an error naming it: files it meant to exclude must never ship silently.
    public static func forSite(_ siteDirectory: String, excludes: [String]) throws -> IgnoreRules {
        var rules = IgnoreRules()
        try rules.add(lines: defaultPatterns, origin: "default")
        let path = siteDirectory + "/" + fileName
        if FileSystem.status(path) != nil {
            let bytes: [UInt8]
            do {
                bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw SitepackError(.unreadableIgnoreFile, "cannot read \(path): \(error.localizedDescription); fix its permissions, or remove it if nothing should be excluded (nothing was written)")
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw SitepackError(.unreadableIgnoreFile, "\(path) is not valid UTF-8, so its patterns cannot be trusted: save it as UTF-8 (nothing was written)")
            }
            try rules.add(lines: text.components(separatedBy: "\n"), origin: fileName, path: path)
        }
        try rules.add(lines: excludes, origin: "--exclude")
        return rules
    }

    /// Adds the lines of an ignore file (or `--exclude` values), each remembered with `origin` for the
    /// manifest; throws on a pattern that cannot match as written (an unclosed `[` or a trailing `\`),
    /// naming `path` (or the origin) and the line.
    public mutating func add(lines: [String], origin: String, path: String? = nil) throws {
        for (index, raw) in lines.enumerated() {
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            // Trailing spaces are ignored unless escaped.
            while line.hasSuffix(" ") && !line.hasSuffix("\\ ") { line = line.dropLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            var negated = false
            if line.hasPrefix("!") {
                negated = true
                line = line.dropFirst()
            } else if line.hasPrefix("\\!") || line.hasPrefix("\\#") {
                line = line.dropFirst()
            }
            var directoryOnly = false
            if line.hasSuffix("/") {
                directoryOnly = true
                line = line.dropLast()
            }
            var anchored = line.contains("/")
            if line.hasPrefix("/") {
                line = line.dropFirst()
                anchored = true
            }
            if line.isEmpty { continue }
            if let problem = Self.syntaxProblem(Array(line.utf8)) {
                let place = path.map { "\($0) line \(index + 1)" } ?? "\(origin) \(raw)"
                throw SitepackError(.invalidInput, "\(place): pattern \"\(raw)\" \(problem); fix or escape it (nothing was written)")
            }
            rules.append(Rule(pattern: Array(line.utf8), negated: negated, directoryOnly: directoryOnly,
                              anchored: anchored, origin: "\(origin): \(raw)"))
        }
    }

    /// If `path` (relative to the site root, `/`-separated) is excluded, the rule that excluded it.
    public func exclusion(for path: String, isDirectory: Bool) -> String? {
        var path = path
        return path.withUTF8 { full in
            var base = full
            if let slash = full.lastIndex(of: 0x2f) { base = UnsafeBufferPointer(rebasing: full[(slash + 1)...]) }
            var verdict: String?
            for rule in rules {
                if rule.directoryOnly && !isDirectory { continue }
                let subject = rule.anchored ? full : base
                if let first = rule.first, subject.first != first { continue }
                if let last = rule.last, subject.last != last { continue }
                let matched = rule.pattern.withUnsafeBufferPointer { Self.glob($0, 0, subject, 0) }
                if matched { verdict = rule.negated ? nil : rule.origin }
            }
            return verdict
        }
    }

    /// Glob match with gitignore's wildcards; `*`, `?` and classes stop at `/`, `**` does not.
    static func glob(_ p: [UInt8], _ pi: Int, _ s: [UInt8], _ si: Int) -> Bool {
        p.withUnsafeBufferPointer { p in s.withUnsafeBufferPointer { s in glob(p, pi, s, si) } }
    }

    /// ``glob(_:_:_:_:)`` on borrowed bytes.
    static func glob(_ p: UnsafeBufferPointer<UInt8>, _ pi: Int, _ s: UnsafeBufferPointer<UInt8>, _ si: Int) -> Bool {
        var pi = pi
        var si = si
        while pi < p.count {
            let c = p[pi]
            if c == 0x2a { // *
                if pi + 1 < p.count && p[pi + 1] == 0x2a {
                    var next = pi + 2
                    while next < p.count && p[next] == 0x2a { next += 1 }
                    let slashFollows = next < p.count && p[next] == 0x2f
                    if slashFollows {
                        // `**/` matches zero or more whole folders.
                        if glob(p, next + 1, s, si) { return true }
                        var k = si
                        while k < s.count {
                            if s[k] == 0x2f && glob(p, next + 1, s, k + 1) { return true }
                            k += 1
                        }
                        return false
                    }
                    for k in si...s.count where glob(p, next, s, k) { return true }
                    return false
                }
                var k = si
                while true {
                    if glob(p, pi + 1, s, k) { return true }
                    if k >= s.count || s[k] == 0x2f { return false }
                    k += 1
                }
            }
            guard si < s.count else { return false }
            switch c {
            case 0x3f: // ?
                if s[si] == 0x2f { return false }
            case 0x5b: // [
                guard let (matched, end) = matchClass(p, pi, s[si]) else {
                    if s[si] != c { return false }
                    break
                }
                if !matched || s[si] == 0x2f { return false }
                pi = end
                si += 1
                continue
            case 0x5c: // backslash escapes the next character
                if pi + 1 < p.count {
                    pi += 1
                    if s[si] != p[pi] { return false }
                } else if s[si] != c {
                    return false
                }
            default:
                if s[si] != c { return false }
            }
            pi += 1
            si += 1
        }
        return si == s.count
    }

    /// Why a pattern cannot be used as written, or nil: gitignore's matcher never matches an unclosed
    /// `[` class or a pattern ending in a lone `\`, which would let the files it names ship.
    static func syntaxProblem(_ p: [UInt8]) -> String? {
        var i = 0
        while i < p.count {
            switch p[i] {
            case 0x5c: // backslash escapes the next byte
                if i + 1 >= p.count { return "ends in a lone backslash" }
                i += 2
            case 0x5b: // [
                guard let (_, end) = matchClass(p, i, 0) else { return "has a '[' with no closing ']'" }
                i = end
            default:
                i += 1
            }
        }
        return nil
    }

    /// Matches a `[...]` class starting at `p[start]`; returns whether `byte` matched and the index after `]`.
    private static func matchClass(_ p: [UInt8], _ start: Int, _ byte: UInt8) -> (Bool, Int)? {
        p.withUnsafeBufferPointer { matchClass($0, start, byte) }
    }

    private static func matchClass(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ byte: UInt8) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < p.count && (p[i] == 0x21 || p[i] == 0x5e) {
            negate = true
            i += 1
        }
        var matched = false
        var first = true
        while i < p.count {
            if p[i] == 0x5d && !first { return (matched != negate, i + 1) }
            first = false
            var low = p[i]
            if low == 0x5c && i + 1 < p.count {
                i += 1
                low = p[i]
            }
            if i + 2 < p.count && p[i + 1] == 0x2d && p[i + 2] != 0x5d {
                let high = p[i + 2]
                if low <= byte && byte <= high { matched = true }
                i += 3
            } else {
                if low == byte { matched = true }
                i += 1
            }
        }
        return nil
    }
}

extension SitepackError.Code {
    /// A `.sitepackignore` exists but cannot be read as UTF-8 text.
    public static let unreadableIgnoreFile = SitepackError.Code("build.unreadable-ignore-file")
}
