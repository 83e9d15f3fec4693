#!/usr/bin/env bash
# Fetch-and-extract benchmark: sitepack fetch (strict mode, --sha256) against what the Mesos fetcher
# does (curl -sS -L -o F URL, then tar -xzf F), both downloading a sitepack artifact from a local
# nginx, for two sites:
#   pydoc  the Python 3.11 HTML documentation (Debian's python3.11-doc, ~1,060 files)
#   100k   a generated site of 100,000 pages (200 folders x 500 pages, ~85 MB; benchmarks/gen-site.py)
# Runs alternate; before each one dirty pages are synced and the page cache dropped (where allowed),
# then the programs and the artifact are read back in, so every run pays the same disk cost for what
# it writes. Prints median wall times, the ratios, and sitepack's peak RSS.
# Goal (issue 13): ratio <= 0.7, peak RSS <= 64 MiB.
#
# Usage: benchmarks/fetch.sh [RUNS] [CORPUS...]   (default 9 runs, both corpora; needs .build/release/sitepack,
#        nginx, curl, tar, python3, GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-9}
shift || true
CORPORA=("$@")
[ ${#CORPORA[@]} -gt 0 ] || CORPORA=(pydoc 100k)
ROOT=$PWD
SITEPACK=$ROOT/.build/release/sitepack
WORK=$ROOT/benchmarks/work/fetch
SITE=/usr/share/doc/python3.11/html

[ -x "$SITEPACK" ] || { echo "build first: swift build -c release" >&2; exit 1; }
[ -d "$SITE" ] || { echo "missing $SITE: apt-get install python3.11-doc" >&2; exit 1; }
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (for peak RSS)" >&2
  apt-get install -y -qq time >/dev/null || { echo "need /usr/bin/time (apt-get install time)" >&2; exit 1; }
fi
command -v nginx >/dev/null || { echo "need nginx" >&2; exit 1; }

rm -rf "$WORK"
mkdir -p "$WORK/dist" "$WORK/nginx/logs" "$WORK/runs"

# nginx on a free ephemeral port, temporary config, no logs, serving $WORK/dist.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cat > "$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  types { application/gzip gz; }
  client_body_temp_path $WORK/nginx/tmp;
  proxy_temp_path $WORK/nginx/tmp;
  fastcgi_temp_path $WORK/nginx/tmp;
  uwsgi_temp_path $WORK/nginx/tmp;
  scgi_temp_path $WORK/nginx/tmp;
  server { listen 127.0.0.1:$PORT; root $WORK/dist; }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
trap 'kill $(cat "$WORK/nginx/nginx.pid") 2>/dev/null || true' EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# The same disk cost for every run: nothing dirty left by the previous one, nothing of it cached;
# the programs (with their shared libraries: run once) and the artifact read back in, so only
# extraction's own I/O is timed.
settle() {
  sync
  if [ -w /proc/sys/vm/drop_caches ]; then echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; fi
  "$SITEPACK" --version > /dev/null; curl --version > /dev/null; tar --version > /dev/null; gzip --version > /dev/null
  cat "$SITEPACK" "$WORK/dist/$1/content.tar.gz" > /dev/null
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/$1/content.tar.gz"
}

bench() { # corpus name, site folder
  local name=$1 site=$2
  "$SITEPACK" build "$site" --follow-symlinks --name "$name" -o "$WORK/store-$name" --quiet >/dev/null \
    || { echo "sitepack build of $site failed" >&2; exit 1; }
  mkdir -p "$WORK/dist/$name"
  cp "$WORK/store-$name/content.tar.gz" "$WORK/store-$name/content.tar.gz.sha256" "$WORK/dist/$name/"
  rm -rf "$WORK/store-$name"
  local digest size url files
  digest=$(cut -d' ' -f1 "$WORK/dist/$name/content.tar.gz.sha256")
  size=$(stat -c %s "$WORK/dist/$name/content.tar.gz")
  files=$(find "$site" -type f | wc -l)
  url=http://127.0.0.1:$PORT/$name/content.tar.gz
  for _ in $(seq 50); do curl -fsS -o /dev/null "$url" 2>/dev/null && break; sleep 0.1; done

  echo "=== $name: artifact $size bytes, $files files, sha256 $digest; $RUNS runs each, alternating; $(nproc) cores"
  local t
  for t in sitepack peer rss compat stream; do : > "$WORK/$name.$t"; done
  for i in $(seq "$RUNS"); do
    local S=$WORK/runs/sp-$i P=$WORK/runs/peer-$i N=$WORK/runs/stream-$i C=$WORK/runs/compat-$i t0 t1 rss
    mkdir -p "$S"; settle "$name"
    /usr/bin/time -f '%e %M' -o "$WORK/last.time" "$SITEPACK" fetch "$url" --sandbox "$S" --sha256 "$digest" --quiet >/dev/null
    read -r _ rss < "$WORK/last.time"
    echo "$rss" >> "$WORK/$name.rss"
    # Wall time measured the same way for both sides.
    rm -rf "$S"; mkdir -p "$S"; settle "$name"
    t0=$(now); "$SITEPACK" fetch "$url" --sandbox "$S" --sha256 "$digest" --quiet >/dev/null; t1=$(now)
    echo "$t1 - $t0" | bc -l >> "$WORK/$name.sitepack"
    [ -f "$S/site/index.html" ] || { echo "sitepack fetch did not extract" >&2; exit 1; }
    rm -rf "$S"

    mkdir -p "$P"; settle "$name"
    t0=$(now); (cd "$P" && curl -sS -L -o content.tar.gz "$url" && tar -xzf content.tar.gz); t1=$(now)
    echo "$t1 - $t0" | bc -l >> "$WORK/$name.peer"
    [ -f "$P/site/index.html" ] || { echo "curl+tar did not extract" >&2; exit 1; }
    rm -rf "$P"

    mkdir -p "$N"; settle "$name"
    t0=$(now); "$SITEPACK" fetch "$url" --sandbox "$N" --quiet >/dev/null; t1=$(now)
    echo "$t1 - $t0" | bc -l >> "$WORK/$name.stream"
    rm -rf "$N"

    mkdir -p "$C"; settle "$name"
    t0=$(now); "$SITEPACK" fetch "$url" --sandbox "$C" --mesos-compat --quiet >/dev/null; t1=$(now)
    echo "$t1 - $t0" | bc -l >> "$WORK/$name.compat"
    rm -rf "$C"
  done

  local sp peer compat stream rss_max
  sp=$(median < "$WORK/$name.sitepack")
  peer=$(median < "$WORK/$name.peer")
  compat=$(median < "$WORK/$name.compat")
  stream=$(median < "$WORK/$name.stream")
  rss_max=$(sort -n "$WORK/$name.rss" | tail -1)
  printf '%-6s curl -L -o F && tar -xzf F (what Mesos does): median %.3f s\n' "$name" "$peer"
  printf '%-6s sitepack fetch --sha256 (strict):              median %.3f s   ratio %.2fx  (goal <= 0.70x)\n' "$name" "$sp" "$(echo "$sp / $peer" | bc -l)"
  printf '%-6s sitepack fetch, no digest (extracts while downloading): median %.3f s   ratio %.2fx\n' "$name" "$stream" "$(echo "$stream / $peer" | bc -l)"
  printf '%-6s sitepack fetch --mesos-compat (libarchive gzip, single thread): median %.3f s   ratio %.2fx\n' "$name" "$compat" "$(echo "$compat / $peer" | bc -l)"
  printf '%-6s sitepack peak RSS: %d KiB = %.1f MiB  (goal <= 64 MiB)\n\n' "$name" "$rss_max" "$(echo "$rss_max / 1024" | bc -l)"
}

for corpus in "${CORPORA[@]}"; do
  case $corpus in
    pydoc) bench pydoc "$SITE" ;;
    100k)
      rm -rf "$WORK/site100k"
      python3 benchmarks/gen-site.py "$WORK/site100k" 100000 85M >/dev/null
      bench 100k "$WORK/site100k"
      rm -rf "$WORK/site100k" ;;
    *) echo "fetch.sh: unknown corpus '$corpus' (pydoc, 100k)" >&2; exit 2 ;;
  esac
done
