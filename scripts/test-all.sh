#!/usr/bin/env bash
# The whole test suite: unit, integration, property and doc tests, then the end-to-end tests
# against real mail servers (installed by their own scripts when missing).
# Usage: scripts/test-all.sh            (from the repository root)
# FUZZ_SECONDS (default 20) is how long each fuzz target runs in the smoke run at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test (release) =="
cargo test --release --locked

# The library core alone (`default-features = false`): it must build and pass its tests
# (corpus, carriers, bounds, properties, ...) without any front end, and stay light.
echo "== cargo test (release, core: --no-default-features) =="
cargo test --release --locked --no-default-features --lib --tests

echo "== core dependency count =="
max_crates=60
core_tree=$(cargo tree --locked -e normal --no-default-features --prefix none \
    | sed 's/ (\*)$//; s/ (proc-macro)$//' | sort -u)
core_crates=$(wc -l <<<"$core_tree")
echo "core: $core_crates crates in cargo tree -e normal --no-default-features (at most $max_crates)"
if [ "$core_crates" -gt "$max_crates" ]; then
    echo "the library core pulls in $core_crates crates, more than $max_crates" >&2
    exit 1
fi
for heavy in tokio clap lettre indicatif axum sqlx smtp-proto ctrlc clap_mangen clap_complete \
    crossbeam-channel memmap2 tracing-subscriber; do
    if grep -q "^$heavy v" <<<"$core_tree"; then
        echo "the library core depends on $heavy" >&2
        exit 1
    fi
done

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
