#!/usr/bin/env bash
# Real-Postfix end-to-end test for `mugai milter`.
#
# usage: tests/e2e/postfix.sh [--quick] [--self-test]
#   env MUGAI_BIN       mugai binary (default: target/release/mugai)
#       E2E_CORPUS      corpus dir (default: testdata/mails); X.eml + X.toml
#       E2E_PICK        space-separated corpus names to send (default: all
#                       X.eml that have an X.toml, at most E2E_PICK_MAX)
#       E2E_KEEP=1      keep the temp dir (logs, Maildirs) after the run
#       E2E_KEEP_ON_FAIL=1  keep it only when something failed
#   --quick      smaller load (for developers); the full run is what CI uses
#   --self-test  use tests/e2e/fake_milter.py instead of mugai (checks the
#                harness itself, e.g. before the real milter exists)
#
# Scenarios (one private Postfix instance, all on 127.0.0.1):
#   bench-plain   generated + corpus mails, no milter: delivery baseline,
#                 checker must flag every one as unsanitised; mails/s
#   bench-milter  the same mails through smtpd_milters=mugai: all sanitised;
#                 mails/s
#   load          8 concurrent SMTP senders x 200 mails through the milter:
#                 all delivered once, all sanitised, 0 lost
#   fault         mails accepted into the Postfix queue first, then relayed by
#                 Postfix's own smtp client through the milter smtpd; the
#                 milter is SIGKILLed mid-run: a direct probe must get 4xx
#                 (milter_default_action=tempfail), the relay must defer (not
#                 deliver, not bounce); milter restarted, postqueue -f: every
#                 mail delivered exactly once and sanitised
#   filter        after-queue content_filter config is generated and checked
#                 by `postfix check`; exercised only once `mugai smtp` exists
# Last line: "e2e: N passed, M failed"; exit 0 iff M = 0.
set -u -o pipefail
exec </dev/null

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"

QUICK=0
SELFTEST=0
for a in "$@"; do
    case "$a" in
        --quick) QUICK=1 ;;
        --self-test) SELFTEST=1 ;;
        -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
        *) echo "unknown argument: $a" >&2; exit 2 ;;
    esac
done

if [ "$QUICK" = 1 ]; then
    N_BENCH=${E2E_N_BENCH:-100}; LOAD_SENDERS=${E2E_LOAD_SENDERS:-8}; LOAD_EACH=${E2E_LOAD_EACH:-25}
    N_FAULT=${E2E_N_FAULT:-120}; E2E_PICK_MAX=${E2E_PICK_MAX:-5}
else
    N_BENCH=${E2E_N_BENCH:-400}; LOAD_SENDERS=${E2E_LOAD_SENDERS:-8}; LOAD_EACH=${E2E_LOAD_EACH:-200}
    N_FAULT=${E2E_N_FAULT:-400}; E2E_PICK_MAX=${E2E_PICK_MAX:-12}
fi
BENCH_CONC=4

cd "$E2E_REPO" || exit 2
if [ "$SELFTEST" = 1 ]; then
    MUGAI_BIN="$HERE/fake_milter.py"
else
    MUGAI_BIN=${MUGAI_BIN:-target/release/mugai}
fi
case "$MUGAI_BIN" in /*) ;; *) MUGAI_BIN="$E2E_REPO/$MUGAI_BIN" ;; esac
E2E_CORPUS=${E2E_CORPUS:-testdata/mails}
case "$E2E_CORPUS" in /*) ;; *) E2E_CORPUS="$E2E_REPO/$E2E_CORPUS" ;; esac
E2E_RCPTS="benchplain benchmilter load fault probe"

trap e2e_cleanup EXIT
trap 'e2e_log "interrupted"; exit 130' INT TERM

summary() {
    [ "${#E2E_FAILED_NAMES[@]}" -gt 0 ] && e2e_log "failed: ${E2E_FAILED_NAMES[*]}"
    [ -n "${RATE_LINE:-}" ] && echo "$RATE_LINE"
    echo "e2e: $E2E_PASS passed, $E2E_FAIL failed"
}
die() { t_fail "$1" "$2"; summary; exit 1; }

# --- setup -------------------------------------------------------------------
e2e_install_postfix || die setup "postfix not available"
command -v "$E2E_PY" >/dev/null || die setup "python3 missing"
[ -x "$MUGAI_BIN" ] || die setup "MUGAI_BIN $MUGAI_BIN is not executable (cargo build --release?)"
case "$MUGAI_BIN" in *.py) MILTER_RUN="$E2E_PY $MUGAI_BIN" ;; *) MILTER_RUN="$MUGAI_BIN" ;; esac

E2E_WORK=$(mktemp -d "${E2E_TMP:-/tmp}/mugai-e2e.XXXXXX") || die setup "mktemp"
read -r P_PLAIN P_MILTER P_QUEUED P_FILTER P_REINJECT MILTER_PORT FILTER_PORT <<<"$(e2e_free_ports 7)"
MILTER_CMD="$MILTER_RUN milter --listen inet:127.0.0.1:$MILTER_PORT"
MILTER_LOG=$E2E_WORK/log/milter.log
MAILBASE=$E2E_WORK/mail/lgwan.example
e2e_log "work dir $E2E_WORK; postfix $(postconf -d -h mail_version); milter: $MILTER_CMD"
e2e_log "ports: plain=$P_PLAIN milter=$P_MILTER queued=$P_QUEUED filter=$P_FILTER reinject=$P_REINJECT milter-listen=$MILTER_PORT"

pf_create || die setup "creating the private postfix instance"
pf_start || die setup "starting the private postfix instance"
t_pass "setup: private postfix $(postconf -d -h mail_version) up on 127.0.0.1"

# Corpus selection (mails with a facts file).
PICKS=()
if [ -d "$E2E_CORPUS" ]; then
    if [ -n "${E2E_PICK:-}" ]; then
        read -r -a PICKS <<<"$E2E_PICK"
    else
        for t in "$E2E_CORPUS"/*.toml; do
            [ -e "$t" ] || continue
            b=$(basename "$t" .toml)
            [ -e "$E2E_CORPUS/$b.eml" ] && PICKS+=("$b")
            [ "${#PICKS[@]}" -ge "$E2E_PICK_MAX" ] && break
        done
    fi
fi
CORPUS_ARGS=()
if [ "${#PICKS[@]}" -gt 0 ]; then
    CORPUS_ARGS=(--corpus "$E2E_CORPUS" --pick "${PICKS[@]}")
    e2e_log "corpus: ${#PICKS[@]} mails from $E2E_CORPUS: ${PICKS[*]}"
else
    e2e_log "corpus: none found in $E2E_CORPUS (generated mails only)"
fi

send() { "$E2E_PY" "$HERE/send.py" "$@"; }
check() { "$E2E_PY" "$HERE/check_maildir.py" "$@"; }

# run_batch NAME PORT RCPT TIMEOUT CHECKFLAGS -- SENDARGS...
# Sends, waits for delivery, checks; sets BATCH_N and BATCH_SECS.
run_batch() {
    local name=$1 port=$2 rcpt=$3 timeout=$4 cflags=$5; shift 6
    local man=$E2E_WORK/$name.manifest.jsonl md=$MAILBASE/$rcpt t0 t1 n
    : >"$man"
    t0=$(e2e_now)
    if ! send --port "$port" --rcpt "$rcpt@lgwan.example" --manifest "$man" --tag "$name" \
            --retry-4xx 60 "$@" >"$E2E_WORK/$name.send.json" 2>"$E2E_WORK/log/$name.send.err"; then
        t_fail "$name: send" "$(cat "$E2E_WORK/$name.send.json")"
    fi
    e2e_log "$name: send: $(cat "$E2E_WORK/$name.send.json")"
    n=$(wc -l <"$man")  # send.py writes the manifest before sending
    if maildir_wait "$md" "$n" "$timeout"; then :; else t_fail "$name: delivery" "not all $n delivered within ${timeout}s"; fi
    t1=$(e2e_now)
    BATCH_N=$n; BATCH_SECS=$(e2e_elapsed "$t0" "$t1")
    # shellcheck disable=SC2086
    if check --maildir "$md" --manifest "$man" --label "$name" $cflags >"$E2E_WORK/$name.check.txt" 2>&1; then
        t_pass "$name: $(tail -1 "$E2E_WORK/$name.check.txt")"
    else
        sed 's/^/    /' "$E2E_WORK/$name.check.txt" >&2
        t_fail "$name" "check_maildir failed"
    fi
}

# --- milter up -------------------------------------------------------------------
if ! milter_start "$MILTER_LOG"; then
    die "milter start" "$MILTER_CMD did not come up"
fi
t_pass "milter listening on 127.0.0.1:$MILTER_PORT"

# --- bench-plain / bench-milter: same mails, with and without the milter ------------
run_batch benchplain "$P_PLAIN" benchplain 120 "--expect-unsanitised" -- \
    --generate "$N_BENCH" --seed 7 --concurrency "$BENCH_CONC" "${CORPUS_ARGS[@]}"
PLAIN_N=$BATCH_N PLAIN_S=$BATCH_SECS
run_batch benchmilter "$P_MILTER" benchmilter 300 "" -- \
    --generate "$N_BENCH" --seed 7 --concurrency "$BENCH_CONC" "${CORPUS_ARGS[@]}"
MILTER_N=$BATCH_N MILTER_S=$BATCH_SECS
RATE_LINE="e2e: plain $PLAIN_N mails in $PLAIN_S s = $(e2e_rate "$PLAIN_N" "$PLAIN_S") mails/s; milter $MILTER_N mails in $MILTER_S s = $(e2e_rate "$MILTER_N" "$MILTER_S") mails/s"
echo "$RATE_LINE" >&2

# --- load: 8 concurrent senders x 200 ------------------------------------------------
run_batch load "$P_MILTER" load 600 "" -- \
    --generate $((LOAD_SENDERS * LOAD_EACH)) --seed 11 --concurrency "$LOAD_SENDERS"
e2e_log "load: $BATCH_N mails in $BATCH_SECS s = $(e2e_rate "$BATCH_N" "$BATCH_SECS") mails/s"
if grep -q '"tempfail_answers": 0,' "$E2E_WORK/load.send.json" 2>/dev/null; then
    t_pass "load: no 4xx answers under ${LOAD_SENDERS}-way concurrency"
else
    t_fail "load: 4xx answers under load" "$(cat "$E2E_WORK/load.send.json")"
fi

# --- fault: kill the milter mid-run; Postfix's queue keeps and retries ------------------
fault_scenario() {
    local man=$E2E_WORK/fault.manifest.jsonl md=$MAILBASE/fault spid i n deferred
    : >"$man"
    # Senders hand mail to the queue-first listener; Postfix relays it through
    # the milter smtpd with its own smtp client (transport milterhop).
    send --port "$P_QUEUED" --rcpt fault@lgwan.example --manifest "$man" --tag fault \
        --generate "$N_FAULT" --seed 13 --concurrency 4 \
        >"$E2E_WORK/fault.send.json" 2>"$E2E_WORK/log/fault.send.err" &
    spid=$!; E2E_PIDS+=("$spid")
    # Kill once some (but not all) mail has gone through.
    for i in $(seq 1 300); do
        n=$(maildir_count "$md"); [ "$n" -ge $((N_FAULT / 10)) ] && break; sleep 0.1
    done
    milter_stop KILL
    e2e_log "fault: milter SIGKILLed after $(maildir_count "$md")/$N_FAULT delivered"
    local probe
    probe=$(send --port "$P_MILTER" --rcpt probe@lgwan.example --tag probe --probe-4xx 2>&1)
    if [ $? = 0 ]; then t_pass "fault: milter down -> smtpd answers 4xx ($probe)"
    else t_fail "fault: milter down did not give 4xx" "$probe"; fi
    # Let the relay run into the dead milter for a while.
    for i in $(seq 1 100); do
        deferred=$(grep -c 'postfix/milterhop.*status=deferred' "$E2E_WORK/log/maillog" 2>/dev/null || true)
        [ "${deferred:-0}" -gt 0 ] && ! kill -0 "$spid" 2>/dev/null && break
        sleep 0.1
    done
    sleep 2
    local during
    during=$(maildir_count "$md")
    deferred=$(grep -c 'postfix/milterhop.*status=deferred' "$E2E_WORK/log/maillog" 2>/dev/null || true)
    e2e_log "fault: while down: $during delivered, $(pf_queue_count) queued, $deferred deferral(s) logged"
    if wait "$spid"; then t_pass "fault: all $N_FAULT mails accepted into the queue: $(cat "$E2E_WORK/fault.send.json")"
    else t_fail "fault: send" "$(cat "$E2E_WORK/fault.send.json")"; fi
    if [ "${deferred:-0}" -gt 0 ]; then t_pass "fault: relay deferred $deferred time(s) while the milter was down"
    else t_fail "fault: kill did not hit in-flight mail" "0 deferrals logged (run too fast?)"; fi
    if grep -q 'postfix/milterhop.*status=bounced' "$E2E_WORK/log/maillog"; then
        t_fail "fault: bounces" "$(grep -c 'postfix/milterhop.*status=bounced' "$E2E_WORK/log/maillog") mail(s) bounced"
    fi
    milter_start "$MILTER_LOG" || { t_fail "fault: milter restart"; return 1; }
    pf_flush
    if maildir_wait "$md" "$N_FAULT" 180; then :; else t_fail "fault: delivery after restart" "not all $N_FAULT delivered"; fi
    if check --maildir "$md" --manifest "$man" --label fault >"$E2E_WORK/fault.check.txt" 2>&1; then
        t_pass "fault: $(tail -1 "$E2E_WORK/fault.check.txt")"
    else
        sed 's/^/    /' "$E2E_WORK/fault.check.txt" >&2
        t_fail "fault" "check_maildir failed"
    fi
    # Nothing may have leaked to a mailbox while the milter was down, and
    # nothing may be left or bounced.
    local b
    b=$(maildir_count "$MAILBASE/sender")
    [ "$b" = 0 ] || t_fail "fault: $b bounce(s) delivered to the sender"
    [ "$(maildir_count "$MAILBASE/probe")" = 0 ] || t_fail "fault: the probe mail was delivered although the milter was down"
}
fault_scenario

# --- filter mode: config only until `mugai smtp` exists ----------------------------
if postconf -c "$PF_DIR" -M mugai/unix >/dev/null 2>&1 && postconf -c "$PF_DIR" -P "127.0.0.1:$P_REINJECT/inet/content_filter" >/dev/null 2>&1; then
    e2e_log "filter: content_filter=mugai:[127.0.0.1]:$FILTER_PORT on :$P_FILTER, re-injection :$P_REINJECT configured (not exercised: needs 'mugai smtp')"
fi

# --- global: no bounces, nothing stuck -----------------------------------------------
if [ "$(maildir_count "$MAILBASE/sender")" = 0 ]; then t_pass "no bounces to the envelope sender"
else t_fail "bounces" "$(maildir_count "$MAILBASE/sender") bounce(s) in the sender's Maildir"; fi
q=$(pf_queue_count)
if [ "$q" = 0 ]; then t_pass "queue empty at the end"; else t_fail "queue" "$q message(s) left in the queue"; fi
if grep -Eq 'postfix/[a-z]+\[[0-9]+\]: (fatal|panic):' "$E2E_WORK/log/maillog"; then
    t_fail "postfix log" "$(grep -E '(fatal|panic):' "$E2E_WORK/log/maillog" | head -3)"
fi

if [ "$E2E_FAIL" -gt 0 ]; then
    e2e_log "maillog tail:"; tail -15 "$E2E_WORK/log/maillog" >&2
    e2e_log "milter log tail:"; tail -15 "$MILTER_LOG" >&2
fi
summary
[ "$E2E_FAIL" = 0 ]
