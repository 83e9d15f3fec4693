#!/usr/bin/env bash
# Fetch-and-extract benchmark: sitepack fetch (strict mode, --sha256) against what the Mesos fetcher
# does (curl -sS -L -o F URL, then tar -xzf F), both downloading the Python-docs artifact from a local
# nginx. Runs alternate; prints median wall times, the ratio, and sitepack's peak RSS.
# Goal (issue 4): ratio <= 0.7, peak RSS <= 64 MiB.
#
# Usage: benchmarks/fetch.sh [RUNS]   (default 9; needs .build/release/sitepack with `build`, nginx, curl, tar, GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-9}
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

# The artifact, as sitepack build makes it (multi-member gzip, one member per 2 MiB block).
"$SITEPACK" build "$SITE" --follow-symlinks --name pydocs -o "$WORK/dist" >/dev/null 2>&1 \
  || { echo "sitepack build failed (does this sitepack have the build command?)" >&2; exit 1; }
DIGEST=$(cut -d' ' -f1 "$WORK/dist/content.tar.gz.sha256")
SIZE=$(stat -c %s "$WORK/dist/content.tar.gz")

# nginx on a free ephemeral port, temporary config, no logs.
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
URL=http://127.0.0.1:$PORT/content.tar.gz
for _ in $(seq 50); do curl -fsS -o /dev/null "$URL" 2>/dev/null && break; sleep 0.1; done

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "artifact: $SIZE bytes, $(find "$SITE" -type f | wc -l) files, sha256 $DIGEST; $RUNS runs each, alternating; $(nproc) cores"
: > "$WORK/sitepack.times"; : > "$WORK/peer.times"; : > "$WORK/sitepack.rss"; : > "$WORK/compat.times"; : > "$WORK/stream.times"
for i in $(seq "$RUNS"); do
  S=$WORK/runs/sp-$i
  mkdir -p "$S"
  /usr/bin/time -f '%e %M' -o "$WORK/last.time" "$SITEPACK" fetch "$URL" --sandbox "$S" --sha256 "$DIGEST" --quiet >/dev/null
  read -r _ rss < "$WORK/last.time"
  echo "$rss" >> "$WORK/sitepack.rss"
  # Wall time measured the same way for both sides.
  rm -rf "$S"; mkdir -p "$S"; sync
  t0=$(now); "$SITEPACK" fetch "$URL" --sandbox "$S" --sha256 "$DIGEST" --quiet >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc -l >> "$WORK/sitepack.times"
  [ -f "$S/site/index.html" ] || { echo "sitepack fetch did not extract" >&2; exit 1; }
  rm -rf "$S"

  P=$WORK/runs/peer-$i
  mkdir -p "$P"; sync
  t0=$(now); (cd "$P" && curl -sS -L -o content.tar.gz "$URL" && tar -xzf content.tar.gz); t1=$(now)
  echo "$t1 - $t0" | bc -l >> "$WORK/peer.times"
  [ -f "$P/site/index.html" ] || { echo "curl+tar did not extract" >&2; exit 1; }
  rm -rf "$P"

  N=$WORK/runs/stream-$i
  mkdir -p "$N"; sync
  t0=$(now); "$SITEPACK" fetch "$URL" --sandbox "$N" --quiet >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc -l >> "$WORK/stream.times"
  rm -rf "$N"

  C=$WORK/runs/compat-$i
  mkdir -p "$C"; sync
  t0=$(now); "$SITEPACK" fetch "$URL" --sandbox "$C" --mesos-compat --quiet >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc -l >> "$WORK/compat.times"
  rm -rf "$C"
done

SP=$(median < "$WORK/sitepack.times")
PEER=$(median < "$WORK/peer.times")
COMPAT=$(median < "$WORK/compat.times")
STREAM=$(median < "$WORK/stream.times")
RSS=$(sort -n "$WORK/sitepack.rss" | tail -1)
printf 'curl -L -o F && tar -xzf F (what Mesos does): median %.3f s\n' "$PEER"
printf 'sitepack fetch --sha256 (strict):              median %.3f s   ratio %.2fx  (goal <= 0.70x)\n' "$SP" "$(echo "$SP / $PEER" | bc -l)"
printf 'sitepack fetch, no digest (extracts while downloading): median %.3f s   ratio %.2fx\n' "$STREAM" "$(echo "$STREAM / $PEER" | bc -l)"
printf 'sitepack fetch --mesos-compat (libarchive gzip, single thread): median %.3f s   ratio %.2fx\n' "$COMPAT" "$(echo "$COMPAT / $PEER" | bc -l)"
printf 'sitepack peak RSS: %d KiB = %.1f MiB  (goal <= 64 MiB)\n' "$RSS" "$(echo "$RSS / 1024" | bc -l)"
