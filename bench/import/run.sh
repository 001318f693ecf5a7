#!/usr/bin/env bash
# Registry import benchmark: a generated bundle of N patients (default 1e5)
# imported into a fresh SQLite registry with `netra import` (release build).
# The bundle is the calibrated synthetic registry of `netra simulate` (seed 1;
# about 64 rows per patient over the 13 files). Usage: bench/import/run.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-100000}"
OUT=bench/out/import
rm -rf "$OUT"
mkdir -p "$OUT"
# NETRA=path/to/netra: another build (before/after); else the release build.
[ -n "${NETRA:-}" ] || cargo build --release -p netra-cli >/dev/null
NETRA=${NETRA:-./target/release/netra}
if [ -n "${BUNDLE:-}" ]; then            # BUNDLE=dir: reuse a simulated bundle
    mkdir -p "$OUT" && ln -s "$(realpath "$BUNDLE")" "$OUT/bundle"
else
    $NETRA simulate --patients "$N" --seed 1 --out "$OUT/bundle" --quiet
fi
rows=$(cat "$OUT"/bundle/*.csv | wc -l)
files=$(ls "$OUT"/bundle/*.csv | wc -l)
echo "bundle: $N patients, $((rows - files)) data rows in $files files ($(du -sh "$OUT/bundle" | cut -f1))"
export NETRA_DB="$OUT/netra.db"
$NETRA init >/dev/null
echo "machine load before the import (1/5/15 min): $(cut -d" " -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
/usr/bin/time -f "peak RSS %M KiB, CPU %U s user + %S s system" $NETRA import "$OUT/bundle" --user bench --reason benchmark --timings | tail -n 1
end=$(date +%s.%N)
echo "import: $(echo "$end - $start" | bc) s"
echo "database: $(du -sh "$OUT/netra.db" | cut -f1) (+ WAL $(du -sh "$OUT/netra.db-wal" 2>/dev/null | cut -f1 || echo 0))"
start=$(date +%s.%N)
/usr/bin/time -f "peak RSS %M KiB, CPU %U s user + %S s system" $NETRA import "$OUT/bundle" --user bench --reason "second import (no-op)" --timings | tail -n 1
end=$(date +%s.%N)
echo "re-import (nothing changes): $(echo "$end - $start" | bc) s"
echo "machine load after (1/5/15 min): $(cut -d" " -f1-3 /proc/loadavg)"
[ -n "${SKIP_VERIFY:-}" ] && exit 0
start=$(date +%s.%N)
$NETRA audit verify | cut -c1-60
end=$(date +%s.%N)
echo "audit verify: $(echo "$end - $start" | bc) s"
