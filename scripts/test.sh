#!/usr/bin/env bash
# Runs every test of netra on a fresh machine. Installs what it needs itself.
# CI (.ci/run) calls exactly this; it exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step prints the time since the start: CI must stay under 35 minutes.
step() { printf '\n==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# A fresh clone gains nothing from incremental artefacts; they doubled the
# size of target/ and once filled the CI disk.
export CARGO_INCREMENTAL=0

step "toolchain"
cargo --version
rustup component list --installed 2>/dev/null | grep -E 'clippy|rustfmt' || true

step "format"
cargo fmt --all -- --check

step "lint"
# netra-engine (Apache DataFusion, issue 18) is linted, built and tested in
# its own step at the end: `--workspace` would compile DataFusion's ~100
# crates in the main steps, and a feature of a dependency it switches on
# (cargo unifies features over the packages built together) would change
# what the rest of the workspace is built with.
cargo clippy --workspace --exclude netra-engine --all-targets --locked -- -D warnings

step "PostgreSQL for the registry tests (a throwaway cluster, stopped on exit)"
# The registry suite (crates/netra-store/tests) runs every test on SQLite and
# on PostgreSQL; NETRA_REQUIRE_POSTGRES=1 makes it fail if PostgreSQL is absent.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
fi
PG_BIN="$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"
PG_DIR="$(mktemp -d /tmp/netra-pg.XXXXXX)"
as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}
[ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
stop_pg() {
  as_pg "'$PG_BIN/pg_ctl' -D '$PG_DIR/data' -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap stop_pg EXIT
as_pg "'$PG_BIN/initdb' -D '$PG_DIR/data' -A trust -U postgres" >/dev/null
PG_PORT=""
for _ in 1 2 3 4 5 6 7 8; do
  port=$(( 20000 + RANDOM % 40000 ))
  if as_pg "'$PG_BIN/pg_ctl' -D '$PG_DIR/data' -l '$PG_DIR/log' -w -t 60 \
        -o \"-p $port -k '$PG_DIR' -c listen_addresses=127.0.0.1 -c fsync=off\" start" >/dev/null; then
    PG_PORT=$port
    break
  fi
done
[ -n "$PG_PORT" ] || { cat "$PG_DIR/log"; echo "could not start PostgreSQL"; exit 1; }
export NETRA_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export NETRA_REQUIRE_POSTGRES=1
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on port $PG_PORT"

step "Chromium and chromedriver for the browser tests"
# crates/netra-study/tests/chromium.rs renders report.html headless and
# crates/netra-cli/tests/web_e2e.rs drives `netra serve` through chromedriver;
# NETRA_REQUIRE_CHROMIUM=1 makes them fail, not skip, without a browser.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
fi
chromium --version
export NETRA_REQUIRE_CHROMIUM=1
chromedriver --version

step "R and haven for the export round trips"
# crates/netra-report/tests/export_roundtrip.rs and netra-cli's
# export_dataset_cli.rs read netra's R and Stata exports back in R
# (validation/r/read_export.R); NETRA_REQUIRE_R=1 makes them fail, not skip.
if ! Rscript -e 'library(haven); library(jsonlite)' >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y r-base-core r-cran-haven r-cran-jsonlite
fi
export NETRA_REQUIRE_R=1

step "tests (unit, integration, R fixtures, doc-tests)"
cargo test --workspace --exclude netra-engine --locked --no-fail-fast

step "the DataFusion engine and Ballista (issue 18: netra-engine, netra-cli --features engine,ballista)"
# Built once, after everything else: the engine crate's tests (equal to the
# in-memory path and to R to 1e-12, CSV and Parquet), a Ballista scheduler
# and two executors on loopback giving the same numbers, and the binary's
# `--engine datafusion|ballista://…` and `export --parquet` tests. One step
# with both features, so that DataFusion (which Ballista takes with its
# default features) is compiled once; see BENCHMARKS.md for the cost.
ENGINE_FEATURES=netra-cli/engine,netra-cli/ballista
cargo clippy -p netra-engine -p netra-cli --features "$ENGINE_FEATURES" --all-targets --locked -- -D warnings
cargo test -p netra-engine -p netra-cli --features "$ENGINE_FEATURES" --locked --no-fail-fast \
  --lib --bins --test engine --test engine_cli --test ballista --test ballista_cli

step "all tests passed"
