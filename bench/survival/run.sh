#!/usr/bin/env bash
# Kaplan–Meier per group + log-rank on 1e5, 1e6, 1e7 rows × 3 groups:
# netra (in memory, and the whole CLI run from CSV), R survival (read.csv; survfit + survdiff
# from memory) and Python lifelines, in one run on this machine. Prints a Markdown table.
# Usage: bench/survival/run.sh [SIZES...]   (default: 1e5 1e6 1e7)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/bench/out"
mkdir -p "$out"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1e5 1e6 1e7)

cargo build --release -q -p netra-cli -p netra-bench --manifest-path "$root/Cargo.toml"
netra="$root/target/release/netra"
inmem="$root/target/release/bench-survival"

now() { date +%s.%N; }
printf '| rows | netra in memory (s) | netra CLI incl. CSV (s) | R read.csv (s) | R survfit+survdiff (s) | lifelines (s) | R / netra (memory) | lifelines / netra | R read.csv / netra CLI |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for n in "${sizes[@]}"; do
  csv="$out/survival-$n.csv"
  [ -f "$csv" ] || python3 "$here/generate.py" "$n" "$csv"
  repeats=3
  [ "$n" = "1e7" ] && repeats=1
  netra_mem=$("$inmem" "$csv" "$repeats")
  t0=$(now)
  "$netra" km --data "$csv" --time time --event status --group group --format json > /dev/null
  t1=$(now)
  netra_cli=$(echo "$t1 - $t0" | bc -l)
  r_json=$(Rscript "$here/r_bench.R" "$csv" "$repeats")
  py_json=$(python3 "$here/lifelines_bench.py" "$csv" "$repeats")
  python3 - "$n" "$netra_mem" "$netra_cli" "$r_json" "$py_json" <<'PY'
import json, sys
n, mem, cli = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
r, py = json.loads(sys.argv[4]), json.loads(sys.argv[5])
print(f"| {n} | {mem:.4f} | {cli:.3f} | {r['read_csv']:.3f} | {r['km_logrank']:.3f} | "
      f"{py['km_logrank']:.3f} | {r['km_logrank']/mem:.0f}× | {py['km_logrank']/mem:.0f}× | "
      f"{r['read_csv']/cli:.1f}× |")
PY
done
