// Fuzz target (a): the archive reader and strict extractor, as `sitepack fetch` runs them on a download,
// and `sitepack verify` on the same bytes.
//
// Each input is written to a file and extracted in strict mode into a fresh folder three levels below
// the input's own scratch folder (so `../`, `../../` and `../../../` escapes land somewhere this checks),
// with the process's working directory in an empty folder beside it. After every input:
// - nothing outside the destination was created or changed (the scratch tree holds exactly the archive,
//   the destination's parents and the destination; the working directory is still empty);
// - a refused or failed archive left the destination empty (no staging folder, nothing half-written);
// - an accepted one holds only folders (0755), regular files (0644/0755) and symlinks that resolve
//   inside the destination, and its top-level names are the ones the summary reports.
// The scratch folder is removed before the next input. Any broken rule is a crash (fatalError).
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SitepackCore

/// One scratch folder for this process (`sitepack-fuzz-archive-XXXXXX` in `$TMPDIR`, which Fuzz/run.sh removes).
private let base: String = {
    var template = Array("\(NSTemporaryDirectory())/sitepack-fuzz-archive-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("cannot create the fuzzer's scratch folder: errno \(errno)") }
    let path = String(cString: made)
    guard mkdir("\(path)/cwd", 0o755) == 0, chdir("\(path)/cwd") == 0 else { fatalError("cannot enter \(path)/cwd: errno \(errno)") }
    return path
}()

/// Small limits, so a decompression bomb costs milliseconds rather than disk (the rules are the same).
private let limits: ExtractionLimits = {
    var limits = ExtractionLimits()
    limits.maxEntries = 2_000
    limits.maxBytes = 8 << 20
    limits.maxFileBytes = 4 << 20
    return limits
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let root = "\(base)/input"
    let archive = "\(root)/archive.bin"
    let destination = "\(root)/d1/d2/dest"
    guard mkdir(root, 0o755) == 0, mkdir("\(root)/d1", 0o755) == 0, mkdir("\(root)/d1/d2", 0o755) == 0,
          mkdir(destination, 0o755) == 0 else { fatalError("cannot create \(destination): errno \(errno)") }
    defer { removeTree(root) }
    let bytes = Data(bytes: data, count: size)
    guard FileManager.default.createFile(atPath: archive, contents: bytes) else { fatalError("cannot write \(archive)") }

    let extracted: ExtractionSummary?
    do {
        extracted = try extract(archive, into: destination)
    } catch is SitepackError {
        extracted = nil
    } catch {
        fatalError("strict extraction threw something other than a SitepackError: \(error)")
    }

    // Outside the destination: exactly what was there before.
    let expected: Set<String> = ["archive.bin", "d1", "d1/d2", "d1/d2/dest"]
    let found = Set(walk(root).filter { !$0.hasPrefix("d1/d2/dest/") })
    if found != expected {
        fatalError("extraction wrote outside its destination: \(found.subtracting(expected).sorted()) appeared, \(expected.subtracting(found).sorted()) vanished")
    }
    if (try? Data(contentsOf: URL(fileURLWithPath: archive))) != bytes { fatalError("extraction changed the archive file itself") }
    if !walk("\(base)/cwd").isEmpty { fatalError("extraction wrote into the working directory: \(walk("\(base)/cwd"))") }
    if Set(walk(base).filter { !$0.contains("/") }) != ["cwd", "input"] { fatalError("extraction wrote beside the scratch folder: \(walk(base).filter { !$0.contains("/") })") }

    let inside = walk(destination)
    guard let summary = extracted else {
        if !inside.isEmpty { fatalError("a refused archive left \(inside.sorted()) in the destination") }
        checkVerify(archive)
        return 0
    }
    let topLevel = inside.filter { !$0.contains("/") }.sorted()
    if topLevel != summary.topLevelNames.sorted() {
        fatalError("the summary names \(summary.topLevelNames) at the top level, the destination holds \(topLevel)")
    }
    for path in inside { checkExtracted(path, in: destination) }
    checkVerify(archive)
    return 0
}

/// Strict extraction exactly as fetch sets it up for a complete file: ``ArchiveSource`` picks parallel
/// inflation for sitepack's blocked gzip, libarchive's filters for anything else.
private func extract(_ archive: String, into destination: String) throws -> ExtractionSummary {
    let fd = open(archive, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { fatalError("cannot open \(archive): errno \(errno)") }
    defer { close(fd) }
    let source = try ArchiveSource.choose(for: .file(fd: fd), path: archive, inflation: .parallel(threads: 2))
    var reader = try source.reader(displayName: "fuzz input")
    let summary = try SafeExtractor(mode: .strict).extract(from: &reader, into: destination, limits: limits)
    _ = consume reader
    return summary
}

/// `sitepack verify` reads the same bytes (its own gzip pass, libarchive's entries); it may only
/// report or throw a SitepackError.
private func checkVerify(_ archive: String) {
    do {
        _ = try ArchiveVerifier.verify(archive: archive, limits: limits)
    } catch is SitepackError {
    } catch {
        fatalError("verify threw something other than a SitepackError: \(error)")
    }
}

/// One extracted item: only folders, regular files and symlinks that stay inside, with normalised modes.
private func checkExtracted(_ relative: String, in destination: String) {
    let path = "\(destination)/\(relative)"
    var info = stat()
    guard lstat(path, &info) == 0 else { fatalError("cannot lstat \(path): errno \(errno)") }
    let mode = info.st_mode & S_IFMT
    let permissions = info.st_mode & 0o7777
    switch mode {
    case S_IFDIR:
        if permissions != 0o755 { fatalError("folder \(relative) has mode \(String(permissions, radix: 8))") }
    case S_IFREG:
        if permissions != 0o644 && permissions != 0o755 { fatalError("file \(relative) has mode \(String(permissions, radix: 8))") }
    case S_IFLNK:
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else {
            fatalError("cannot read the symlink \(relative)")
        }
        if target.hasPrefix("/") { fatalError("symlink \(relative) points to the absolute path \(target)") }
        // Lexically: the link's folder joined with the target may not climb above the destination.
        var depth = relative.split(separator: "/").count - 1
        for part in target.split(separator: "/") where part != "." {
            depth += part == ".." ? -1 : 1
            if depth < 0 { fatalError("symlink \(relative) → \(target) climbs out of the destination") }
        }
        // And as the kernel resolves it, when it resolves at all.
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            let real = String(cString: resolved)
            let root = realpath(destination, nil).map { pointer -> String in defer { free(pointer) }; return String(cString: pointer) } ?? destination
            if real != root && !real.hasPrefix(root + "/") { fatalError("symlink \(relative) resolves to \(real), outside \(root)") }
        }
    default:
        fatalError("\(relative) is neither a folder, a regular file nor a symlink (mode \(String(info.st_mode, radix: 8)))")
    }
}

/// Every path below `folder`, relative to it, never following symlinks.
private func walk(_ folder: String) -> [String] {
    var found: [String] = []
    func visit(_ relative: String) {
        let path = relative.isEmpty ? folder : "\(folder)/\(relative)"
        guard let directory = opendir(path) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." { continue }
            let child = relative.isEmpty ? name : "\(relative)/\(name)"
            found.append(child)
            var info = stat()
            if lstat("\(folder)/\(child)", &info) == 0, info.st_mode & S_IFMT == S_IFDIR { visit(child) }
        }
    }
    visit("")
    return found
}

/// Removes `path` and everything below it (folders made writable first), never following symlinks.
private func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR {
        chmod(path, 0o755)
        for child in walk(path).filter({ !$0.contains("/") }) { removeTree("\(path)/\(child)") }
        if rmdir(path) != 0 { fatalError("cannot remove \(path): errno \(errno)") }
    } else if unlink(path) != 0 {
        fatalError("cannot remove \(path): errno \(errno)")
    }
}
