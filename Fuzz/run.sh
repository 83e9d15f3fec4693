#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of Fuzz/ (with AddressSanitizer, scratch path .build-fuzz, never
# the main .build) and runs each for FUZZ_SECONDS (default 60), one after the other, then prints per target
# the executions per second and the coverage libFuzzer reached (cov: edges, ft: features) and whether it
# crashed. Not part of `make test` or CI.
#
#   FUZZ_SECONDS=300 make fuzz                   # longer runs
#   FUZZ_TARGETS="FuzzRecordIO" make fuzz        # some targets only
#   FUZZ_ARGS="-jobs=2 -workers=2" make fuzz     # extra libFuzzer flags
#
# The corpus each run grows is kept in Fuzz/work/corpus/<target> (seeded from Fuzz/Seeds/<target>) so the
# next run starts from it; a crashing input lands in Fuzz/work/crashes/<target>/ (re-run it with
# `.build-fuzz/release/<target> FILE`); logs in Fuzz/work/logs. Fuzz/work is not in git: a crash becomes a
# regression test in Tests/SitepackCoreTests/Fuzz/ with the input inline (docs/development.md, "Fuzzing").
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-FuzzArchive FuzzServeParsing FuzzRecordIO FuzzMesosJSON}
FUZZ_ARGS=${FUZZ_ARGS:-}
SCRATCH=.build-fuzz
WORK=Fuzz/work

# Same dependency versions as the main package, resolved from SwiftPM's cache.
[ -f Fuzz/Package.resolved ] || cp Package.resolved Fuzz/Package.resolved 2>/dev/null || true
echo "building the fuzz targets (release, -sanitize=fuzzer,address) in $SCRATCH"
if ! $SWIFT build --package-path Fuzz --scratch-path "$SCRATCH" -c release \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 | grep -v 'Cannot export local symbol'; then
  echo "fuzz build failed" >&2
  exit 1
fi

failed=0
summary=()
for target in $TARGETS; do
  bin="$SCRATCH/release/$target"
  [ -x "$bin" ] || { echo "no binary $bin" >&2; exit 1; }
  mkdir -p "$WORK/corpus/$target" "$WORK/crashes/$target" "$WORK/logs" "$WORK/tmp/$target"
  log="$WORK/logs/$target.log"
  echo "fuzzing $target for ${FUZZ_SECONDS}s (log: $log)"
  # Swift's runtime keeps caches libFuzzer's leak check would report at exit; leaks are not what this looks for.
  # Absolute paths: FuzzArchive works in a folder of its own. Swift's backtracer is off: under ASan it
  # reports its own memory reads as errors after the real message (a Swift `Fatal error:` line).
  TMPDIR="$PWD/$WORK/tmp/$target" ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1" SWIFT_BACKTRACE=enable=no \
    "$bin" "$PWD/$WORK/corpus/$target" "$PWD/Fuzz/Seeds/$target" \
      -max_total_time="$FUZZ_SECONDS" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$PWD/$WORK/crashes/$target/" $FUZZ_ARGS >"$log" 2>&1
  status=$?
  rm -rf "$WORK/tmp/$target"
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
  rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log" | tail -1)
  if [ "$status" = 0 ]; then result=ok; else
    result="CRASH ($(ls -t "$WORK/crashes/$target" | head -1); $(grep -m1 -oE 'Fatal error: .{0,100}|ERROR: [A-Za-z]+Sanitizer: [a-z-]+' "$log"))"
    failed=1
  fi
  summary+=("$(printf '%-18s %10s runs %8s exec/s  cov: %-6s ft: %-7s %s' "$target" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result")")
done

echo
echo "fuzzing, ${FUZZ_SECONDS}s per target:"
printf '%s\n' "${summary[@]}" | tee -a "$WORK/summary.txt"
if [ "$failed" = 1 ]; then
  echo "a target crashed: see $WORK/logs/<target>.log; turn the input into a regression test (docs/development.md)" >&2
  exit 1
fi
