#!/usr/bin/env bash
# Packs the Python 3.11 HTML documentation (Debian's python3.11-doc: ~67 MB, ~1,060 files) with
# sitepack, with `tar --sort=name | gzip -6 -n` and with `tar --sort=name | pigz -6 -n`, alternating
# runs in one session, and prints median wall times, size ratios and peak memory.
# Usage: benchmarks/build.sh [RUNS]   (make bench runs it; needs a release build and python3.11-doc, pigz, time)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
bin=.build/release/sitepack
src=/usr/share/doc/python3.11/html
[ -x "$bin" ] || { echo "build.sh: $bin missing: run 'swift build -c release' (make bench does)" >&2; exit 1; }
[ -d "$src" ] || { echo "build.sh: $src missing: apt-get install python3.11-doc" >&2; exit 1; }
command -v pigz >/dev/null && [ -x /usr/bin/time ] || { echo "build.sh: needs pigz and /usr/bin/time (apt-get install pigz time)" >&2; exit 1; }

work=benchmarks/work/build
rm -rf "$work" && mkdir -p "$work"
# The Debian docs symlink two scripts to /usr/share/javascript: copy with links resolved so every tool packs the same tree.
cp -rL "$src" "$work/pydoc"
export SOURCE_DATE_EPOCH=1700000000
files=$(find "$work/pydoc" -type f | wc -l); bytes=$(du -sb "$work/pydoc" | cut -f1)
echo "corpus: $files files, $bytes bytes; $runs alternating runs; $(nproc) cores"

measure() { # name, command... → appends "seconds peak_kb" to $work/<name>.times
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/$name.one" "$@" >/dev/null
  cat "$work/$name.one" >> "$work/$name.times"
}
for ((i = 1; i <= runs; i++)); do
  measure sitepack "$bin" build "$work/pydoc" -o "$work/out-sitepack" --quiet
  measure gzip bash -c "tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$SOURCE_DATE_EPOCH -C '$work' -cf - pydoc | gzip -6 -n > '$work/gzip.tar.gz'"
  measure pigz bash -c "tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$SOURCE_DATE_EPOCH -C '$work' -cf - pydoc | pigz -6 -n > '$work/pigz.tar.gz'"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
t_sp=$(cut -d' ' -f1 "$work/sitepack.times" | median)
t_gz=$(cut -d' ' -f1 "$work/gzip.times" | median)
t_pz=$(cut -d' ' -f1 "$work/pigz.times" | median)
rss_sp=$(cut -d' ' -f2 "$work/sitepack.times" | sort -n | tail -1)
s_sp=$(stat -c %s "$work/out-sitepack/content.tar.gz"); s_gz=$(stat -c %s "$work/gzip.tar.gz"); s_pz=$(stat -c %s "$work/pigz.tar.gz")

"$bin" build "$work/pydoc" -o "$work/out-1thread" --threads 1 --quiet >/dev/null
same=$(cmp -s "$work/out-1thread/content.tar.gz" "$work/out-sitepack/content.tar.gz" && echo yes || echo NO)
gzip -t "$work/out-sitepack/content.tar.gz"

printf '\n%-26s %10s %12s\n' tool "median s" "bytes"
printf '%-26s %10s %12s\n' "sitepack build (level 6)" "$t_sp" "$s_sp" "tar | gzip -6 -n" "$t_gz" "$s_gz" "tar | pigz -6 -n" "$t_pz" "$s_pz"
echo
awk -v sp="$t_sp" -v gz="$t_gz" -v pz="$t_pz" -v ssp="$s_sp" -v sgz="$s_gz" -v rss="$rss_sp" -v same="$same" 'BEGIN {
  printf "time  sitepack / tar|pigz : %.2fx   (goal <= 0.50x)\n", sp / pz
  printf "time  sitepack / tar|gzip : %.2fx\n", sp / gz
  printf "size  sitepack / gzip -6  : %.4fx (goal <= 1.01x)\n", ssp / sgz
  printf "peak RSS sitepack         : %.1f MiB (goal <= 64 MiB)\n", rss / 1024
  printf "1 thread == all cores     : %s\n", same
}'
