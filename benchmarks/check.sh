#!/usr/bin/env bash
# `sitepack check` of the Python 3.11 docs artifact (verify, serve in-process, task, fetch into a sandbox,
# run python3 -m http.server, probe / and 50 files, stop) against `sitepack fetch --sha256` of the same
# artifact from `sitepack serve` — the agent emulation, start and probes should cost less than half a
# fetch (goal: check / fetch <= 1.5x). Alternating runs; prints medians and the ratio.
# Usage: benchmarks/check.sh [RUNS]   (default 5; needs .build/release/sitepack, python3.11-doc, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
SITEPACK=$PWD/.build/release/sitepack
WORK=$PWD/benchmarks/work/check
SITE=/usr/share/doc/python3.11/html
[ -x "$SITEPACK" ] || { echo "check.sh: build first: make release" >&2; exit 1; }
[ -d "$SITE" ] || { echo "check.sh: missing $SITE: apt-get install python3.11-doc" >&2; exit 1; }
rm -rf "$WORK" && mkdir -p "$WORK"
"$SITEPACK" build "$SITE" --follow-symlinks --name pydocs -o "$WORK/dist" --quiet >/dev/null
DIGEST=$(cut -c1-64 "$WORK/dist/content.tar.gz.sha256")

"$SITEPACK" serve "$WORK/dist" --host 127.0.0.1 --port 0 --access-log off > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVE=$!
trap 'kill $SERVE 2>/dev/null; wait $SERVE 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "sites/pydocs/$DIGEST" "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
URL=$(grep -m1 "sites/pydocs/$DIGEST/content.tar.gz" "$WORK/serve.out")

now() { date +%s.%N; }
for ((i = 1; i <= RUNS; i++)); do
  rm -rf "$WORK/sandbox"; sync
  t0=$(now); "$SITEPACK" fetch "$URL" --sha256 "$DIGEST" --sandbox "$WORK/sandbox" --quiet >/dev/null; t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }' >> "$WORK/fetch.times"
  sync
  t0=$(now); "$SITEPACK" check "$WORK/dist" --json > "$WORK/check-$i.json"; t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }' >> "$WORK/check.times"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
f=$(median < "$WORK/fetch.times"); c=$(median < "$WORK/check.times")
echo "artifact: $(stat -c %s "$WORK/dist/content.tar.gz") bytes, $RUNS alternating runs, $(nproc) cores"
printf '%-34s %8.3f s\n' "sitepack fetch --sha256 (median)" "$f" "sitepack check (median)" "$c"
awk -v c="$c" -v f="$f" 'BEGIN { printf "time  check / fetch : %.2fx   (goal <= 1.5x)\n", c / f }'
