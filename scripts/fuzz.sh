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
[ ${#targets[@]} -gt 0 ] || targets=(sanitize structure html milter_codec mbox bombs)

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    case "$t" in
        mbox)
            # A few messages joined as an mbox, plus the single mails.
            [ -f "fuzz/corpus/$t/seed.mbox" ] || for f in testdata/mails/0*.eml; do
                printf 'From seed@example Thu Jan  1 00:00:00 2026\n'; tr -d '\r' < "$f"; printf '\n'
            done > "fuzz/corpus/$t/seed.mbox"
            cp -n testdata/mails/*.eml "fuzz/corpus/$t/" 2>/dev/null || true ;;
        milter_codec)
            # One MTA-side conversation as Postfix sends it: negotiation, envelope, headers,
            # an HTML body, end of message, quit.
            python3 - "fuzz/corpus/$t/seed-conversation" <<'PY'
import struct, sys
def frame(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data
seed = b"".join([
    frame(b"O", struct.pack(">III", 6, 0x1ff, 0x1fffff)),
    frame(b"D", b"Mi\0ABC123\0"),
    frame(b"M", b"<a@example.jp>\0"),
    frame(b"R", b"<b@lgwan.example>\0"),
    frame(b"L", b"Subject\0 hello\0"),
    frame(b"L", b"Content-Type\0 text/html; charset=utf-8\0"),
    frame(b"N"),
    frame(b"B", b"<p>hi <a href='http://x.example/'>x</a></p>\r\n"),
    frame(b"E"),
    frame(b"Q"),
])
open(sys.argv[1], "wb").write(seed)
PY
            ;;
        bombs)
            # One seed per family: family byte, repeat count 1000, mutation mode 0.
            for i in 0 1 2 3 4 5 6 7 8; do
                printf "\\x$(printf %02x "$i")\\xe8\\x03\\x00" > "fuzz/corpus/$t/seed-$i"
            done ;;
        *)
            cp -n testdata/mails/*.eml testdata/regressions/*.eml "fuzz/corpus/$t/" 2>/dev/null || true ;;
    esac
    # Findings of earlier runs were turned into regression cases; start clean.
    rm -rf "fuzz/artifacts/$t"
    echo "== fuzz $t for ${secs}s =="
    # The structure target also runs mail-parser as a reference; mail-parser 0.11 has debug
    # assertions that fire on valid input (a forward inside a forward), so that target is
    # built without debug assertions (-O). The others keep them (overflow checks on).
    mode=()
    [ "$t" = structure ] && mode=(-O)
    (cd fuzz && cargo fuzz run "${mode[@]}" -s none "$t" -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
        2>&1 | grep -E "^(#[0-9]+ *(DONE|INITED)|Done|==[0-9]+==|SUMMARY|artifact_prefix|Test unit)" || true)
    # libFuzzer exits non-zero on a finding; cargo fuzz then leaves an artifact.
    if [ -n "$(find "fuzz/artifacts/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) 2>/dev/null)" ]; then
        echo "fuzz $t: findings in fuzz/artifacts/$t" >&2
        exit 1
    fi
done
echo "fuzz: all targets clean"
