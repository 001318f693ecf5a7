#!/usr/bin/env bash
# Scale benchmark of the DataFusion engine (issue 18): KM + log-rank and Cox
# (p = 6, Efron) with `--engine datafusion` on N rows of Parquet, for each N
# given (default 1e6 1e7), with wall time and peak memory (GNU time's
# maximum resident set size). Not part of the test command. Usage:
#   bench/engine/run.sh [N ...]
# Data: crates/netra-engine/examples/gen_parquet.rs (integer-day times, 3
# arms, 6 covariates), written once per N under ${TMPDIR:-/tmp}.
# Prints one line per step: N, step, seconds, peak MB, ns per row, and the
# machine's load average at the start.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x /usr/bin/time ] || { apt-get update && apt-get install -y time; }
if [ $# -gt 0 ]; then SIZES=("$@"); else SIZES=(1000000 10000000); fi

cargo build --release -q -p netra-cli --features engine
cargo build --release -q -p netra-engine --example gen_parquet
NETRA=./target/release/netra
GEN=./target/release/examples/gen_parquet

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB; load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-11s %-26s %9s %9s %9s\n' N step seconds peak_MB ns/row
for N in "${SIZES[@]}"; do
  DIR="${TMPDIR:-/tmp}/netra_engine_bench_${N}"
  [ -d "$DIR" ] || "$GEN" "$N" "$DIR" 10000000 >/dev/null
  run() {
    local name="$1"; shift
    local out; out=$(mktemp)
    local t0; t0=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$out.mem" "$NETRA" "$@" --engine datafusion --format json >"$out"
    local t1; t1=$(date +%s.%N)
    local s; s=$(echo "$t1 - $t0" | bc)
    local mb=$(( $(cat "$out.mem") / 1024 ))
    printf '%-11s %-26s %9.2f %9d %9.1f\n' "$N" "$name" "$s" "$mb" "$(echo "$s * 1000000000 / $N" | bc -l)"
    rm -f "$out" "$out.mem"
  }
  run "km+logrank (3 arms)" km --data "$DIR" --time time --event status --group arm
  run "cox p=6 efron" cox --data "$DIR" --time time --event status --formula "x1 + x2 + x3 + x4 + x5 + x6"
done
