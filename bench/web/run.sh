#!/usr/bin/env bash
# Web application load benchmark (BENCHMARKS.md, "Web application"): on a
# simulated registry of N patients (default 1e5), 50 concurrent users over
# loopback — 40 browsing patients (list pages, filters, searches, patient
# pages) and 10 running Kaplan–Meier analyses (the analysis page: figure,
# survival and response tables) — for DURATION (default 60s), measured with
# wrk (Debian's `wrk`, installed if missing). Each user has its own session:
# data managers, investigators and analysts see their sites or pseudonymised
# data, administrators everything.
# With BURST=1 a third wrk sends the login burst of issue 14 item 2 (100
# connections of wrong passwords, bench/web/burst.lua) during the run.
# Usage: [BURST=1] bench/web/run.sh [N] [DURATION]
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-100000}"
DURATION="${2:-60s}"
OUT=bench/out/web
PASSWORD="benchmark password"
mkdir -p "$OUT"
if ! command -v wrk >/dev/null; then
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
fi
cargo build --release -p netra-cli >/dev/null
NETRA=./target/release/netra
export NETRA_DB="$OUT/reg.db"
if [ "$(cat "$OUT/patients" 2>/dev/null)" != "$N" ]; then
  rm -rf "$OUT"/reg.db* "$OUT/bundle"
  $NETRA simulate --patients "$N" --seed 1 --sites 4 --out "$OUT/bundle" --quiet
  $NETRA init >/dev/null
  $NETRA import "$OUT/bundle" --user bench --reason "load benchmark" | tail -n 1
  echo "$N" > "$OUT/patients"
fi
# 50 accounts: browsing 4 administrators, 12 data managers, 12 investigators,
# 12 analysts; analysing 5 investigators, 5 analysts (sites round robin).
: > "$OUT/users.txt"
add() { # name role purpose [site]
  if ! $NETRA user list | grep -q "^$1 "; then
    if [ -n "${4:-}" ]; then
      echo "$PASSWORD" | $NETRA user add "$1" --role "$2" --site "$4" >/dev/null
    else
      echo "$PASSWORD" | $NETRA user add "$1" --role "$2" >/dev/null
    fi
  fi
  echo "$1 $2 $3" >> "$OUT/users.txt"
}
for i in $(seq 1 4); do add "admin$i" administrator browse; done
for i in $(seq 1 12); do add "dm$i" data_manager browse "sim-c0$(( (i - 1) % 4 + 1 ))"; done
for i in $(seq 1 12); do add "inv$i" investigator browse "sim-c0$(( (i - 1) % 4 + 1 ))"; done
for i in $(seq 1 12); do add "an$i" analyst browse; done
for i in $(seq 13 17); do add "inv$i" investigator analyse "sim-c0$(( (i - 1) % 4 + 1 ))"; done
for i in $(seq 13 17); do add "an$i" analyst analyse; done
LOG="$OUT/serve.log"
$NETRA serve --listen 127.0.0.1:0 > "$OUT/serve.out" 2> "$LOG" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  grep -q "listening on" "$OUT/serve.out" 2>/dev/null && break
  sleep 1
done
URL=$(sed -n 's/^netra serve: listening on //p' "$OUT/serve.out")
[ -n "$URL" ] || { cat "$LOG"; echo "server did not start"; exit 1; }
grep "index ready" "$LOG"
rm -rf "$OUT/pages" "$OUT/analyses"
mkdir -p "$OUT/pages" "$OUT/analyses"
python3 bench/web/prepare.py "$URL" "$OUT" "$PASSWORD"
echo "cold analyses (first computation of each, one at a time):"
for q in "endpoint=os&from=diagnosis&group=grade" "endpoint=pfs&from=line:1&group=primary" "endpoint=ttp&from=line:1&group=grade"; do
  curl -s -o /dev/null -w "  %{time_total} s  /analysis?$q (admin)\n" \
    -H "Cookie: $(head -n 1 "$OUT/pages/user1.txt")" "$URL/analysis?$q&landmark=24"
done
echo "machine load before the run (uptime): $(uptime)"
if [ "${BURST:-0}" = 1 ]; then
  echo "== login burst: 100 connections of wrong passwords, $DURATION (at the same time) =="
  wrk -t4 -c100 -d"$DURATION" --timeout 10s -s bench/web/burst.lua "$URL" > "$OUT/burst.txt" &
  BURSTING=$!
fi
echo "== 40 users browsing patients, $DURATION =="
wrk -t40 -c40 -d"$DURATION" --timeout 10s -s bench/web/load.lua "$URL" -- "$OUT/pages" > "$OUT/pages.txt" &
PAGES=$!
echo "== 10 users running Kaplan–Meier analyses, $DURATION (at the same time) =="
wrk -t10 -c10 -d"$DURATION" --timeout 10s -s bench/web/load.lua "$URL" -- "$OUT/analyses" > "$OUT/analyses.txt"
wait $PAGES
[ -z "${BURSTING:-}" ] || wait "$BURSTING"
echo "-- pages --"; sed -n '/^requests/,$p' "$OUT/pages.txt"
echo "-- analyses --"; sed -n '/^requests/,$p' "$OUT/analyses.txt"
[ -z "${BURSTING:-}" ] || { echo "-- login burst --"; sed -n '/^requests/,$p' "$OUT/burst.txt"; }
echo "machine load after the run (uptime): $(uptime)"
echo "server: peak RSS $(grep VmHWM /proc/$SERVER/status | awk '{print $2/1024 " MB"}')"
