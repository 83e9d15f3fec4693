import Foundation
import SitepackTestSupport
import Testing

/// Archives written by Python's tarfile, an independent peer, for the Archive/ and Verify/ tests.
enum PythonTar {
    /// Writes `members` (Python literals `(name, kind, payload, mode)`: kind `f` file with bytes,
    /// `d` folder, `l` symlink or `h` hard link with a target string, `c` character device, `p` FIFO)
    /// in that order to `path`, opened with tarfile mode `mode` (`w:gz`, `w`, …); every mtime is 1700000000.
    static func write(_ path: String, mode: String = "w:gz", _ members: [String]) throws {
        let script = """
            import io, sys, tarfile
            members = [\(members.joined(separator: ", "))]
            with tarfile.open(sys.argv[1], "\(mode)", format=tarfile.PAX_FORMAT) as tar:
                for name, kind, payload, perm in members:
                    ti = tarfile.TarInfo(name); ti.mode = perm; ti.mtime = 1700000000
                    if kind == "d": ti.type = tarfile.DIRTYPE; tar.addfile(ti)
                    elif kind == "l": ti.type = tarfile.SYMTYPE; ti.linkname = payload; tar.addfile(ti)
                    elif kind == "h": ti.type = tarfile.LNKTYPE; ti.linkname = payload; tar.addfile(ti)
                    elif kind == "c": ti.type = tarfile.CHRTYPE; ti.devmajor = 1; ti.devminor = 3; tar.addfile(ti)
                    elif kind == "p": ti.type = tarfile.FIFOTYPE; tar.addfile(ti)
                    else: ti.size = len(payload); tar.addfile(ti, io.BytesIO(payload))
            """
        let result = try Subprocess.run(["python3", "-c", script, path])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// A small, benign site under `site/`.
    static let benignSite = [
        #"("site", "d", b"", 0o755)"#,
        #"("site/index.html", "f", b"<h1>hi</h1>\n", 0o644)"#,
        #"("site/css", "d", b"", 0o755)"#,
        #"("site/css/style.css", "f", b"body{}\n", 0o644)"#,
        ##"("site/run.sh", "f", b"#!/bin/sh\n", 0o755)"##,
        #"("site/home.html", "l", "index.html", 0o777)"#,
    ]
}
