#!/usr/bin/env bash
# Benchmark `sitepack serve` against nginx (sendfile on, 2 workers) and `python3 -m http.server` over the
# same folder: a ~12 MB artifact (the Python docs, packed) and a 1 KiB file, each driven by the same wrk
# settings on loopback. Prints requests/s, throughput and the ratios sitepack/nginx and sitepack/python,
# then sitepack's peak RSS (VmHWM) while 1,000 connections download the artifact at once, then the p99
# latency of 1 KiB requests while a 500 MB artifact is published into the store sitepack serves, against
# the same with no publish (goal: at most 2x); then /sites of a store of 1,000 versions (goal: <= 1 ms a request and
# >= 10,000 requests/s), whole and filtered by ?name= with a page (?limit=).
#
# The servers take turns for ROUNDS rounds and each one's best round counts (this box is noisy: the
# client shares the 2 cores); every round's numbers are printed too.
#
# Usage: benchmarks/serve.sh  (DURATION=10s ROUNDS=2 THREADS=2 LARGE_CONNS=32 SMALL_CONNS=64 HERD_CONNS=1000 to tune;
#        PARTS=compare,herd,publish picks the parts; PUBLISH_MB=500 LATENCY_DURATION=20s LATENCY_CONNS=32 PUBLISH_ROUNDS=1
#        for the publish part; LISTING_VERSIONS=1000 LISTING_SITES=10 LISTING_CONNS=32 for the listing part)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-2}
LARGE_CONNS=${LARGE_CONNS:-32}
SMALL_CONNS=${SMALL_CONNS:-64}
HERD_CONNS=${HERD_CONNS:-1000}
PARTS=${PARTS:-compare,herd,publish,listing}
PUBLISH_MB=${PUBLISH_MB:-500}
LATENCY_DURATION=${LATENCY_DURATION:-20s}
LATENCY_CONNS=${LATENCY_CONNS:-32}
PUBLISH_ROUNDS=${PUBLISH_ROUNDS:-1}
SITEPACK=${SITEPACK:-.build/release/sitepack}
DOCS=${DOCS:-/usr/share/doc/python3.11/html}

for tool in wrk nginx python3 curl; do
    command -v "$tool" >/dev/null || { echo "serve.sh: $tool is missing (make bench-deps)" >&2; exit 1; }
done
[ -x "$SITEPACK" ] || swift build -c release >&2

WORK=$(mktemp -d /tmp/sitepack-serve-bench.XXXXXX)
chmod 755 "$WORK"  # nginx workers run as nobody and must read the files
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The served folder: the artifact (sitepack build if it works, else tar|gzip) and a 1 KiB file.
WWW=$WORK/www
mkdir -p "$WWW"
# (The Debian docs symlink two scripts outside the folder, hence --follow-symlinks.)
"$SITEPACK" build "$DOCS" -o "$WORK/dist" --follow-symlinks --quiet >/dev/null
cp "$WORK/dist/content.tar.gz" "$WWW/content.tar.gz"
packed_by="sitepack build"
head -c 1024 /dev/urandom > "$WWW/1k.bin"
LARGE_SIZE=$(stat -c %s "$WWW/content.tar.gz")
LARGE_SHA=$(sha256sum "$WWW/content.tar.gz" | cut -d' ' -f1)
echo "artifact: $LARGE_SIZE bytes ($packed_by), small file: 1024 bytes; wrk -t$THREADS, $DURATION each; $(nproc) cores shared with wrk"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() {
    for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$1/1k.bin" && return 0; sleep 0.1; done
    echo "serve.sh: nothing answers on port $1" >&2; exit 1
}

part() { [[ ",$PARTS," == *",$1,"* ]]; }

# start_sitepack [DIR]: serves DIR (default the shared folder) on a free port → SITEPACK_PID, SITEPACK_PORT.
start_sitepack() {
    "$SITEPACK" serve "${1:-$WWW}" --host 127.0.0.1 --port 0 --access-log off >"$WORK/sitepack.out" 2>"$WORK/sitepack.err" &
    SITEPACK_PID=$!
    PIDS+=("$SITEPACK_PID")
    for _ in $(seq 1 100); do
        SITEPACK_PORT=$(sed -nE 's#.*on http://127\.0\.0\.1:([0-9]+) .*#\1#p' "$WORK/sitepack.err" | head -1)
        [ -n "$SITEPACK_PORT" ] && break
        sleep 0.1
    done
    wait_port "$SITEPACK_PORT"
}

start_nginx() {
    NGINX_PORT=$(free_port)
    mkdir -p "$WORK/nginx"
    sed -e "s#@PREFIX@#$WORK/nginx#g" -e "s#@PORT@#$NGINX_PORT#g" -e "s#@ROOT@#$WWW#g" benchmarks/serve-nginx.conf > "$WORK/nginx/nginx.conf"
    nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' 2>"$WORK/nginx/stderr" &
    PIDS+=($!)
    wait_port "$NGINX_PORT"
}

start_python() {
    PYTHON_PORT=$(free_port)
    python3 -m http.server "$PYTHON_PORT" --bind 127.0.0.1 --directory "$WWW" >/dev/null 2>&1 &
    PIDS+=($!)
    wait_port "$PYTHON_PORT"
}

# wrk PORT PATH CONNS → requests/s
run_wrk() {
    local out
    out=$(ulimit -n 20000; wrk -t"$THREADS" -c"$3" -d"$DURATION" "http://127.0.0.1:$1$2" 2>&1)
    echo "$out" > "$WORK/wrk-$1-$(basename "$2")-$3.txt"
    echo "$out" | awk '/Requests\/sec:/ { print $2 }'
}

check_bytes() {
    local got
    got=$(curl -sS "http://127.0.0.1:$1/content.tar.gz" | sha256sum | cut -d' ' -f1)
    [ "$got" = "$LARGE_SHA" ] || { echo "serve.sh: $2 returned wrong bytes" >&2; exit 1; }
}

echo "machine: $(uptime | sed 's/.*load average/load average/'); busiest processes now:"
ps -eo pcpu=,etime=,comm= --sort=-pcpu | head -4 | sed 's/^/   /'

if part compare; then
start_sitepack; start_nginx; start_python
check_bytes "$SITEPACK_PORT" sitepack; check_bytes "$NGINX_PORT" nginx; check_bytes "$PYTHON_PORT" python

declare -A LARGE SMALL
best() { python3 -c 'import sys; print(max(float(x) for x in sys.argv[1:] if x))' "$@"; }
for round in $(seq 1 "$ROUNDS"); do
    for server in sitepack nginx python; do
        port_var=${server^^}_PORT
        port=${!port_var}
        large=$(run_wrk "$port" /content.tar.gz "$LARGE_CONNS")
        small=$(run_wrk "$port" /1k.bin "$SMALL_CONNS")
        echo "round $round: $server large ${large:-0} req/s, 1 KiB ${small:-0} req/s"
        LARGE[$server]=$(best "${LARGE[$server]:-0}" "${large:-0}")
        SMALL[$server]=$(best "${SMALL[$server]:-0}" "${small:-0}")
    done
done

python3 - "$LARGE_SIZE" "${LARGE[sitepack]}" "${LARGE[nginx]}" "${LARGE[python]}" "${SMALL[sitepack]}" "${SMALL[nginx]}" "${SMALL[python]}" "$LARGE_CONNS" "$SMALL_CONNS" <<'PY'
import sys
size = int(sys.argv[1]); l = [float(x or 0) for x in sys.argv[2:5]]; s = [float(x or 0) for x in sys.argv[5:8]]
lc, sc = sys.argv[8], sys.argv[9]
def ratio(a, b): return f"{a / b:.2f}x" if b else "n/a"
print(f"\nbest round each; large artifact ({size/1e6:.1f} MB, -c{lc})   req/s     throughput")
for name, value in zip(["sitepack", "nginx", "python"], l):
    print(f"  {name:<10} {value:>12.1f} {value*size/1e9:>10.2f} GB/s")
print(f"  ratio sitepack/nginx {ratio(l[0], l[1])}, sitepack/python {ratio(l[0], l[2])}")
print(f"\n1 KiB file (-c{sc})                req/s     throughput")
for name, value in zip(["sitepack", "nginx", "python"], s):
    print(f"  {name:<10} {value:>12.1f} {value*1024/1e6:>10.1f} MB/s")
print(f"  ratio sitepack/nginx {ratio(s[0], s[1])}, sitepack/python {ratio(s[0], s[2])}")
PY
kill "$SITEPACK_PID"; wait "$SITEPACK_PID" 2>/dev/null || true
fi

# Peak memory with a herd of agents: a fresh sitepack, HERD_CONNS connections downloading the artifact at once.
if part herd; then
start_sitepack
(ulimit -n 20000; wrk -t"$THREADS" -c"$HERD_CONNS" -d"$DURATION" --timeout 60s "http://127.0.0.1:$SITEPACK_PORT/content.tar.gz" > "$WORK/wrk-herd.txt" 2>&1)
HWM=$(awk '/VmHWM/ { print $2 }' "/proc/$SITEPACK_PID/status")
HERD_RPS=$(awk '/Requests\/sec:/ { print $2 }' "$WORK/wrk-herd.txt")
HERD_ERR=$(grep -E 'Socket errors|Non-2xx' "$WORK/wrk-herd.txt" || echo "no socket errors")
echo
echo "sitepack with $HERD_CONNS concurrent downloads: $HERD_RPS req/s, peak RSS (VmHWM) $((HWM / 1024)) MiB (goal <= 64 MiB); $HERD_ERR"
kill "$SITEPACK_PID"; wait "$SITEPACK_PID" 2>/dev/null || true
fi

# Publishing never stalls downloads: p99 of 1 KiB requests (wrk --latency, LATENCY_CONNS connections) while a
# PUBLISH_MB artifact is written into the served store the way build writes a version (a hidden temporary
# folder in sites/<name>/, renamed to sites/<name>/<sha256>/) and then fetched once, which makes the catalog
# hash it; against the same run with no publish. The bytes are made (and their sha256 taken) before the
# measured window, as a build would have; inside it: the copy into the store, the rename, the hash.
if part publish; then
STORE=$WORK/store
write_manifest() {  # write_manifest SHA SIZE OUT: the built manifest, renamed "bench", describing another archive
    python3 - "$WORK/dist/manifest.json" "$1" "$2" "$3" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
manifest["name"] = "bench"
manifest["archive"]["sha256"], manifest["archive"]["size"] = sys.argv[2], int(sys.argv[3])
json.dump(manifest, open(sys.argv[4], "w"), indent=2, sort_keys=True)
PY
}
BASE_SHA=$LARGE_SHA
mkdir -p "$STORE/sites/bench/$BASE_SHA"
cp "$WWW/content.tar.gz" "$STORE/sites/bench/$BASE_SHA/content.tar.gz"
echo "$BASE_SHA  content.tar.gz" > "$STORE/sites/bench/$BASE_SHA/content.tar.gz.sha256"
write_manifest "$BASE_SHA" "$LARGE_SIZE" "$STORE/sites/bench/$BASE_SHA/manifest.json"
cp "$WWW/1k.bin" "$STORE/1k.bin"
start_sitepack "$STORE"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SITEPACK_PORT/sites/bench/$BASE_SHA/content.tar.gz")" = 200 ] \
    || { echo "serve.sh: the store's first version is not served" >&2; exit 1; }

# p99 in ms from a wrk --latency report.
p99_ms() {
    awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u);
        f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.3f", v * f }' "$1"
}
latency_run() {  # latency_run NAME → wrk report in $WORK/latency-NAME.txt
    (ulimit -n 20000; wrk -t"$THREADS" -c"$LATENCY_CONNS" -d"$LATENCY_DURATION" --timeout 30s --latency \
        "http://127.0.0.1:$SITEPACK_PORT/1k.bin" > "$WORK/latency-$1.txt" 2>&1)
}

IDLE_P99=() PUBLISH_P99=()
for round in $(seq 1 "$PUBLISH_ROUNDS"); do
    # The artifact to publish: PUBLISH_MB of seeded pseudo-random bytes, made before the measured window.
    python3 - "$WORK/publish.bin" "$PUBLISH_MB" "$round" <<'PY'
import random, sys
generator = random.Random(int(sys.argv[3]))
with open(sys.argv[1], "wb") as out:
    for _ in range(int(sys.argv[2])):
        out.write(generator.randbytes(1 << 20))
PY
    NEW_SHA=$(sha256sum "$WORK/publish.bin" | cut -d' ' -f1)
    NEW_SIZE=$(stat -c %s "$WORK/publish.bin")
    sync  # its write-back must not land in the idle run

    latency_run "idle-$round"
    IDLE_P99+=("$(p99_ms "$WORK/latency-idle-$round.txt")")

    latency_run "publish-$round" &
    WRK_PID=$!
    sleep 3
    start_ns=$(date +%s%N)
    TMP=$(mktemp -d "$STORE/sites/bench/.tmp-XXXXXX")
    cp "$WORK/publish.bin" "$TMP/content.tar.gz"
    echo "$NEW_SHA  content.tar.gz" > "$TMP/content.tar.gz.sha256"
    write_manifest "$NEW_SHA" "$NEW_SIZE" "$TMP/manifest.json"
    mv -T "$TMP" "$STORE/sites/bench/$NEW_SHA"
    touch "$STORE/sites/bench/$NEW_SHA"
    written_ns=$(date +%s%N)
    # The first agent to ask waits for the catalog to verify (hash) the new version, then gets it.
    code=$(curl -s -I -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SITEPACK_PORT/sites/bench/$NEW_SHA/content.tar.gz")
    served_ns=$(date +%s%N)
    latest=$(curl -s -o /dev/null -w '%{redirect_url}' "http://127.0.0.1:$SITEPACK_PORT/sites/bench/latest/content.tar.gz")
    wait "$WRK_PID"
    PUBLISH_P99+=("$(p99_ms "$WORK/latency-publish-$round.txt")")
    [ "$code" = 200 ] || { echo "serve.sh: the published version answered $code" >&2; exit 1; }
    case "$latest" in */$NEW_SHA/*) ;; *) echo "serve.sh: latest did not follow the published version ($latest)" >&2; exit 1 ;; esac
    echo "publish round $round: p99 idle ${IDLE_P99[-1]} ms, during the publish ${PUBLISH_P99[-1]} ms;" \
        "written in $(( (written_ns - start_ns) / 1000000 )) ms, verified and served $(( (served_ns - written_ns) / 1000000 )) ms later;" \
        "$(grep -hE 'Socket errors|Non-2xx' "$WORK/latency-publish-$round.txt" || echo 'no socket errors')"
    rm -rf "$STORE/sites/bench/$NEW_SHA" "$WORK/publish.bin"
done
python3 - "${IDLE_P99[*]}" "${PUBLISH_P99[*]}" "$PUBLISH_MB" "$LATENCY_CONNS" <<'PY'
import sys
idle = [float(x) for x in sys.argv[1].split()]; busy = [float(x) for x in sys.argv[2].split()]
i, b = min(idle), min(busy)
print(f"\n1 KiB p99 latency (-c{sys.argv[4]}), best round each: idle {i:.3f} ms, while {sys.argv[3]} MB is published {b:.3f} ms,"
      f" ratio {b / i:.2f}x (goal <= 2x)")
PY
kill "$SITEPACK_PID"; wait "$SITEPACK_PID" 2>/dev/null || true
fi

# /sites of a store of LISTING_VERSIONS versions spread over LISTING_SITES sites (1 KiB archives: the catalog hashes them
# all at start, so they are kept small; the listing's cost does not depend on their size). The listing is rendered
# once per store change; a request costs a few lstat(2)s and the send. Measured with wrk: requests/s at
# -cLISTING_CONNS, and the mean latency of one connection making requests back to back (-c1).
if part listing; then
LISTING_VERSIONS=${LISTING_VERSIONS:-1000}
LISTING_SITES=${LISTING_SITES:-10}
LISTING_CONNS=${LISTING_CONNS:-32}
LSTORE=$WORK/listing-store
python3 - "$WORK/dist/manifest.json" "$LSTORE" "$LISTING_VERSIONS" "$LISTING_SITES" <<'PY'
import hashlib, json, os, random, sys
template = json.load(open(sys.argv[1]))
template["files"], template["excluded"] = [], []
root, versions, sites = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
generator = random.Random(1)
for i in range(versions):
    name = f"site{i % sites:02d}"
    data = generator.randbytes(1024)
    sha = hashlib.sha256(data).hexdigest()
    folder = os.path.join(root, "sites", name, sha)
    os.makedirs(folder)
    with open(os.path.join(folder, "content.tar.gz"), "wb") as out: out.write(data)
    with open(os.path.join(folder, "content.tar.gz.sha256"), "w") as out: out.write(f"{sha}  content.tar.gz\n")
    manifest = dict(template, name=name)
    manifest["archive"] = dict(template["archive"], sha256=sha, size=len(data))
    with open(os.path.join(folder, "manifest.json"), "w") as out: json.dump(manifest, out, indent=2, sort_keys=True)
    os.utime(folder, ns=(1_700_000_000_000_000_000 + i, 1_700_000_000_000_000_000 + i))
PY
start_sitepack "$LSTORE"
LISTING_BYTES=$(curl -s "http://127.0.0.1:$SITEPACK_PORT/sites" | wc -c)
LISTED=$(curl -s "http://127.0.0.1:$SITEPACK_PORT/sites" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["artifacts"]))')
[ "$LISTED" = "$LISTING_VERSIONS" ] || { echo "serve.sh: /sites lists $LISTED versions, not $LISTING_VERSIONS" >&2; exit 1; }
PAGE="/sites?name=site00&limit=20"
echo
echo "/sites of a store of $LISTING_VERSIONS versions ($LISTING_SITES sites): $LISTING_BYTES bytes of JSON; a page: $PAGE"
for target in /sites "$PAGE"; do
    rps=$( (ulimit -n 20000; wrk -t"$THREADS" -c"$LISTING_CONNS" -d"$DURATION" "http://127.0.0.1:$SITEPACK_PORT$target") | awk '/Requests\/sec:/ { print $2 }')
    one=$(wrk -t1 -c1 -d5s "http://127.0.0.1:$SITEPACK_PORT$target" | awk '$1 == "Latency" { print $2 }')
    echo "  $target: ${rps:-0} req/s at -c$LISTING_CONNS (goal >= 10000), mean latency at -c1 ${one:-?} (goal <= 1 ms)"
done
kill "$SITEPACK_PID"; wait "$SITEPACK_PID" 2>/dev/null || true
fi
