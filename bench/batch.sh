#!/usr/bin/env bash
# Scripted bench of `mugai batch`: generates a mixed mbox (N messages, default 30000),
# runs the release binary with --jobs 1 and 2 under /usr/bin/time -v, and prints
# msgs/s, MB/s and peak RSS for each.
#   bash bench/batch.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-30000}
WORK=${BENCH_DIR:-$(mktemp -d)}
cargo build --release --quiet --bin mugai --example gen_mbox
target/release/examples/gen_mbox "$WORK/archive.mbox" "$N"
SIZE=$(stat -c %s "$WORK/archive.mbox")
echo "archive: $N messages, $SIZE bytes"
for J in 1 2; do
  rm -rf "$WORK/out-$J.mbox" "$WORK/out-$J.mbox.failed" "$WORK/report-$J.jsonl"
  /usr/bin/time -v -o "$WORK/time-$J.txt" \
    target/release/mugai batch --quiet --jobs "$J" --report "$WORK/report-$J.jsonl" \
      "$WORK/archive.mbox" -o "$WORK/out-$J.mbox" || true
  RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time-$J.txt")
  tail -n 1 "$WORK/report-$J.jsonl" | python3 -c "
import json, sys
s = json.load(sys.stdin)
print(f\"jobs=$J: {s['messages_out']} out, {s['messages_failed']} failed, \"
      f\"{s['seconds']:.2f} s, {s['msgs_per_sec']:.0f} msgs/s, {s['mb_per_sec']:.1f} MB/s, \"
      f\"peak RSS {int('$RSS')/1024:.1f} MiB\")"
done
[ -z "${BENCH_DIR:-}" ] && rm -rf "$WORK"
exit 0
