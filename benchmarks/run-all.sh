#!/usr/bin/env bash
# Runs every benchmark script in this folder, one after another, on the same machine.
set -uo pipefail
cd "$(dirname "$0")"
status=0
for script in build.sh serve.sh fetch.sh check.sh; do
  [ -x "$script" ] || continue
  echo "=== benchmarks/$script"
  ./"$script" || { echo "benchmarks/$script failed" >&2; status=1; }
  echo
done
exit $status
