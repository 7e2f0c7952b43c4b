#!/usr/bin/env bash
# The bombs bench: every adversarial input family of issue 11 at 1, 4 and 16 MB through
# `mugai sanitize`, with wall time and peak RSS (GNU time). Prints a Markdown table.
#
# Usage: scripts/bombs.sh [--bin PATH] [--timeout SECS] [--sizes "1 4 16"] [FAMILY...]
#   --bin      binary to measure (default: build release and use target/release/mugai)
#   --timeout  per-input limit in seconds (default 60); once a family times out at one
#              size, its larger sizes are not run ("skipped").
# Targets (issue 11): every input <= 1 s per MB, <= 256 MB peak (or 5x input), linear growth.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=""
timeout=60
sizes="1 4 16"
families=()
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin="$2"; shift 2 ;;
        --timeout) timeout="$2"; shift 2 ;;
        --sizes) sizes="$2"; shift 2 ;;
        *) families+=("$1"); shift ;;
    esac
done
[ ${#families[@]} -gt 0 ] || families=(encoded-words amp amp-nested div-selfclose \
    div-unmatched attributes table-cells dense-p url-letters uu-noend uu-empty)

if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y time >&2; else sudo apt-get install -y time >&2; fi
fi
if [ -z "$bin" ]; then
    cargo build --release --bin mugai >&2
    bin=target/release/mugai
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

header="| family |"
rule="|---|"
for s in $sizes; do header+=" ${s} MB |"; rule+="---|"; done
echo "$header"
echo "$rule"
for fam in "${families[@]}"; do
    row="| $fam |"
    skip=""
    for s in $sizes; do
        if [ -n "$skip" ]; then row+=" skipped |"; continue; fi
        input="$(python3 scripts/bombs.py "$work" "$s" "$fam")"
        status=0
        /usr/bin/time -f "%e %M" -o "$work/time" \
            timeout -k 5 "$timeout" "$bin" sanitize "$input" -o /dev/null \
            >/dev/null 2>"$work/err" || status=$?
        read -r secs kb < <(tail -n 1 "$work/time" | grep -Eo '^[0-9.]+ [0-9]+$' || echo "? 0")
        mb=$(( kb / 1024 ))
        if [ "$status" -eq 137 ] || [ "$status" -eq 124 ]; then
            row+=" > ${timeout} s (stopped) |"
            skip=1
        elif [ "$status" -ne 0 ]; then
            row+=" exit ${status}, ${secs} s, ${mb} MB |"
        else
            row+=" ${secs} s, ${mb} MB |"
        fi
        rm -f "$input"
        echo "  $fam ${s} MB: status $status, ${secs} s, ${mb} MB" >&2
    done
    echo "$row"
done
