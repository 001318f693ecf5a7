#!/usr/bin/env bash
# Scale benchmark of the DataFusion engine (issue 18): KM + log-rank and Cox
# (p = 6, Efron) with `--engine datafusion` on N rows of Parquet, for each N
# given (default 1e6 1e7 1e8). Not part of the test command. Usage:
#   bench/engine/run.sh [N ...]
# Environment:
#   BENCH_DATA  where the Parquet data go (default bench-data/ in the
#               checkout, git-ignored); deleted at the end unless KEEP_DATA=1
#   KEEP_DATA=1 keep the generated data (a later run reuses them)
#   MIN_FREE_GB refuse to write data that would leave less free space on the
#               data's file system (default 15)
#   BENCH_VIA   cli (default): the `netra` binary with `--engine datafusion`;
#               example: crates/netra-engine/examples/bench_engine.rs, the
#               same engine calls without building the rest of netra-cli
#               (database, server, reports) in release
#   BENCH_CARGO_ARGS  extra arguments of the cargo build, e.g.
#               --config 'profile.release.package."*".opt-level=1'
#   CARGO_PROFILE_RELEASE_LTO / _CODEGEN_UNITS  passed to cargo as usual
#               (BENCHMARKS.md says which were used)
#   BENCH_NO_BUILD=1  run the binaries already in $CARGO_TARGET_DIR (or
#               target/) without building them (e.g. a build of an earlier
#               commit; say which in BENCHMARKS.md)
# Data: crates/netra-engine/examples/gen_parquet.rs (integer-day times, 3
# arms, 6 covariates), written in 64k-row batches, 1M-row row groups and
# 10^7-row part files: the generator never holds more than one row group.
# Builds netra (feature `engine`) and the generator in release, in one cargo
# command (so DataFusion is compiled once), runs every step under
# `/usr/bin/time -v` and prints a table: rows, step, wall seconds, CPU seconds
# (user + sys), peak RSS, ns per row (wall), and for Cox the number of
# aggregation passes over the data and ns per row and pass. The JSON each
# analysis printed is kept in $BENCH_DATA/out (removed with the data).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x /usr/bin/time ] || { apt-get update && apt-get install -y time; }
if [ $# -gt 0 ]; then SIZES=("$@"); else SIZES=(1000000 10000000 100000000); fi
DATA="${BENCH_DATA:-$PWD/bench-data}"
MIN_FREE_GB="${MIN_FREE_GB:-15}"
mkdir -p "$DATA/out"

VIA="${BENCH_VIA:-cli}"
read -r -a CARGO_EXTRA <<<"${BENCH_CARGO_ARGS:-}"
TARGET="${CARGO_TARGET_DIR:-target}"
GEN="$TARGET/release/examples/gen_parquet"
# `cargo`, or nothing when the binaries are already built (BENCH_NO_BUILD=1).
build() { if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then :; else cargo "$@"; fi; }
if [ "$VIA" = cli ]; then
  build build --release --locked -q -p netra-cli -p netra-engine --features netra-cli/engine \
    --bin netra --example gen_parquet "${CARGO_EXTRA[@]}"
  NETRA="$TARGET/release/netra"
  KM=("$NETRA" km --time time --event status --group arm --engine datafusion --format json --data)
  COX=("$NETRA" cox --time time --event status --formula "x1 + x2 + x3 + x4 + x5 + x6"
    --engine datafusion --format json --data)
else
  build build --release --locked -q -p netra-engine --example gen_parquet --example bench_engine \
    "${CARGO_EXTRA[@]}"
  KM=("$TARGET/release/examples/bench_engine" km)
  COX=("$TARGET/release/examples/bench_engine" cox)
fi
echo "via: $VIA; cargo: ${BENCH_CARGO_ARGS:-} LTO=${CARGO_PROFILE_RELEASE_LTO:-profile} codegen-units=${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-profile}"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-22s %9s %9s %9s %9s %7s %11s %s\n' \
  rows step wall_s cpu_s peak_MB ns/row passes ns/row/pass load_1min
# One step under GNU time: prints its table line; the command's stdout goes
# to $DATA/out/<N>-<tag>.json.
step() {
  local n="$1" name="$2" tag="$3"; shift 3
  local log="$DATA/out/$n-$tag.time" out="$DATA/out/$n-$tag.json"
  if ! /usr/bin/time -v -o "$log" "$@" >"$out"; then
    echo "$n $name: FAILED (see $log)"; return 1
  fi
  local wall cpu kb passes=""
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
  cpu=$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{print u+s}' "$log")
  kb=$(awk -F': ' '/Maximum resident set size/{print $2}' "$log")
  if [ "$tag" = cox ]; then
    # Reading pass + two centring passes + one per Newton evaluation
    # (iterations + 1: the last evaluation checks convergence).
    passes=$(grep -o '"passes": *[0-9]*' "$out" | head -1 | grep -o '[0-9]*$' || true)
    if [ -z "$passes" ]; then
      local it; it=$(grep -o '"iterations": *[0-9]*' "$out" | head -1 | grep -o '[0-9]*$' || true)
      [ -n "$it" ] && passes=$((3 + it + 1))
    fi
  fi
  local per_pass="-"
  [ -n "$passes" ] && per_pass=$(echo "$wall * 1000000000 / $n / $passes" | bc -l | xargs printf '%.1f')
  printf '%-10s %-22s %9.1f %9.1f %9d %9.1f %7s %11s %s\n' "$n" "$name" "$wall" "$cpu" \
    $((kb / 1024)) "$(echo "$wall * 1000000000 / $n" | bc -l)" "${passes:--}" "$per_pass" \
    "$(cut -d' ' -f1 /proc/loadavg)"
}
for N in "${SIZES[@]}"; do
  DIR="$DATA/rows_$N"
  if [ ! -d "$DIR" ]; then
    # ~30 bytes a row (three plain float columns, the rest dictionary-coded).
    need_gb=$(( N * 30 / 1000000000 + 1 ))
    free_gb=$(df -BG --output=avail "$DATA" | tail -1 | tr -dc '0-9')
    if [ $((free_gb - need_gb)) -lt "$MIN_FREE_GB" ]; then
      echo "$N rows: ~$need_gb GB would leave less than $MIN_FREE_GB GB free ($free_gb GB); skipped"
      continue
    fi
    step "$N" "generate parquet" gen "$GEN" "$N" "$DIR" 10000000
    echo "           data: $(du -sh "$DIR" | cut -f1), $(ls "$DIR" | wc -l) file(s)"
  fi
  step "$N" "km+logrank (3 arms)" km "${KM[@]}" "$DIR" || true
  step "$N" "cox p=6 efron" cox "${COX[@]}" "$DIR" || true
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${KEEP_DATA:-0}" != 1 ]; then rm -rf "$DATA"; fi
