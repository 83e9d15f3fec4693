#!/usr/bin/env python3
"""Writes sitepack fetch's test corpus into OUT_DIR: hostile archives (each aimed at CANARY_DIR, a folder
outside the sandbox) and benign ones. Usage: hostile_corpus.py OUT_DIR CANARY_DIR

Everything is generated here, streaming, so the repository holds no binary fixtures; the gzip bomb and the
200,000-entry archive stay a few MiB on disk and take about a second to write.
"""
import io
import os
import struct
import sys
import tarfile
import zipfile
import zlib

out, canary = sys.argv[1], os.path.abspath(sys.argv[2])
os.makedirs(out, exist_ok=True)


def info(name, data=b"", **kw):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mtime = 1700000000
    ti.mode = kw.pop("mode", 0o644)
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti


def write_tar(name, members, mode="w:gz", fmt=tarfile.PAX_FORMAT):
    with tarfile.open(os.path.join(out, name), mode, format=fmt) as tar:
        for ti, data in members:
            tar.addfile(ti, io.BytesIO(data) if data else None)


index = b"<!doctype html><title>ok</title>\n"

# 1. ../ name
write_tar("dotdot.tar.gz", [(info("site/index.html", index), index),
                            (info("../canary/dotdot.txt", b"escaped\n"), b"escaped\n")])
# 2. absolute name aimed at the canary
write_tar("absolute.tar.gz", [(info(canary + "/absolute.txt", b"escaped\n"), b"escaped\n")])
# 3. symlink to an outside folder, then a file written through it
write_tar("symlink-dir.tar.gz", [(info("site", type=tarfile.DIRTYPE, mode=0o755), b""),
                                 (info("site/out", type=tarfile.SYMTYPE, linkname=canary, mode=0o777), b""),
                                 (info("site/out/through.txt", b"escaped\n"), b"escaped\n")])
# 4. relative symlink climbing out, then a file through it
write_tar("symlink-climb.tar.gz", [(info("site", type=tarfile.DIRTYPE, mode=0o755), b""),
                                   (info("site/up", type=tarfile.SYMTYPE, linkname="../../canary", mode=0o777), b""),
                                   (info("site/up/climb.txt", b"escaped\n"), b"escaped\n")])
# 5. a symlink, then a regular file of the same name
write_tar("symlink-then-file.tar.gz", [(info("site/index.html", index), index),
                                       (info("site/page.html", type=tarfile.SYMTYPE, linkname="index.html", mode=0o777), b""),
                                       (info("site/page.html", b"replaced\n"), b"replaced\n")])
# 6. hard link to a host file (absolute) and (relative, climbing)
write_tar("hardlink-host.tar.gz", [(info("site/secret", type=tarfile.LNKTYPE, linkname=canary + "/secret.txt"), b"")])
write_tar("hardlink-climb.tar.gz", [(info("site/secret", type=tarfile.LNKTYPE, linkname="../canary/secret.txt"), b"")])
# 7. character device, 8. FIFO
write_tar("chardev.tar.gz", [(info("site/null", type=tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666), b"")])
write_tar("fifo.tar.gz", [(info("site/pipe", type=tarfile.FIFOTYPE, mode=0o644), b"")])
# 9. setuid / setgid / sticky
tool = b"#!/bin/sh\necho tool\n"
write_tar("setuid.tar.gz", [(info("site/tool", tool, mode=0o4755), tool),
                            (info("site/group", tool, mode=0o2755), tool),
                            (info("site/index.html", index, mode=0o1644), index)])
# 10. duplicate paths
write_tar("duplicate.tar.gz", [(info("site/index.html", b"first\n"), b"first\n"),
                               (info("site/index.html", b"second\n"), b"second\n")])

# 11./12. zip slip with / and with \ (the second as a Windows tool writes it)
with zipfile.ZipFile(os.path.join(out, "zipslip-slash.zip"), "w") as z:
    z.writestr("site/index.html", index)
    z.writestr("../canary/zip-slash.txt", "escaped\n")
with zipfile.ZipFile(os.path.join(out, "zipslip-backslash.zip"), "w") as z:
    z.writestr("site/index.html", index)
    zi = zipfile.ZipInfo("..\\canary\\zip-backslash.txt", date_time=(2023, 1, 1, 0, 0, 0))
    zi.create_system = 0  # MS-DOS
    z.writestr(zi, "escaped\n")


# 13. gzip bomb: a tar holding one 4 GiB file of zeros, as gzip members (one member of 64 MiB of
#     zeros, written 64 times), so it is generated in well under a second and is ~4 MiB on disk.
def gzip_member(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = c.compress(data) + c.flush()
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03" + body +
            struct.pack("<II", zlib.crc32(data) & 0xffffffff, len(data) & 0xffffffff))


chunk = 64 << 20
count = 64
zeros = gzip_member(b"\0" * chunk)
with open(os.path.join(out, "bomb.tar.gz"), "wb") as f:
    f.write(gzip_member(info("site/zeros.bin", size=chunk * count).tobuf(tarfile.PAX_FORMAT)))
    for _ in range(count):
        f.write(zeros)
    f.write(gzip_member(b"\0" * 1024))
with open(os.path.join(out, "bomb.gz"), "wb") as f:
    for _ in range(count):
        f.write(zeros)

# 14. 200,000 entries (empty files): one ustar header patched per entry, through one gzip compressor
base = bytearray(info("site/f0000000").tobuf(tarfile.USTAR_FORMAT))
base[148:156] = b"        "
with open(os.path.join(out, "many.tar.gz"), "wb") as raw:
    c = zlib.compressobj(1, zlib.DEFLATED, 31)
    crc_total = []
    for i in range(200_000):
        header = bytearray(base)
        header[6:13] = b"%07d" % i
        header[148:156] = b"%06o\0 " % sum(header)
        raw.write(c.compress(bytes(header)))
    raw.write(c.compress(b"\0" * 1024))
    raw.write(c.flush())

# 15. truncated archive: a benign one cut in the middle of its data
big = os.urandom(256 << 10)
write_tar("whole.tar.gz", [(info("site/index.html", index), index), (info("site/blob.bin", big), big)])
data = open(os.path.join(out, "whole.tar.gz"), "rb").read()
open(os.path.join(out, "truncated.tar.gz"), "wb").write(data[: len(data) // 2])
os.remove(os.path.join(out, "whole.tar.gz"))

# 16. an HTML error page saved as .tar.gz
open(os.path.join(out, "html.tar.gz"), "wb").write(
    b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n")

# 17. non-ASCII name (MESOS-9393) and a ./ entry
write_tar("nonascii.tar.gz", [(info("site/caf\u00e9.html", index), index)])
with tarfile.open(os.path.join(out, "dot-entry.tar.gz"), "w:gz", format=tarfile.PAX_FORMAT) as tar:
    tar.addfile(info(".", type=tarfile.DIRTYPE, mode=0o777))
    tar.addfile(info("./site", type=tarfile.DIRTYPE, mode=0o755))
    tar.addfile(info("./site/index.html", index), io.BytesIO(index))


# Benign: a site tree in several containers, plus sitepack's multi-member ("SP") gzip layout.
def benign_members():
    files = [("site", None, 0o755), ("site/index.html", index, 0o644), ("site/css", None, 0o755),
             ("site/css/style.css", b"body{margin:0}\n" * 100, 0o644), ("site/bin", None, 0o755),
             ("site/bin/run.sh", b"#!/bin/sh\nexec true\n", 0o755),
             ("site/big.bin", os.urandom(1 << 20) + b"\0" * (1 << 20) + os.urandom(5000), 0o644),
             ("site/empty.txt", b"", 0o644)]
    members = []
    for name, data, mode in files:
        if data is None:
            members.append((info(name, type=tarfile.DIRTYPE, mode=mode), b""))
        else:
            members.append((info(name, data, mode=mode), data))
    members.append((info("site/home.html", type=tarfile.SYMTYPE, linkname="index.html", mode=0o777), b""))
    members.append((info("site/css/up.html", type=tarfile.SYMTYPE, linkname="../index.html", mode=0o777), b""))
    members.append((info("site/copy.html", type=tarfile.LNKTYPE, linkname="site/index.html"), b""))
    return members


benign = benign_members()
write_tar("benign.tar.gz", benign)
write_tar("benign.tgz", benign)
write_tar("benign.tar.bz2", benign, "w:bz2")
write_tar("benign.tar.xz", benign, "w:xz")
write_tar("benign.tar", benign, "w")
with zipfile.ZipFile(os.path.join(out, "benign.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for ti, data in benign:
        if ti.isfile():
            z.writestr(ti.name, data)

# The same tar stream as sitepack's blocked gzip: one member per 1 MiB block with an SP extra field.
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for ti, data in benign:
        tar.addfile(ti, io.BytesIO(data) if data else None)
stream = raw.getvalue()
with open(os.path.join(out, "blocked.tar.gz"), "wb") as f:
    for start in range(0, len(stream), 1 << 20):
        block = stream[start:start + (1 << 20)]
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        body = c.compress(block) + c.flush()
        total = 20 + len(body) + 8
        f.write(b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\x03" + struct.pack("<H", 8) + b"SP" +
                struct.pack("<HI", 4, total) + body + struct.pack("<II", zlib.crc32(block) & 0xffffffff, len(block)))

# A plain .gz (not a tar) and a file that is not an archive.
with open(os.path.join(out, "notes.txt.gz"), "wb") as f:
    f.write(gzip_member(b"plain gzip content\n" * 1000))
open(os.path.join(out, "tool.sh"), "wb").write(b"#!/bin/sh\necho hello\n")
print("ok")
