#!/usr/bin/env bash
# The whole test suite: unit, integration, property and doc tests, then the end-to-end tests
# against real mail servers (installed by their own scripts when missing).
# Usage: scripts/test-all.sh            (from the repository root)
# FUZZ_SECONDS (default 20) is how long each fuzz target runs in the smoke run at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test (release) =="
cargo test --release --locked

for e2e in tests/e2e/*.sh; do
    [ -f "$e2e" ] || continue
    case "$e2e" in */lib.sh) continue ;; esac
    echo "== $e2e =="
    MUGAI_BIN="$PWD/target/release/mugai" bash "$e2e"
done

echo "== cargo bench --no-run =="
cargo bench --locked --no-run

echo "== fuzz smoke run =="
scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
