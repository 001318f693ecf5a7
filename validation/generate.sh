#!/usr/bin/env bash
# Re-writes every reference fixture from R. Not part of the test command:
# the fixtures are committed so that tests run without R.
set -euo pipefail
cd "$(dirname "$0")"
for script in r/*.R; do
  echo "==> $script"
  Rscript --vanilla "$script"
done
