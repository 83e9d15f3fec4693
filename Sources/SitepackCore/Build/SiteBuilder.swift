#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Foundation
import Crypto

/// Packs a site folder into `content.tar.gz`, `content.tar.gz.sha256` and `manifest.json`, following
/// the archive contract of DESIGN.md. Files are read once: each is hashed for the manifest while its
/// bytes stream through the tar writer, the tar stream is hashed, and 2 MiB blocks are compressed on
/// every core. Nothing in the output folder changes unless the whole build succeeds.
public struct SiteBuilder {
    /// The archive's file name.
    public static let archiveName = ArtifactAddress.archiveFile

    private let options: BuildOptions

    /// Prepares a build; nothing is read until `build()`.
    public init(options: BuildOptions) {
        self.options = options
    }

    /// Runs the build, writing the three files into `directory` (default: the output folder) and
    /// reporting progress to `progress` when given. The output folder is left out of the site either way.
    public func build(into directory: String? = nil, progress: ProgressReporter? = nil) throws -> BuildResult {
        let started = Date()
        guard (1...9).contains(options.level) else {
            throw SitepackError(.invalidInput, "--level \(options.level) is out of range: use 1 (fastest) to 9 (smallest)")
        }
        let name = try resolvedName()
        try Self.validatePrefix(options.prefix)

        let outputDirectory = absolute(options.outputDirectory)
        let rules = try IgnoreRules.forSite(options.siteDirectory, excludes: options.excludes)
        let scanner = SiteScanner(root: options.siteDirectory, prefix: options.prefix, rules: rules,
                                  outputDirectory: realOutputDirectory(outputDirectory),
                                  followSymlinks: options.followSymlinks, allowUnicode: options.allowUnicode,
                                  threads: options.threads)
        let scan = try scanner.scan()
        let entries = scan.entries
        let mtime = try MtimePolicy.resolve(explicit: options.sourceDateEpoch, environment: options.environment,
                                            siteDirectory: options.siteDirectory, newestMtime: scan.newestMtime)

        let writeDirectory = directory.map(absolute) ?? outputDirectory
        let output = try AtomicOutput(directory: writeDirectory)
        defer { output.abandon() }
        let archiveFD = try output.create(Self.archiveName)
        var totalBytes: Int64 = 0
        var fileCount = 0
        var largestFile: Int64 = 0
        var depth = 0
        for index in entries.indices {
            depth = max(depth, entries.depth(at: index))
            guard let size = entries.fileSize(at: index) else { continue }
            totalBytes += size
            fileCount += 1
            largestFile = max(largestFile, size)
        }
        let reporter = progress
        reporter?.setTotals(items: fileCount, bytes: totalBytes)

        var archiveHasher = SHA256()
        let (archiveRawFD, archiveTemporaryPath) = (archiveFD.rawValue, archiveFD.path)
        let gzip = try ParallelGzipWriter(level: options.level, threads: options.threads) { member in
            archiveHasher.update(bufferPointer: member)
            try OwnedFileDescriptor.writeAll(member, to: archiveRawFD, path: archiveTemporaryPath)
        }
        defer { gzip.cancel() }
        var tarHasher = SHA256()
        var tarSize: Int64 = 0
        var tar = try TarStreamWriter(mtime: mtime.epoch) { bytes in
            tarHasher.update(bufferPointer: bytes)
            tarSize += Int64(bytes.count)
            try gzip.write(bytes)
        }

        // The files' digests, 32 bytes each in archive order: the one record a file keeps until the manifest.
        var digests = [UInt8]()
        digests.reserveCapacity(fileCount * 32)
        let readAhead = FileReadAhead(entries: entries, threads: options.threads)
        defer { readAhead.cancel() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var fileNumber = 0
        for index in entries.indices {
            let (kind, mode) = entries.tarHeader(at: index)
            try entries.withArchivePath(at: index) { try tar.writeHeader(path: $0, kind: kind, mode: mode) }
            guard case .file(let size) = kind else { continue }
            let digest: SHA256Digest
            if let loaded = try readAhead.take(fileNumber) {
                defer { loaded.bytes.deallocate() }
                try tar.writeData(UnsafeRawBufferPointer(loaded.bytes))
                reporter?.advance(bytes: Int64(loaded.bytes.count))
                reporter?.advance(items: 1)
                digest = loaded.digest
            } else {
                digest = try Self.copyFile(entries[index], size: size, into: &tar, buffer: buffer, progress: reporter)
            }
            digests.append(contentsOf: digest)
            fileNumber += 1
        }
        readAhead.cancel()
        try tar.finish()
        try gzip.finish()
        try archiveFD.sync()
        let archiveSize = gzip.compressedBytes
        try archiveFD.close()
        let archiveDigest = archiveHasher.finalize().hex

        let manifest = Manifest(
            name: name, sitepackVersion: SitepackVersion.current, prefix: options.prefix,
            archive: .init(file: Self.archiveName, sha256: archiveDigest, size: archiveSize),
            tar: .init(sha256: tarHasher.finalize().hex, size: tarSize),
            fileCount: fileCount, totalBytes: totalBytes, files: [], excluded: scan.excluded, mtime: mtime,
            compressor: .init(name: "libdeflate", version: DeflateLibrary.libdeflateVersion, level: options.level,
                              format: "gzip-members", blockSize: BlockedGzip.defaultBlockSize))
        try output.write(ArtifactAddress.checksumFile, contents: Array(ArtifactAddress.checksumLine(sha256: archiveDigest).utf8))
        try writeManifest(manifest, entries: entries, digests: digests, into: output)
        try output.commit()
        reporter?.finish()
        let extent = ExtractionExtent(entries: entries.count, bytes: totalBytes, largestFile: largestFile, depth: depth, compressedBytes: archiveSize)
        return BuildResult(manifest: manifest, archivePath: (writeDirectory as NSString).appendingPathComponent(Self.archiveName),
                           manifestPath: (writeDirectory as NSString).appendingPathComponent(Manifest.fileName),
                           seconds: Date().timeIntervalSince(started), warnings: Self.limitWarnings(extent))
    }

    /// Streams `manifest.json` into `output`, its file list from `entries` and `digests` (32 bytes a file, in order).
    private func writeManifest(_ manifest: Manifest, entries: SiteEntries, digests: [UInt8], into output: AtomicOutput) throws {
        let file = try output.create(Manifest.fileName)
        let (raw, path) = (file.rawValue, file.path)
        var writer = ManifestWriter { try OwnedFileDescriptor.writeAll($0, to: raw, path: path) }
        try writer.write(manifest, entries: entries, digests: digests)
        try file.sync()
        try file.close()
    }

    /// One warning for each default extraction limit `extent` passes.
    static func limitWarnings(_ extent: ExtractionExtent) -> [String] {
        ExtractionLimits().excesses(of: extent).map {
            "the artifact has \($0): strict fetch and verify refuse it unless given a higher limit, or its manifest (sitepack check, verify --manifest)"
        }
    }

    /// Streams one file (too large to read ahead whole) into the tar writer, hashing it; fails if its
    /// size changed since the scan.
    private static func copyFile(_ entry: SiteEntry, size: Int64, into tar: inout TarStreamWriter,
                                 buffer: UnsafeMutableRawBufferPointer, progress: ProgressReporter?) throws -> SHA256Digest {
        let fd = try FileReadAhead.open(entry.sourcePath)
        _ = posix_fadvise(fd.rawValue, 0, 0, POSIX_FADV_SEQUENTIAL)
        var hasher = SHA256()
        var remaining = size
        while remaining > 0 {
            let want = Int(min(Int64(buffer.count), remaining))
            let got = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
            guard got > 0 else { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<got])
            hasher.update(bufferPointer: chunk)
            try tar.writeData(chunk)
            remaining -= Int64(got)
            progress?.advance(bytes: Int64(got))
        }
        var probe: UInt8 = 0
        let extra = withUnsafeMutableBytes(of: &probe) { Glibc.read(fd.rawValue, $0.baseAddress, 1) }
        guard remaining == 0, extra == 0 else { throw FileReadAhead.changedSize(entry.sourcePath) }
        try fd.close()
        progress?.advance(items: 1)
        return hasher.finalize()
    }

    /// The site's name: `--name`, else the site folder's name; checked by ``SiteName``.
    public func resolvedName() throws -> String {
        try Self.validatedName(options.name ?? defaultName())
    }

    private func defaultName() -> String {
        let trimmed = options.siteDirectory.hasSuffix("/") ? String(options.siteDirectory.dropLast()) : options.siteDirectory
        let resolved = URL(fileURLWithPath: trimmed).standardizedFileURL
        return resolved.lastPathComponent
    }

    /// A site name goes into URLs (`/sites/<name>/…`), store folders and task ids (see ``SiteName``).
    static func validatedName(_ name: String) throws -> String {
        try SiteName.validated(name, as: "site name (--name, default the folder's name)")
    }

    static func validatePrefix(_ prefix: String) throws {
        guard SiteName.isValid(prefix) else {
            throw SitepackError(.invalidInput, "--prefix \"\(prefix)\" must be one folder name of letters, digits, '.', '_' or '-' (not starting with '.')")
        }
    }

    private func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
    }

    /// The output folder's real path if it exists (so a symlinked path still matches during the walk).
    private func realOutputDirectory(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
