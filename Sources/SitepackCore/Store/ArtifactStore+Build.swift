import Foundation

/// What `sitepack build` produced in a store.
public struct StoredBuild: Sendable {
    /// The build's own result; its paths point into the version folder.
    public var build: BuildResult
    /// The version as stored.
    public var version: StoredVersion
    /// True when the store already held these bytes (a rebuild of identical input).
    public var unchanged: Bool
    /// A 0.1-style build output found at the top of the folder and moved into the store first.
    public var imported: StoredVersion?
}

extension ArtifactStore {
    /// Builds a site straight into the store: packed into a staging folder, then added as the newest
    /// version of its site (see ``add(name:write:)``). Earlier versions stay where they are.
    public func build(_ options: BuildOptions, progress: ProgressReporter? = nil) throws -> StoredBuild {
        let builder = SiteBuilder(options: options)
        let name = try builder.resolvedName()
        let imported = try importTopLevelBuild()
        var result: BuildResult?
        let addition = try add(name: name) { staging in
            let built = try builder.build(into: staging, progress: progress)
            result = built
            return try ArtifactAddress(name: built.manifest.name, sha256: built.manifest.archive.sha256)
        }
        guard var build = result else {
            throw SitepackError(.io, "the build of \(options.siteDirectory) produced no result")
        }
        build.archivePath = addition.version.path(ArtifactAddress.archiveFile)
        build.manifestPath = addition.version.path(ArtifactAddress.manifestFile)
        return StoredBuild(build: build, version: addition.version, unchanged: addition.unchanged, imported: imported)
    }

    /// Moves a build output written by sitepack 0.1 (the three files at the top of the folder, not
    /// linked into a store) into `sites/<name>/<sha256>/`, so the URL it was served at keeps working.
    /// The archive is hashed first; anything that does not match its manifest is left alone.
    func importTopLevelBuild() throws -> StoredVersion? {
        let manifestPath = root + "/" + ArtifactAddress.manifestFile
        let archivePath = root + "/" + ArtifactAddress.archiveFile
        guard let manifestInfo = FileSystem.status(manifestPath), manifestInfo.st_nlink == 1,
              let archiveInfo = FileSystem.status(archivePath), archiveInfo.st_nlink == 1,
              let manifest = try? Manifest.load(from: manifestPath),
              let address = try? ArtifactAddress(name: manifest.name, sha256: manifest.archive.sha256),
              Int64(archiveInfo.st_size) == manifest.archive.size,
              FileSystem.status(address.versionFolder(in: root)) == nil,
              (try? FileDigest.sha256(ofFile: archivePath)) == address.sha256 else { return nil }
        let siteFolder = ArtifactAddress.siteFolder(name: address.name, in: root)
        try FileSystem.makeDirectories(siteFolder)
        let (hold, staging) = try HeldTemporary.makeDirectory(template: siteFolder + "/" + Self.stagingPrefix + "XXXXXX")
        defer {
            try? FileSystem.removeTree(staging)
            close(hold)
        }
        chmod(staging, 0o755)
        for file in ArtifactAddress.files {
            let source = root + "/" + file
            if file == ArtifactAddress.checksumFile, FileSystem.status(source) == nil {
                try Data(address.checksumLine.utf8).write(to: URL(fileURLWithPath: staging + "/" + file))
            } else if link(source, staging + "/" + file) != 0 {
                try FileManager.default.copyItem(atPath: source, toPath: staging + "/" + file)
            }
        }
        // It predates every version built from now on.
        var times = [archiveInfo.st_mtim, archiveInfo.st_mtim]
        utimensat(AT_FDCWD, staging, &times, 0)
        let folder = address.versionFolder(in: root)
        try FileSystem.rename(staging, to: folder)
        FileSystem.syncDirectory(siteFolder)
        return versions(of: address.name).first { $0.address == address }
    }

    /// Whether two files hold the same bytes, compared 64 KiB at a time (a manifest of 100,000 files
    /// is 25 MB: loading two whole would double a rebuild's memory).
    static func sameBytes(_ first: String, _ second: String) -> Bool {
        guard let a = try? OwnedFileDescriptor(path: first, flags: O_RDONLY),
              let b = try? OwnedFileDescriptor(path: second, flags: O_RDONLY) else { return false }
        let size = 1 << 16
        let left = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        let right = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer {
            left.deallocate()
            right.deallocate()
        }
        guard let leftBytes = left.baseAddress, let rightBytes = right.baseAddress else { return false }
        while true {
            guard let count = try? Self.fill(left, from: a), let other = try? Self.fill(right, from: b), count == other else { return false }
            if count == 0 { return true }
            if memcmp(leftBytes, rightBytes, count) != 0 { return false }
        }
    }

    /// Reads until `buffer` is full or the file ends; the count read.
    private static func fill(_ buffer: UnsafeMutableRawBufferPointer, from file: borrowing OwnedFileDescriptor) throws -> Int {
        var count = 0
        while count < buffer.count {
            let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
            if got == 0 { break }
            count += got
        }
        return count
    }
}
