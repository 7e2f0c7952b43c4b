#!/usr/bin/env bash
# Runs every cargo-fuzz target for a while on the stable toolchain (no sanitizer), seeding
# the corpora from testdata/. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Installs cargo-fuzz when missing. Crashes are left in fuzz/artifacts/TARGET/; turn each
# into a regression case under testdata/regressions/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sanitize structure html)

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    case "$t" in
        html)
            # HTML bodies of the testdata mails are a good start; whole mails work too.
            cp -n testdata/mails/*.eml "fuzz/corpus/$t/" 2>/dev/null || true ;;
        *)
            cp -n testdata/mails/*.eml testdata/regressions/*.eml "fuzz/corpus/$t/" 2>/dev/null || true ;;
    esac
    echo "== fuzz $t for ${secs}s =="
    (cd fuzz && cargo fuzz run -s none "$t" -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
        2>&1 | grep -E "^(#[0-9]+ *(DONE|INITED)|Done|==[0-9]+==|SUMMARY|artifact_prefix|Test unit)" || true)
    # libFuzzer exits non-zero on a finding; cargo fuzz then leaves an artifact.
    if [ -n "$(find "fuzz/artifacts/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) 2>/dev/null)" ]; then
        echo "fuzz $t: findings in fuzz/artifacts/$t" >&2
        exit 1
    fi
done
echo "fuzz: all targets clean"
