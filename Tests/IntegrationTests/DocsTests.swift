import Foundation
import SitepackTestSupport
import Testing

/// The docs a newcomer follows: every `docs/….md` the README or the CLI names exists, every command's
/// `--help` names its own page, and the links between the pages lead somewhere.
@Suite("docs: README, docs/*.md and --help point at pages that exist")
struct DocsTests {
    static let root = Subprocess.packageRoot
    static let subcommands = ["build", "serve", "publish", "fetch", "verify", "task", "gc", "launch"]

    static func read(_ relative: String) throws -> String {
        try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
    }

    static func exists(_ relative: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Every `docs/<page>.md` path in a text: not part of a longer path (`sites/docs/…`) or word.
    static func docPaths(in text: String) throws -> Set<String> {
        let pattern = try NSRegularExpression(pattern: #"(?<![A-Za-z0-9_./-])docs/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*\.md(?![A-Za-z0-9_])"#)
        let range = NSRange(text.startIndex..., in: text)
        return Set(pattern.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { String(text[$0]) } })
    }

    /// The Swift files of the CLI target, whose string literals hold the help text.
    static func cliSources() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root + "/Sources/sitepack")
            .filter { $0.hasSuffix(".swift") }.sorted().map { "Sources/sitepack/" + $0 }
    }

    /// The markdown files a reader can reach: README.md and docs/*.md.
    static func markdownFiles() throws -> [String] {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: root + "/docs")) ?? []
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }

    /// GitHub's heading anchors: lower-cased, everything but letters, digits, spaces, `-` and `_`
    /// dropped, each space a `-`; plus explicit `<a id="…">` anchors.
    static func anchors(in markdown: String) -> Set<String> {
        var result: Set<String> = []
        var inFence = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inFence.toggle(); continue }
            if inFence { continue }
            if line.hasPrefix("#") {
                let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
                var slug = ""
                for character in title.lowercased() {
                    if character == " " { slug.append("-") }
                    else if character.isLetter || character.isNumber || character == "-" || character == "_" { slug.append(character) }
                }
                result.insert(slug)
            }
            var rest = Substring(line)
            while let start = rest.range(of: "id=\"") {
                let tail = rest[start.upperBound...]
                guard let end = tail.firstIndex(of: "\"") else { break }
                result.insert(String(tail[..<end]))
                rest = tail[end...]
            }
        }
        return result
    }

    /// Relative link targets of a markdown file (`[text](target)`), outside code fences.
    static func links(in markdown: String) throws -> [String] {
        var prose = ""
        var inFence = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inFence.toggle(); continue }
            if !inFence { prose += line + "\n" }
        }
        let pattern = try NSRegularExpression(pattern: #"\]\(([^)\s]+)\)"#)
        let range = NSRange(prose.startIndex..., in: prose)
        return pattern.matches(in: prose, range: range).compactMap { match in
            Range(match.range(at: 1), in: prose).map { String(prose[$0]) }
        }.filter { !$0.contains("://") && !$0.hasPrefix("mailto:") }
    }

    @Test("every docs/….md the README names exists")
    func readmeDocPathsExist() throws {
        let readme = try Self.read("README.md")
        let paths = try Self.docPaths(in: readme)
        #expect(!paths.isEmpty, "README.md names no docs/….md page")
        for command in Self.subcommands {
            #expect(paths.contains("docs/\(command).md"), "README.md does not link docs/\(command).md")
        }
        for path in paths.sorted() {
            #expect(Self.exists(path), "README.md names \(path), which does not exist")
        }
    }

    @Test("every docs/….md named in the CLI's sources (its help text) exists")
    func cliDocPathsExist() throws {
        let sources = try Self.cliSources()
        #expect(!sources.isEmpty)
        var named = 0
        for file in sources {
            for path in try Self.docPaths(in: Self.read(file)).sorted() {
                named += 1
                #expect(Self.exists(path), "\(file) names \(path), which does not exist")
            }
        }
        #expect(named > 0, "no docs/….md path in Sources/sitepack")
    }

    @Test("sitepack <command> --help names docs/<command>.md, and that page exists", arguments: subcommands)
    func helpNamesItsPage(command: String) throws {
        let page = "docs/\(command).md"
        #expect(Self.exists(page), "\(page) does not exist")
        let help = try Subprocess.sitepack([command, "--help"])
        #expect(help.status == 0, "sitepack \(command) --help exited \(help.status): \(help.stderr)")
        // argument-parser wraps help at spaces, never inside a path.
        #expect(help.stdout.contains(page), "sitepack \(command) --help does not name \(page):\n\(help.stdout)")
        for path in try Self.docPaths(in: help.stdout + help.stderr).sorted() {
            #expect(Self.exists(path), "sitepack \(command) --help names \(path), which does not exist")
        }
    }

    @Test("every relative link in README.md and docs/*.md leads to a file, and to a heading when it names one")
    func relativeLinksResolve() throws {
        for file in try Self.markdownFiles() {
            let text = try Self.read(file)
            let folder = (file as NSString).deletingLastPathComponent
            for link in try Self.links(in: text) {
                let parts = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let target = parts[0].isEmpty ? file : (folder.isEmpty ? parts[0] : folder + "/" + parts[0])
                let normalised = (target as NSString).standardizingPath
                var isDirectory: ObjCBool = false
                let found = FileManager.default.fileExists(atPath: Self.root + "/" + normalised, isDirectory: &isDirectory)
                #expect(found, "\(file) links \(link): \(normalised) does not exist")
                guard found, !isDirectory.boolValue, parts.count == 2, normalised.hasSuffix(".md") else { continue }
                let anchors = Self.anchors(in: try Self.read(normalised))
                #expect(anchors.contains(parts[1]), "\(file) links \(link): no heading #\(parts[1]) in \(normalised)")
            }
        }
    }
}
