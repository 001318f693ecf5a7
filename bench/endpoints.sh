#!/usr/bin/env bash
# Times lines of therapy, endpoints and sequence analysis on a simulated
# registry of N patients (default 1e5) held in memory: the derivation only,
# not the registry load (see BENCHMARKS.md, "Registry import" and
# `Registry::courses` for that).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p netra-sim --example bench_endpoints -- "${1:-100000}"
