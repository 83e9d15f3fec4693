#!/usr/bin/env python3
"""Writes a sitepack manifest.json for a .tar.gz made by another tool (for verify's tests).
Usage: make_manifest.py ARCHIVE OUT.json"""
import gzip
import hashlib
import json
import sys
import tarfile

archive, out = sys.argv[1], sys.argv[2]
raw = open(archive, "rb").read()
tar_bytes = gzip.decompress(raw)
files, count, total = [], 0, 0
contents = {}
with tarfile.open(archive, "r:*") as tar:
    for m in tar.getmembers():
        path = m.name.rstrip("/")
        mode = "%04o" % (m.mode & 0o7777)
        if m.isdir():
            files.append({"path": path, "type": "directory", "mode": mode})
        elif m.issym():
            files.append({"path": path, "type": "symlink", "mode": mode, "target": m.linkname})
        elif m.islnk():
            data = contents[m.linkname]
            files.append({"path": path, "type": "file", "mode": mode, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        else:
            data = tar.extractfile(m).read()
            contents[m.name] = data
            count += 1
            total += len(data)
            files.append({"path": path, "type": "file", "mode": mode, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
manifest = {
    "format_version": 1, "name": "test", "sitepack_version": "test", "prefix": "site",
    "archive": {"file": "content.tar.gz", "sha256": hashlib.sha256(raw).hexdigest(), "size": len(raw)},
    "tar": {"sha256": hashlib.sha256(tar_bytes).hexdigest(), "size": len(tar_bytes)},
    "file_count": count, "total_bytes": total, "files": files, "excluded": [],
    "mtime": {"epoch": 1700000000, "source": "SOURCE_DATE_EPOCH"},
    "compressor": {"name": "zlib", "version": "test", "level": 6, "format": "gzip-members", "block_size": 1048576},
}
json.dump(manifest, open(out, "w"), indent=2, sort_keys=True)
