#!/usr/bin/env bash
# Before/after check of the analysis layer (issue 12, "no slower"): runs the CLI commands and the
# in-memory benchmarks of two builds on the same files and prints a Markdown table of
#   * instructions executed (valgrind --tool=callgrind; independent of the machine's load), and
#   * wall time, best of N runs, the two builds alternated run by run.
# Usage: bench/layer/run.sh BEFORE_DIR AFTER_DIR [RUNS]
#   each DIR holds the release binaries `netra`, `bench-survival` and `cox_bench`
#   (target/release/netra, target/release/bench-survival, target/release/examples/cox_bench).
# Data: bench/survival/generate.py 1e6 and bench/cox/generate.py 1e5 (written to $NETRA_BENCH_DIR,
# default /tmp/netra-bench-layer, when absent).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
before=$1 after=$2 runs=${3:-5}
data=${NETRA_BENCH_DIR:-/tmp/netra-bench-layer}
mkdir -p "$data"
surv="$data/survival-1e6.csv" cox="$data/cox-1e5.csv"
[ -f "$surv" ] || python3 "$root/bench/survival/generate.py" 1e6 "$surv"
[ -f "$cox" ] || python3 "$root/bench/cox/generate.py" 1e5 "$cox"
formula="age + ki67 + size + liver + male + grade"

# name|command (BIN is replaced by the build's directory)
cases=(
  "netra km --group (1e6 rows, CSV → JSON)|BIN/netra km --data $surv --time time --event status --group group --format json"
  "netra logrank (1e6 rows)|BIN/netra logrank --data $surv --time time --event status --group group --format json"
  "netra cox (1e5 rows, 6 covariates)|BIN/netra cox --data $cox --time time --event status --formula '$formula' --format json"
  "KM per group + log-rank in memory (bench-survival, 1e6)|BIN/bench-survival $surv 1"
  "coxph in memory (cox_bench, 1e5)|BIN/cox_bench $cox 1"
)

instructions() { # command → instructions executed (millions)
  local out
  out=$(mktemp)
  eval "valgrind --tool=callgrind --callgrind-out-file=$out.cg $1" > /dev/null 2> "$out"
  grep -o 'Collected : [0-9]*' "$out" | awk '{printf "%.0f", $3 / 1e6}'
  rm -f "$out" "$out.cg"
}
seconds() { # command → wall seconds of one run
  local t0 t1
  t0=$(date +%s.%N); eval "$1" > /dev/null; t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
min() { printf '%s\n' "$@" | sort -g | head -1; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| program | instructions before (M) | after (M) | change | wall before (s) | after (s) |\n'
printf '|---|---:|---:|---:|---:|---:|\n'
for c in "${cases[@]}"; do
  name=${c%%|*} cmd=${c#*|}
  cb=${cmd//BIN/$before} ca=${cmd//BIN/$after}
  ib=$(instructions "$cb") ia=$(instructions "$ca")
  tb=() ta=()
  for _ in $(seq "$runs"); do tb+=("$(seconds "$cb")"); ta+=("$(seconds "$ca")"); done
  printf '| %s | %s | %s | %+.1f%% | %.3f | %.3f |\n' "$name" "$ib" "$ia" \
    "$(echo "100 * ($ia - $ib) / $ib" | bc -l)" "$(min "${tb[@]}")" "$(min "${ta[@]}")"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
