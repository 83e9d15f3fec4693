import Foundation
import SitepackTestSupport
import Testing

/// The release binary is what `sitepack serve` hands out at `/bin/sitepack` for the `sitepack`
/// runtime, so it has to start on a Mesos agent that has no Swift toolchain: the Swift runtime,
/// Foundation and libdeflate are linked into it (`make release`), and it may only ask the dynamic
/// loader for libraries the agent already loads for itself.
@Suite("release binary (make release)")
struct ReleaseBinaryTests {
    static let binary = Subprocess.packageRoot + "/.build/release/sitepack"
    static let sample = Subprocess.packageRoot + "/samples/hello-site"

    /// Libraries a Mesos agent needs itself, by name without the `.so` version: glibc's parts, the
    /// C++ runtime the agent is written against, and the zlib, libcurl and libarchive it fetches and
    /// extracts URIs with. Anything else (libswiftCore, libFoundation, libdispatch, libdeflate…) is a
    /// library the agent may not have, and the task would die before printing a line.
    static let agentLibraries: Set<String> = [
        "libc", "libm", "libpthread", "libdl", "librt", "libutil", "ld-linux-x86-64", "ld-linux-aarch64",
        "libstdc++", "libgcc_s",
        "libz", "libcurl", "libarchive",
    ]

    /// The part of a soname before `.so`: `libstdc++.so.6` → `libstdc++`.
    static func libraryName(_ soname: String) -> String {
        let file = soname.split(separator: "/").last.map(String.init) ?? soname
        return file.range(of: ".so").map { String(file[..<$0.lowerBound]) } ?? file
    }

    /// Fails (never skips) when the binary is missing: a skipped check is how the dynamic build shipped.
    static func requireBinary() throws {
        try #require(FileManager.default.isExecutableFile(atPath: binary),
                     "\(binary) is missing: run `make release` (swift build -c release --static-swift-stdlib); `make test` builds it before testing")
    }

    /// The DT_NEEDED entries: what the binary itself asks the loader for, as readelf reads the ELF file.
    static func neededLibraries() throws -> [String] {
        let readelf = try Subprocess.run(["readelf", "--dynamic", "--wide", binary])
        try #require(readelf.status == 0, "readelf -d failed (Debian package binutils): \(readelf.stderr)")
        return readelf.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line in
            guard let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
    }

    // The verdict is on the direct needs only: libcurl and libarchive bring their own dependencies
    // (OpenSSL, libxml2, ICU, nettle… on Debian), which their packages install wherever they are, so
    // an agent with libcurl and libarchive has them. ldd's full list is printed for the record.
    @Test("the binary asks the loader only for libraries a Mesos agent already has")
    func directNeedsAreAgentLibraries() throws {
        try Self.requireBinary()
        let needed = try Self.neededLibraries()
        #expect(!needed.isEmpty, "readelf found no NEEDED entries: is \(Self.binary) a dynamic executable?")
        let foreign = needed.filter { !Self.agentLibraries.contains(Self.libraryName($0)) }
        #expect(foreign.isEmpty, """
            \(Self.binary) needs \(foreign.joined(separator: ", ")), which a Mesos agent does not have. \
            Link it into the binary instead (--static-swift-stdlib, a .a in Package.swift's linkerSettings). \
            All direct needs: \(needed.joined(separator: ", "))
            """)

        let ldd = try Subprocess.run(["ldd", Self.binary])
        print("ReleaseBinaryTests: NEEDED \(needed.joined(separator: " "))\nReleaseBinaryTests: ldd \(Self.binary)\n\(ldd.stdout)", terminator: "")
        #expect(ldd.status == 0, "ldd failed: \(ldd.stderr)")
        #expect(!ldd.stdout.contains("not found"), "a library is missing on this machine:\n\(ldd.stdout)")
        let toolchain = ldd.stdout.split(separator: "\n").filter { line in
            ["libswift", "libFoundation", "lib_Foundation", "libdispatch", "libBlocksRuntime", "libdeflate"].contains { line.contains($0) }
        }
        #expect(toolchain.isEmpty, "the Swift runtime or libdeflate is still loaded dynamically:\n\(toolchain.joined(separator: "\n"))")
    }

    @Test("the binary runs without the toolchain's environment and packs the sample byte for byte like the debug build")
    func packsTheSample() throws {
        try Self.requireBinary()
        let work = try TemporaryDirectory("sitepack-release")
        defer { work.remove() }
        // env -i: no LD_LIBRARY_PATH and no toolchain on PATH, as on an agent.
        let bare = ["env", "-i", "PATH=/usr/bin:/bin", Self.binary]
        let help = try Subprocess.run(bare + ["--help"])
        #expect(help.status == 0, "\(help.stderr)")
        #expect(help.stdout.contains("USAGE"), "\(help.stdout)")

        let release = try Subprocess.run(bare + ["build", Self.sample, "-o", work.join("release")])
        try #require(release.status == 0, "release build of the sample failed: \(release.stderr)")
        let verify = try Subprocess.run(bare + ["verify", work.join("release/content.tar.gz"), "--manifest", work.join("release/manifest.json")])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        let debug = try Subprocess.sitepack(["build", Self.sample, "-o", work.join("debug")])
        try #require(debug.status == 0, "debug build of the sample failed: \(debug.stderr)")
        let releaseArchive = try Data(contentsOf: URL(fileURLWithPath: work.join("release/content.tar.gz")))
        let debugArchive = try Data(contentsOf: URL(fileURLWithPath: work.join("debug/content.tar.gz")))
        #expect(releaseArchive == debugArchive, "the release and debug binaries packed different content.tar.gz from the same folder")
    }
}
