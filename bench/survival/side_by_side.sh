#!/usr/bin/env bash
# KM per group + medians + 3-group log-rank at each SIZE, end to end from the CSV file, in one
# run: the release `netra` binary as a user types it (`netra km --data FILE --time time
# --event status --group group --format json`: read, complete rows, types, KM, log-rank, JSON
# written to a file), R survival (read.csv + survfit + summary + survdiff), Python lifelines
# and the Rust `survival` crate (its Python bindings, pandas.read_csv + survfit + quantile +
# survdiff). Wall time is the best of REPEATS; CPU time (user + sys) per run is also given, as
# it survives a loaded machine better. Prints a Markdown table and the load average.
# Usage: bench/survival/side_by_side.sh [SIZES...]   (default: 1e6); REPEATS=3 by default.
# Needs: R with survival, python3 with pandas, lifelines and survival (pip install survival).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/bench/out"
mkdir -p "$out"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1e6)
repeats=${REPEATS:-3}
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --release -q -p netra-cli --manifest-path "$root/Cargo.toml"
netra="$target/release/netra"

# netra_run CSV: runs the command REPEATS times; prints "best_wall cpu_per_run peak_rss_kb".
netra_run() {
  local csv=$1 best="" cpu=0 rss=0 timing
  timing=$(mktemp)
  for _ in $(seq "$repeats"); do
    /usr/bin/time -f '%e %U %S %M' -o "$timing" "$netra" km --data "$csv" --time time \
      --event status --group group --format json > "$out/netra-km.json"
    read -r e u s m < "$timing"
    best=$(awk -v a="$best" -v b="$e" 'BEGIN { print (a == "" || b < a) ? b : a }')
    cpu=$(awk -v a="$cpu" -v b="$u" -v c="$s" 'BEGIN { print a + b + c }')
    rss=$(( m > rss ? m : rss ))
  done
  rm -f "$timing"
  echo "$best $(awk -v a="$cpu" -v r="$repeats" 'BEGIN { print a / r }') $rss"
}

echo "load before: $(uptime)"
printf '| rows | netra km wall (s) | netra CPU (s) | R read.csv+survfit+survdiff wall (s) | R CPU (s) | lifelines wall (s) | lifelines CPU (s) | Rust survival wall (s) | Rust survival CPU (s) | R / netra wall | R / netra CPU | lifelines / netra CPU | Rust survival / netra CPU |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for n in "${sizes[@]}"; do
  csv="$out/survival-$n.csv"
  [ -f "$csv" ] || python3 "$here/generate.py" "$n" "$csv"
  read -r netra_wall netra_cpu netra_rss < <(netra_run "$csv")
  echo "netra peak RSS at $n rows: $((netra_rss / 1024)) MB" >&2
  r_json=$(Rscript "$here/r_bench.R" "$csv" "$repeats")
  py_json=$(python3 "$here/lifelines_bench.py" "$csv" "$repeats")
  rs_json=$(python3 "$here/survival_rs_bench.py" "$csv" "$repeats")
  python3 - "$n" "$netra_wall" "$netra_cpu" "$r_json" "$py_json" "$rs_json" <<'PY'
import json, sys
n, wall, cpu = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
r, py, rs = (json.loads(a) for a in sys.argv[4:7])
def tot(j, k=""):
    return j["read_csv" + k] + j["km_logrank" + k]
print(f"| {n} | {wall:.3f} | {cpu:.3f} | {tot(r):.3f} | {tot(r, '_cpu'):.3f} | {tot(py):.3f} | "
      f"{tot(py, '_cpu'):.3f} | {tot(rs):.3f} | {tot(rs, '_cpu'):.3f} | {tot(r)/wall:.1f}× | "
      f"{tot(r, '_cpu')/cpu:.1f}× | {tot(py, '_cpu')/cpu:.1f}× | {tot(rs, '_cpu')/cpu:.1f}× |")
PY
done
echo "load after: $(uptime)"
