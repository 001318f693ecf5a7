#!/usr/bin/env bash
# Times `netra simulate` in release for 1e5 patients (and 1e6 with --large).
# Writes into a temporary directory and removes it afterwards (1e6 patients
# take about 3.4 GB of disk while running).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p netra-cli
bin=target/release/netra
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sizes=(100000)
if [[ "${1:-}" == "--large" ]]; then sizes+=(1000000); fi
for n in "${sizes[@]}"; do
    start=$(date +%s.%N)
    "$bin" simulate --patients "$n" --seed 1 --out "$tmp/sim$n" --quiet > /dev/null
    end=$(date +%s.%N)
    printf 'netra simulate --patients %-8s %6.1f s  %s\n' "$n" "$(echo "$end - $start" | bc)" \
        "$(du -sh "$tmp/sim$n" | cut -f1)"
    rm -rf "${tmp:?}/sim$n"
done
