#!/usr/bin/env bash
# Competing-risks benchmark: netra vs R cmprsk::cuminc on generated data with
# N rows (default 1e6) in 3 groups, two causes plus censoring, times rounded
# to 0.01 (many ties). Not part of the test command. Usage:
#   bench/cuminc.sh [N]
# Prints, from the same run:
#   * netra in memory (library; both causes, curves + Gray's test), best of 5
#   * R cmprsk::cuminc in memory (it always computes every cause), best of 3
#   * R read.csv of the CSV alone
#   * the whole `netra cuminc` CLI run on that CSV (parse + one cause + test)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
CSV="${TMPDIR:-/tmp}/netra_cuminc_bench_${N}.csv"

cargo build --release -q -p netra-cli
cargo build --release -q -p netra-stats --example cuminc_bench
./target/release/examples/cuminc_bench "$N" 5

Rscript --vanilla - "$N" "$CSV" <<'RSCRIPT'
suppressPackageStartupMessages(library(cmprsk))
args <- commandArgs(trailingOnly = TRUE)
n <- as.numeric(args[1]); csv <- args[2]
set.seed(1)
g <- sample(0:2, n, TRUE)
ev <- rexp(n) * (1 + 0.2 * g) * 100
ce <- rexp(n) * 150
cause <- ifelse(runif(n) < 0.4, 1, 2)
t <- round(pmin(ev, ce) * 100) / 100
st <- ifelse(ev <= ce, cause, 0)
best <- Inf
for (i in 1:3) best <- min(best, system.time(fit <- cuminc(t, st, g))[["elapsed"]])
cat(sprintf("R cmprsk::cuminc, in memory: n = %d, 3 groups, both causes: best of 3 = %.3f s (cause 1 chi-square %.1f)\n",
  n, best, fit$Tests[1, "stat"]))
write.csv(data.frame(time = t, status = st, group = g), csv, row.names = FALSE)
rt <- system.time(d <- read.csv(csv))[["elapsed"]]
cat(sprintf("R read.csv alone: %.3f s\n", rt))
RSCRIPT

best=""
for i in 1 2 3; do
  start=$EPOCHREALTIME
  ./target/release/netra cuminc --data "$CSV" --time time --status status --cause 1 \
    --group group --times 12,36,60 --format json > /dev/null
  end=$EPOCHREALTIME
  best=$(awk -v s="$start" -v e="$end" -v b="$best" 'BEGIN { t = e - s; if (b == "" || t < b) b = t; print b }')
done
printf 'netra cuminc CLI (read CSV + cause 1 + Gray test + JSON): best of 3 = %.3f s\n' "$best"
rm -f "$CSV"
