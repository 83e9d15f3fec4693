#!/usr/bin/env bash
# Packs two sites with sitepack, with `tar --sort=name | gzip -6 -n` and with `tar --sort=name | pigz -6 -n`,
# alternating runs in one session, and prints median wall times, size ratios and peak memory for each:
#   pydoc  the Python 3.11 HTML documentation (Debian's python3.11-doc: ~67 MB, ~1,060 files)
#   100k   a generated site of 100,000 pages (200 folders x 500 pages, ~85 MB; benchmarks/gen-site.py)
# Usage: benchmarks/build.sh [RUNS] [CORPUS...]   (default 7 runs, both corpora; make bench runs it;
#        needs a release build, python3.11-doc, python3, pigz and GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
shift || true
corpora=("$@")
[ ${#corpora[@]} -gt 0 ] || corpora=(pydoc 100k)
bin=.build/release/sitepack
src=/usr/share/doc/python3.11/html
[ -x "$bin" ] || { echo "build.sh: $bin missing: run 'swift build -c release' (make bench does)" >&2; exit 1; }
[ -d "$src" ] || { echo "build.sh: $src missing: apt-get install python3.11-doc" >&2; exit 1; }
command -v pigz >/dev/null && [ -x /usr/bin/time ] || { echo "build.sh: needs pigz and /usr/bin/time (apt-get install pigz time)" >&2; exit 1; }

work=benchmarks/work/build
rm -rf "$work" && mkdir -p "$work"
export SOURCE_DATE_EPOCH=1700000000
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
measure() { # name, command... → appends "seconds peak_kb" to $work/<name>.times
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/$name.one" "$@" >/dev/null
  cat "$work/$name.one" >> "$work/$name.times"
}

bench() { # corpus name, folder under $work
  local name=$1 dir=$2
  local files bytes
  files=$(find "$work/$dir" -type f | wc -l); bytes=$(du -sb "$work/$dir" | cut -f1)
  echo "=== $name: $files files, $bytes bytes; $runs alternating runs; $(nproc) cores"
  for ((i = 1; i <= runs; i++)); do
    measure "$name-sitepack" "$bin" build "$work/$dir" -o "$work/out-$name" --quiet
    measure "$name-gzip" bash -c "tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$SOURCE_DATE_EPOCH -C '$work' -cf - '$dir' | gzip -6 -n > '$work/$name-gzip.tar.gz'"
    measure "$name-pigz" bash -c "tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$SOURCE_DATE_EPOCH -C '$work' -cf - '$dir' | pigz -6 -n > '$work/$name-pigz.tar.gz'"
  done
  local t_sp t_gz t_pz rss_sp rss_pz s_sp s_gz s_pz same
  t_sp=$(cut -d' ' -f1 "$work/$name-sitepack.times" | median)
  t_gz=$(cut -d' ' -f1 "$work/$name-gzip.times" | median)
  t_pz=$(cut -d' ' -f1 "$work/$name-pigz.times" | median)
  rss_sp=$(cut -d' ' -f2 "$work/$name-sitepack.times" | sort -n | tail -1)
  s_sp=$(stat -c %s "$work/out-$name/content.tar.gz"); s_gz=$(stat -c %s "$work/$name-gzip.tar.gz"); s_pz=$(stat -c %s "$work/$name-pigz.tar.gz")
  "$bin" build "$work/$dir" -o "$work/out-$name-1thread" --threads 1 --quiet >/dev/null
  same=$(cmp -s "$work/out-$name-1thread/content.tar.gz" "$work/out-$name/content.tar.gz" && echo yes || echo NO)
  gzip -t "$work/out-$name/content.tar.gz"

  printf '%-26s %10s %12s\n' tool "median s" "bytes"
  printf '%-26s %10s %12s\n' "sitepack build (level 6)" "$t_sp" "$s_sp" "tar | gzip -6 -n" "$t_gz" "$s_gz" "tar | pigz -6 -n" "$t_pz" "$s_pz"
  awk -v name="$name" -v sp="$t_sp" -v gz="$t_gz" -v pz="$t_pz" -v ssp="$s_sp" -v sgz="$s_gz" -v rss="$rss_sp" -v same="$same" 'BEGIN {
    printf "%-6s time  sitepack / tar|pigz : %.2fx   (goal <= 0.60x)\n", name, sp / pz
    printf "%-6s time  sitepack / tar|gzip : %.2fx\n", name, sp / gz
    printf "%-6s size  sitepack / gzip -6  : %.4fx (goal <= 1.01x)\n", name, ssp / sgz
    printf "%-6s peak RSS sitepack         : %.1f MiB (goal <= 64 MiB)\n", name, rss / 1024
    printf "%-6s 1 thread == all cores     : %s\n\n", name, same
  }'
}

for corpus in "${corpora[@]}"; do
  case $corpus in
    pydoc)
      # The Debian docs symlink two scripts to /usr/share/javascript: copy with links resolved so every tool packs the same tree.
      cp -rL "$src" "$work/pydoc"
      bench pydoc pydoc
      rm -rf "$work/pydoc" "$work"/out-pydoc* ;;
    100k)
      python3 benchmarks/gen-site.py "$work/site100k" 100000 85M >/dev/null
      bench 100k site100k
      rm -rf "$work/site100k" "$work"/out-100k* ;;
    *) echo "build.sh: unknown corpus '$corpus' (pydoc, 100k)" >&2; exit 2 ;;
  esac
done
