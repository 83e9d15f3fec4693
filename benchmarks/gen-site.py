#!/usr/bin/env python3
"""Writes a deterministic static site of FILES HTML pages for the benchmarks.

Usage: benchmarks/gen-site.py OUT_DIR FILES [TOTAL_BYTES] [--per-folder N]

OUT_DIR gets index.html and FILES pages in folders of --per-folder pages each (default 500, so
100,000 pages are 200 folders x 500 pages): d000/p0000.html ... TOTAL_BYTES (default 850 bytes a
page; K/M/G suffixes are powers of 1000) is split evenly across the pages. Pages are HTML built
from a fixed vocabulary by a seeded generator, so they compress like real text, and the same
arguments always write the same bytes (same names, contents, modes); mtimes are fixed to
2023-11-14 (1700000000). OUT_DIR must not exist yet, or be empty.
"""
import argparse
import os
import random
import sys

MTIME = 1_700_000_000
WORDS = (
    "the of and to in is for that with as on by it this be are from or an which at can not you "
    "function module class method value return object string list file path name type data error "
    "default option argument server request response archive folder build fetch serve task agent "
    "sandbox digest manifest version release cluster offer resource port health check command "
    "example note warning see also changed added deprecated removed since parameter keyword "
    "iterator generator context manager exception raise import package library documentation "
    "python mesos site page index search table contents section chapter reference tutorial guide "
    "install configure run test debug profile optimize memory thread process socket stream buffer "
    "encode decode parse format read write open close seek tell flush lock queue event signal"
).split()


def parse_size(text):
    scale = {"K": 10**3, "M": 10**6, "G": 10**9}
    text = text.strip().upper().rstrip("B")
    if text and text[-1] in scale:
        return int(float(text[:-1]) * scale[text[-1]])
    return int(text)


def paragraph(rng, length):
    words = rng.choices(WORDS, k=max(1, length // 6))
    return " ".join(words).capitalize() + "."


def page(rng, title, size, links):
    head = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n<link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n<body>\n"
            f"<h1>{title}</h1>\n<nav>" + " ".join(f'<a href="{link}">{link}</a>' for link in links) + "</nav>\n")
    tail = "</body>\n</html>\n"
    body = []
    room = size - len(head) - len(tail)
    while room > 0:
        text = "<p>" + paragraph(rng, min(room, rng.randint(60, 400))) + "</p>\n"
        body.append(text)
        room -= len(text)
    data = (head + "".join(body) + tail).encode()
    if len(data) > size and size > len(head) + len(tail):
        data = data[: size - len(tail)] + tail.encode()
    return data


def main(argv):
    parser = argparse.ArgumentParser(description="Writes a deterministic static site for the benchmarks.")
    parser.add_argument("out", metavar="OUT_DIR")
    parser.add_argument("files", metavar="FILES", type=int)
    parser.add_argument("total", metavar="TOTAL_BYTES", nargs="?", type=parse_size)
    parser.add_argument("--per-folder", type=int, default=500)
    args = parser.parse_args(argv)
    out, files, per_folder = args.out, args.files, args.per_folder
    total = args.total if args.total is not None else files * 850
    if os.path.exists(out) and os.listdir(out):
        sys.exit(f"gen-site.py: {out} is not empty")
    os.makedirs(out, exist_ok=True)
    os.umask(0o022)
    size = max(200, total // max(files, 1))
    rng = random.Random(f"sitepack-gen-site {files} {total} {per_folder}")
    folders = (files + per_folder - 1) // per_folder
    written = []
    for number in range(files):
        folder, index = divmod(number, per_folder)
        directory = os.path.join(out, f"d{folder:03d}")
        if index == 0:
            os.mkdir(directory)
            written.append(directory)
        links = [f"p{(index + step) % per_folder:04d}.html" for step in (1, 2, 3)]
        path = os.path.join(directory, f"p{index:04d}.html")
        with open(path, "wb") as handle:
            handle.write(page(rng, f"Page {folder}.{index}", size, links))
        os.utime(path, (MTIME, MTIME))
    links = [f"d{folder:03d}/p0000.html" for folder in range(min(folders, 50))]
    index = os.path.join(out, "index.html")
    with open(index, "wb") as handle:
        handle.write(page(rng, "Generated site", 2000, links))
    os.utime(index, (MTIME, MTIME))
    for directory in written + [out]:
        os.utime(directory, (MTIME, MTIME))
    print(f"{out}: {files + 1} files in {folders} folders, {size} bytes a page")


if __name__ == "__main__":
    main(sys.argv[1:])
