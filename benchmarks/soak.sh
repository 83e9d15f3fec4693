#!/usr/bin/env bash
# Soak and fault runs against the released `sitepack serve` (issue 12 item 2): 1,000 concurrent downloads
# while versions are published, 300 slowloris connections, clients that stop reading, clients that vanish
# mid-body, SIGTERM during downloads, kill -9 during an upload and a build, a full disk during build and
# publish. All on 127.0.0.1, ~5 minutes; each part prints its figures and PASS/FAIL/SKIPPED against the
# issue's bar, and the exit status is 1 when any part failed. The work is in benchmarks/soak.py (python3
# standard library only); this wrapper raises the open-file limit and cleans up (unmounts part 7's tmpfs).
#
# Usage: benchmarks/soak.sh   (on a shared machine: flock /tmp/sitepack-cpu.lock benchmarks/soak.sh)
#   PARTS=herd,loris,stall,vanish,sigterm,kill9,diskfull picks parts; SITE=DIR the site to pack (default the
#   Python docs, /usr/share/doc/python3.11/html; a generated SITE_MB=12 MiB site when they are missing);
#   knobs per part (defaults): HERD_CONNS=1000 HERD_SECONDS=30 HERD_VERSIONS=3 · LORIS_CONNS=300
#   LORIS_SECONDS=8 LORIS_ROUNDS=3 LORIS_MAX_ROUNDS=8 LORIS_QUIET=0.15 LORIS_RAMP=10
#   LORIS_INTERVAL=0.5 PROBE_RATE=400 PROBE_THREADS=4 · STALL_CONNS=500
#   STALL_SECONDS=30 STALL_BOUND_MIB=64 · VANISH_CONNS=1000 VANISH_CONCURRENCY=200 · SIGTERM_CONNS=50
#   SIGTERM_DOWNLOAD_SECONDS=8 GRACE=30s · KILL9_UPLOAD_MB=64 · DISKFULL_MB=32; KEEP_WORK=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
export SITEPACK=${SITEPACK:-$PWD/.build/release/sitepack}
[ -x "$SITEPACK" ] || { echo "soak.sh: $SITEPACK is missing: make release" >&2; exit 1; }
command -v python3 >/dev/null || { echo "soak.sh: python3 is missing" >&2; exit 1; }

ulimit -n "$(ulimit -Hn)"
export SOAK_WORK
SOAK_WORK=$(mktemp -d /tmp/sitepack-soak.XXXXXX)
cleanup() {
    if mountpoint -q "$SOAK_WORK/full" 2>/dev/null; then umount "$SOAK_WORK/full" || umount -l "$SOAK_WORK/full" || true; fi
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$SOAK_WORK"
}
trap cleanup EXIT
python3 benchmarks/soak.py
