#!/usr/bin/env bash
# Real-Postfix end-to-end test for `mugai milter` and `mugai smtp`.
#
# usage: tests/e2e/postfix.sh [--quick] [--self-test]
#   env MUGAI_BIN       mugai binary (default: target/release/mugai)
#       E2E_CORPUS      corpus dir (default: testdata/mails); X.eml + X.toml
#       E2E_PICK        space-separated corpus names (without .eml) to send,
#                       or "all" (default: a handful, see DEFAULT_PICKS)
#       E2E_FILTER_CMD  after-queue filter command, {listen}/{forward} are
#                       replaced by 127.0.0.1:PORTs (filter scenarios); default
#                       "$MUGAI_BIN smtp --listen {listen} --next-hop {forward}",
#                       "skip" skips them
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
#   filter        after-queue content_filter (Postfix smtp -> mugai smtp ->
#                 re-injection smtpd): the bench mails, all sanitised; mails/s
#                 (printed with plain and milter in one line)
#   filter-fault  next hop down: mugai smtp answers 451, Postfix keeps the
#                 mail queued; then mugai smtp itself killed while more mail
#                 arrives; filter back, postqueue -f: every mail delivered
#                 exactly once and sanitised
#   filter-lmtp   the same filter over LMTP (Postfix lmtp client ->
#                 mugai smtp --lmtp): all delivered, all sanitised
#   filter-rcpt   two recipients, the next hop refuses one at RCPT (550 5.1.1):
#                 only that one bounces, the other is delivered sanitised
#   filter-bare-lf  raw client straight to mugai smtp: <LF>.<LF> smuggling a
#                 second transaction with a spoofed sender: 550, nothing relayed
#   filter-literal  envelope sender with an address literal (lit@[127.0.0.1])
#                 through Postfix and mugai smtp: delivered sanitised
#   starvation    (E2E_STARVATION=0 skips) milter --max-concurrent 1
#                 --timeout 5: 8 heavy mails each answered (250, or 4xx at the
#                 time-out; exactly the 250 ones delivered), then 100 good ones
#                 all accepted and delivered sanitised
# Last line: "e2e: N passed, M failed"; exit 0 iff M = 0.
# shellcheck disable=SC2034  # E2E_RCPTS, loop counters: used by lib.sh / as timers
set -u -o pipefail
exec </dev/null

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

QUICK=0
SELFTEST=0
for a in "$@"; do
    case "$a" in
        --quick) QUICK=1 ;;
        --self-test) SELFTEST=1 ;;
        -h|--help) sed -n '2,51p' "$0"; exit 0 ;;
        *) echo "unknown argument: $a" >&2; exit 2 ;;
    esac
done

if [ "$QUICK" = 1 ]; then
    N_BENCH=${E2E_N_BENCH:-100}; LOAD_SENDERS=${E2E_LOAD_SENDERS:-8}; LOAD_EACH=${E2E_LOAD_EACH:-25}
    N_FAULT=${E2E_N_FAULT:-120}; N_FILTER_FAULT=${E2E_N_FILTER_FAULT:-40}; N_FILTER_LMTP=${E2E_N_FILTER_LMTP:-20}; E2E_PICK_MAX=${E2E_PICK_MAX:-5}
else
    N_BENCH=${E2E_N_BENCH:-400}; LOAD_SENDERS=${E2E_LOAD_SENDERS:-8}; LOAD_EACH=${E2E_LOAD_EACH:-200}
    N_FAULT=${E2E_N_FAULT:-400}; N_FILTER_FAULT=${E2E_N_FILTER_FAULT:-100}; N_FILTER_LMTP=${E2E_N_FILTER_LMTP:-50}; E2E_PICK_MAX=${E2E_PICK_MAX:-12}
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
E2E_RCPTS="benchplain benchmilter load fault probe filter filterfault filterlmtp filterrcpt refused rcptbounce filterlf filterlit starve starveslow"

trap e2e_cleanup EXIT
trap 'e2e_log "interrupted"; t_fail interrupted; summary; exit 130' INT TERM

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
read -r P_PLAIN P_MILTER P_QUEUED P_FILTER P_REINJECT MILTER_PORT FILTER_PORT P_FILTER_LMTP FILTER_LMTP_PORT \
    P_FILTER_RCPT P_REINJECT_STRICT FILTER_RCPT_PORT <<<"$(e2e_free_ports 12)"
MILTER_CMD="$MILTER_RUN milter --listen inet:127.0.0.1:$MILTER_PORT"
MILTER_LOG=$E2E_WORK/log/milter.log
MAILBASE=$E2E_WORK/mail/lgwan.example
e2e_log "work dir $E2E_WORK; postfix $(postconf -d -h mail_version); milter: $MILTER_CMD"
e2e_log "ports: plain=$P_PLAIN milter=$P_MILTER queued=$P_QUEUED filter=$P_FILTER reinject=$P_REINJECT milter-listen=$MILTER_PORT"

pf_create || die setup "creating the private postfix instance"
pf_start || die setup "starting the private postfix instance"
t_pass "setup: private postfix $(postconf -d -h mail_version) up on 127.0.0.1"

# Corpus selection (mails with a facts file). Default: a handful covering
# Japanese HTML + attachments, legacy charsets, archives/macros, smuggling,
# forwarded mail, bare LF and active HTML. E2E_PICK=all sends every case.
if [ "$QUICK" = 1 ]; then
    DEFAULT_PICKS="01-sample-ja-html-attachments 14-html-newsletter-shift-jis 22-attach-docx-macro 38-smuggle-uuencode 64-html-active-content"
else
    DEFAULT_PICKS="01-sample-ja-html-attachments 03-iso2022jp-cp932-extensions 13-html-newsletter-utf8 14-html-newsletter-shift-jis 17-related-cid-images 20-attach-zip 22-attach-docx-macro 32-filename-rfc2047-jis-sjis 36-forward-rfc822 38-smuggle-uuencode 50-bare-lf-everywhere 64-html-active-content"
fi
# The --self-test stand-in is no sanitiser (it would fail the corpus facts):
# generated mails only, unless E2E_PICK asks for corpus cases.
[ "$SELFTEST" = 1 ] && [ -z "${E2E_PICK:-}" ] && E2E_CORPUS=/nonexistent
# Bare CR is no line end in SMTP: Postfix sees one 3 KB line and splits it at
# line_length_limit, so the facts of this case cannot hold after SMTP.
SMTP_UNSUITABLE="52-bare-cr-line-ends"
PICKS=()
if [ -d "$E2E_CORPUS" ]; then
    for b in ${E2E_PICK:-$DEFAULT_PICKS}; do
        if [ "$b" = all ]; then
            for t in "$E2E_CORPUS"/*.toml; do
                b=$(basename "$t" .toml)
                case " $SMTP_UNSUITABLE " in
                    *" $b "*) e2e_log "corpus: $b skipped (cannot travel over SMTP unchanged)"; continue ;;
                esac
                [ -e "$E2E_CORPUS/$b.eml" ] && PICKS+=("$b")
            done
        elif [ -e "$E2E_CORPUS/$b.eml" ] && [ -e "$E2E_CORPUS/$b.toml" ]; then
            PICKS+=("$b")
        else
            e2e_log "corpus: $b not found in $E2E_CORPUS, skipped"
        fi
    done
    if [ "${#PICKS[@]}" = 0 ] && [ -z "${E2E_PICK:-}" ]; then  # another corpus: take the first few
        for t in "$E2E_CORPUS"/*.toml; do
            [ -e "$t" ] || continue
            b=$(basename "$t" .toml); [ -e "$E2E_CORPUS/$b.eml" ] && PICKS+=("$b")
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
            --retry-4xx 30 "$@" >"$E2E_WORK/$name.send.json" 2>"$E2E_WORK/log/$name.send.err"; then
        t_fail "$name: send" "$(cat "$E2E_WORK/$name.send.json")"
    fi
    e2e_log "$name: send: $(cat "$E2E_WORK/$name.send.json")"
    n=$(wc -l <"$man")  # send.py writes the manifest before sending
    # Wait for the accepted ones only (the rest are reported missing by the check).
    local acc
    acc=$(sed -n 's/.*"accepted": \([0-9]*\).*/\1/p' "$E2E_WORK/$name.send.json")
    if maildir_wait "$md" "${acc:-$n}" "$timeout"; then :; else t_fail "$name: delivery" "not all ${acc:-$n} accepted mails delivered within ${timeout}s"; fi
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

if "$E2E_PY" "$HERE/check_maildir.py" --self-test >"$E2E_WORK/checker-selftest.txt" 2>&1; then
    t_pass "$(tail -1 "$E2E_WORK/checker-selftest.txt")"
else
    cat "$E2E_WORK/checker-selftest.txt" >&2; t_fail "check_maildir self-test"
fi

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
    local half=$((N_FAULT / 2)) rest=$((N_FAULT - N_FAULT / 2))
    : >"$man"
    # Senders hand mail to the queue-first listener; Postfix relays it through
    # the milter smtpd with its own smtp client (transport milterhop), which
    # defers on 4xx and retries, as a real upstream MTA would.
    # Phase 1: first half, milter killed (SIGKILL) while it is being relayed.
    send --port "$P_QUEUED" --rcpt fault@lgwan.example --manifest "$man" --tag fault1 \
        --generate "$half" --seed 13 --concurrency 4 \
        >"$E2E_WORK/fault1.send.json" 2>"$E2E_WORK/log/fault1.send.err" &
    spid=$!; E2E_PIDS+=("$spid")
    for i in $(seq 1 300); do
        n=$(maildir_count "$md"); [ "$n" -ge $((half / 5)) ] && break; sleep 0.05
    done
    milter_stop KILL
    local at_kill
    at_kill=$(maildir_count "$md")
    e2e_log "fault: milter SIGKILLed after $at_kill/$N_FAULT delivered"
    if wait "$spid"; then t_pass "fault: phase 1: $half mails accepted into the queue"
    else t_fail "fault: phase 1 send" "$(cat "$E2E_WORK/fault1.send.json")"; fi
    # Phase 2: the other half arrives while the milter is down.
    if send --port "$P_QUEUED" --rcpt fault@lgwan.example --manifest "$man" --tag fault2 \
            --generate "$rest" --seed 14 --concurrency 4 \
            >"$E2E_WORK/fault2.send.json" 2>"$E2E_WORK/log/fault2.send.err"; then
        t_pass "fault: phase 2: $rest mails accepted into the queue while the milter is down"
    else t_fail "fault: phase 2 send" "$(cat "$E2E_WORK/fault2.send.json")"; fi
    # A client talking straight to the milter smtpd gets a 4xx.
    local probe
    if probe=$(send --port "$P_MILTER" --rcpt probe@lgwan.example --tag probe --probe-4xx 2>&1); then
        t_pass "fault: milter down -> smtpd answers 4xx ($probe)"
    else t_fail "fault: milter down did not give 4xx" "$probe"; fi
    # Let the relay run into the dead milter.
    for i in $(seq 1 100); do
        deferred=$(grep -c 'postfix/milterhop.*status=deferred' "$E2E_WORK/log/maillog" 2>/dev/null || true)
        [ "${deferred:-0}" -gt 0 ] && break
        sleep 0.1
    done
    sleep 2
    local during queued
    during=$(maildir_count "$md"); queued=$(pf_queue_count)
    deferred=$(grep -c 'postfix/milterhop.*status=deferred' "$E2E_WORK/log/maillog" 2>/dev/null || true)
    e2e_log "fault: while down: $during delivered, $queued queued, $deferred deferral(s) logged"
    if [ "${deferred:-0}" -gt 0 ] && [ "$queued" -ge "$rest" ]; then
        t_pass "fault: while down, Postfix keeps $queued mails queued (deferred $deferred time(s)); $((during - at_kill)) delivered after the kill"
    else t_fail "fault: while down" "queued=$queued (want >= $rest), deferrals=$deferred"; fi
    if grep -q 'postfix/milterhop.*status=bounced' "$E2E_WORK/log/maillog"; then
        t_fail "fault: bounces" "$(grep -c 'postfix/milterhop.*status=bounced' "$E2E_WORK/log/maillog") mail(s) bounced"
    fi
    # Recovery.
    milter_start "$MILTER_LOG" || { t_fail "fault: milter restart"; return 1; }
    local t0 t1
    t0=$(e2e_now)
    pf_flush
    if maildir_wait "$md" "$N_FAULT" 180; then :; else t_fail "fault: delivery after restart" "not all $N_FAULT delivered"; fi
    t1=$(e2e_now)
    e2e_log "fault: after restart + postqueue -f: $(maildir_count "$md")/$N_FAULT delivered in $(e2e_elapsed "$t0" "$t1") s"
    if check --maildir "$md" --manifest "$man" --label fault >"$E2E_WORK/fault.check.txt" 2>&1; then
        t_pass "fault: $(tail -1 "$E2E_WORK/fault.check.txt")"
    else
        sed 's/^/    /' "$E2E_WORK/fault.check.txt" >&2
        t_fail "fault" "check_maildir failed"
    fi
    [ "$(maildir_count "$MAILBASE/probe")" = 0 ] || t_fail "fault: the probe mail was delivered although the milter was down"
}
fault_scenario

# --- milter starvation: slow mails past their time-out must not block the next ones -----
# The milter restarted with --max-concurrent 1 --timeout 5; 8 mails that are slow to
# sanitise (E2E_STARVE_FAMILY: uu-noend, default, or an HTML unit such as `<div/>`;
# E2E_STARVE_KB, default 1500) are sent at once: each must be answered (4xx at its
# time-out, or 250), and the work must stop at the deadline passed into the sanitiser,
# so that the 100 good mails sent after them are all accepted (no 4xx) and delivered
# sanitised. Since the scanners are linear, 1.5 MB of uu-noend takes ~0.1 s and is
# answered 250; a work that still overran its time-out would give its slot to the next
# message (tests/milter_session.rs proves that with an engine that is really slow).
# E2E_STARVATION=0 skips it.
starvation_scenario() {
    local man=$E2E_WORK/starve.manifest.jsonl md=$MAILBASE/starve out
    milter_stop TERM
    local saved=$MILTER_CMD
    MILTER_CMD="$saved --max-concurrent 1 --timeout 5"
    milter_start "$MILTER_LOG" || { t_fail "starvation: milter start"; MILTER_CMD=$saved; return 1; }
    out=$("$E2E_PY" - "$P_MILTER" "${E2E_STARVE_FAMILY:-uu-noend}" "${E2E_STARVE_KB:-1500}" <<'EOF'
import smtplib, sys, threading, time
port, family, kb = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
if family == "uu-noend":   # uuencode blocks never ended (the smuggling scan's family)
    ctype, unit = "text/plain", "begin 644 a.bin\r\nM86)C\r\n"
else:                      # an HTML unit repeated, e.g. <div/>
    ctype, unit = "text/html", family
text = unit * (kb * 1024 // len(unit))
if ctype == "text/html":
    text = "\r\n".join(text[i:i + 900] for i in range(0, len(text), 900))
codes = []
def one(i):
    msg = ("From: a@internet.example\r\nTo: starveslow@lgwan.example\r\nSubject: slow %d\r\n"
           "MIME-Version: 1.0\r\nContent-Type: %s; charset=us-ascii\r\n\r\n%s\r\n" % (i, ctype, text))
    try:
        s = smtplib.SMTP("127.0.0.1", port, timeout=300)
        s.sendmail("sender@lgwan.example", ["starveslow@lgwan.example"], msg.encode())
        codes.append("250")
        s.quit()
    except smtplib.SMTPResponseException as e:
        codes.append(str(e.smtp_code))
    except Exception as e:
        codes.append("err:%r" % e)
t0 = time.time()
ts = [threading.Thread(target=one, args=(i,)) for i in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print("%s %.1f" % (",".join(sorted(codes)), time.time() - t0))
EOF
)
    e2e_log "starvation: 8 slow mails answered: $out"
    # Each slow mail is answered: 4xx at its time-out, or 250 if sanitised within it (a
    # core fast on this family). Never a hang, never lost (err).
    case "$out" in
        *err*|"") t_fail "starvation: slow mails" "want a reply for all 8, got $out" ;;
        *) t_pass "starvation: 8 slow mails (${E2E_STARVE_FAMILY:-uu-noend}, ${E2E_STARVE_KB:-1500} KB) answered: codes,seconds = $out" ;;
    esac
    : >"$man"
    send --port "$P_MILTER" --rcpt starve@lgwan.example --manifest "$man" --tag starve \
        --generate 100 --seed 41 --concurrency 4 \
        >"$E2E_WORK/starve.send.json" 2>"$E2E_WORK/log/starve.send.err" || true
    e2e_log "starvation: good mails: $(cat "$E2E_WORK/starve.send.json")"
    if grep -q '"accepted": 100,' "$E2E_WORK/starve.send.json" && grep -q '"tempfail_answers": 0,' "$E2E_WORK/starve.send.json"; then
        t_pass "starvation: all 100 good mails after the slow ones accepted, none answered 4xx"
    else
        t_fail "starvation: good mails after the slow ones" "$(cat "$E2E_WORK/starve.send.json")"
    fi
    maildir_wait "$md" 100 120 || true
    if check --maildir "$md" --manifest "$man" --label starvation >"$E2E_WORK/starve.check.txt" 2>&1; then
        t_pass "starvation: $(tail -1 "$E2E_WORK/starve.check.txt")"
    else
        sed 's/^/    /' "$E2E_WORK/starve.check.txt" >&2; t_fail "starvation" "check_maildir failed"
    fi
    # Every slow mail answered 250 is delivered (sanitised, possibly with "limit reached"
    # removals), and none answered 4xx is: the MTA keeps those and retries.
    local accepted
    accepted=$(printf '%s\n' "${out%% *}" | tr ',' '\n' | grep -c '^250$')
    maildir_wait "$MAILBASE/starveslow" "$accepted" 60 || true
    if [ "$(maildir_count "$MAILBASE/starveslow")" = "$accepted" ]; then
        t_pass "starvation: $accepted slow mail(s) answered 250 delivered, none answered 4xx"
    else
        t_fail "starvation" "$(maildir_count "$MAILBASE/starveslow") slow mails delivered, $accepted answered 250"
    fi
    milter_stop TERM
    MILTER_CMD=$saved
    milter_start "$MILTER_LOG" || t_fail "starvation: milter restart"
}
if [ "${E2E_STARVATION:-1}" = 1 ] && [ "$SELFTEST" = 0 ]; then
    starvation_scenario
else
    e2e_log "starvation: SKIP (E2E_STARVATION=0 or --self-test)"
fi

# --- filter mode: after-queue content filter ------------------------------------------
# `mugai smtp` behind content_filter=mugai:[127.0.0.1]:FILTER, re-injecting into the
# re-injection smtpd (the lines of docs/postfix-content-filter.md). E2E_FILTER_CMD
# overrides the command ({listen} and {forward} are replaced by 127.0.0.1:PORTs);
# E2E_FILTER_CMD=skip skips the scenario. --self-test uses fake_milter.py smtp.
DEFAULT_FILTER_CMD="$MILTER_RUN smtp --listen {listen} --next-hop {forward}"
FILTER_CMD=${E2E_FILTER_CMD:-$DEFAULT_FILTER_CMD}
[ "$SELFTEST" = 1 ] && FILTER_CMD="$E2E_PY $HERE/fake_milter.py smtp --listen {listen} --forward {forward}"
FILTER_LOG=$E2E_WORK/log/filter.log
FILTER_PID=""
# filter_start NEXT_HOP_PORT: start the filter relaying to 127.0.0.1:NEXT_HOP_PORT.
filter_start() {
    local cmd=${FILTER_CMD//\{listen\}/127.0.0.1:$FILTER_PORT}
    cmd=${cmd//\{forward\}/127.0.0.1:$1}
    e2e_log "filter: $cmd"
    # shellcheck disable=SC2086
    NO_COLOR=1 $cmd >>"$FILTER_LOG" 2>&1 &
    FILTER_PID=$!
    disown "$FILTER_PID" 2>/dev/null || true
    E2E_PIDS+=("$FILTER_PID")
    e2e_wait_port 127.0.0.1 "$FILTER_PORT" 20
}
filter_stop() { e2e_kill_pid "$FILTER_PID" "${1:-TERM}"; FILTER_PID=""; }

filter_fault_scenario() {
    local man=$E2E_WORK/filterfault.manifest.jsonl md=$MAILBASE/filterfault i deferred
    local dead half=$((N_FILTER_FAULT / 2)) rest=$((N_FILTER_FAULT - N_FILTER_FAULT / 2))
    : >"$man"
    # Phase 1: the next hop (re-injection smtpd) is down: the filter must answer 451
    # for every mail and Postfix must keep them queued.
    dead=$(e2e_free_ports 1)
    filter_stop
    filter_start "$dead" || { t_fail "filter-fault: start with the next hop down"; return 1; }
    if send --port "$P_FILTER" --rcpt filterfault@lgwan.example --manifest "$man" --tag ffault1 \
            --generate "$half" --seed 19 --concurrency 4 "${CORPUS_ARGS[@]}" \
            >"$E2E_WORK/ffault1.send.json" 2>"$E2E_WORK/log/ffault1.send.err"; then
        t_pass "filter-fault: $(wc -l <"$man") mails accepted into the queue while the next hop is down"
    else t_fail "filter-fault: phase 1 send" "$(cat "$E2E_WORK/ffault1.send.json")"; fi
    for i in $(seq 1 150); do
        deferred=$(grep -c 'postfix/mugai.*status=deferred' "$E2E_WORK/log/maillog" 2>/dev/null || true)
        [ "${deferred:-0}" -ge "$half" ] && break
        sleep 0.1
    done
    # Phase 2: the filter itself is down (killed); more mail arrives.
    filter_stop KILL
    if send --port "$P_FILTER" --rcpt filterfault@lgwan.example --manifest "$man" --tag ffault2 \
            --generate "$rest" --seed 23 --concurrency 4 \
            >"$E2E_WORK/ffault2.send.json" 2>"$E2E_WORK/log/ffault2.send.err"; then
        t_pass "filter-fault: $rest more mails accepted into the queue while mugai smtp is down"
    else t_fail "filter-fault: phase 2 send" "$(cat "$E2E_WORK/ffault2.send.json")"; fi
    sleep 1
    local n_man during queued temp451
    n_man=$(wc -l <"$man")
    during=$(maildir_count "$md"); queued=$(pf_queue_count)
    deferred=$(grep -c 'postfix/mugai.*status=deferred' "$E2E_WORK/log/maillog" 2>/dev/null || true)
    temp451=$(grep -c 'said: 451 4.3.0' "$E2E_WORK/log/maillog" 2>/dev/null || true)
    e2e_log "filter-fault: while down: $during delivered, $queued queued, $deferred deferral(s), $temp451 answered 451 by mugai"
    if [ "$during" = 0 ] && [ "$queued" -ge "$n_man" ] && [ "${temp451:-0}" -gt 0 ]; then
        t_pass "filter-fault: next hop down -> mugai answers 451 ($temp451 times), Postfix keeps all $queued mails queued, 0 delivered"
    else t_fail "filter-fault: while down" "delivered=$during (want 0) queued=$queued (want >= $n_man) 451s=$temp451"; fi
    if grep -q 'postfix/mugai.*status=bounced' "$E2E_WORK/log/maillog"; then
        t_fail "filter-fault: bounces" "$(grep -c 'postfix/mugai.*status=bounced' "$E2E_WORK/log/maillog") mail(s) bounced"
    fi
    # Recovery: filter back with the real next hop, flush the queue.
    filter_start "$P_REINJECT" || { t_fail "filter-fault: restart"; return 1; }
    local t0 t1
    t0=$(e2e_now)
    pf_flush
    if maildir_wait "$md" "$n_man" 120; then :; else t_fail "filter-fault: delivery after recovery" "not all $n_man delivered"; fi
    t1=$(e2e_now)
    e2e_log "filter-fault: after recovery + postqueue -f: $(maildir_count "$md")/$n_man delivered in $(e2e_elapsed "$t0" "$t1") s"
    if check --maildir "$md" --manifest "$man" --label filter-fault >"$E2E_WORK/filterfault.check.txt" 2>&1; then
        t_pass "filter-fault: $(tail -1 "$E2E_WORK/filterfault.check.txt")"
    else
        sed 's/^/    /' "$E2E_WORK/filterfault.check.txt" >&2
        t_fail "filter-fault" "check_maildir failed"
    fi
}

# The filter over LMTP: Postfix's lmtp client -> mugai smtp --lmtp -> re-injection.
filter_lmtp_scenario() {
    local cmd="$MILTER_RUN smtp --lmtp --listen 127.0.0.1:$FILTER_LMTP_PORT --next-hop 127.0.0.1:$P_REINJECT" pid
    e2e_log "filter-lmtp: $cmd"
    # shellcheck disable=SC2086
    NO_COLOR=1 $cmd >>"$FILTER_LOG" 2>&1 &
    pid=$!; disown "$pid" 2>/dev/null || true; E2E_PIDS+=("$pid")
    if e2e_wait_port 127.0.0.1 "$FILTER_LMTP_PORT" 20; then
        run_batch filterlmtp "$P_FILTER_LMTP" filterlmtp 120 "" -- \
            --generate "$N_FILTER_LMTP" --seed 29 --concurrency 2 "${CORPUS_ARGS[@]}"
        e2e_log "filter-lmtp: $BATCH_N mails in $BATCH_SECS s = $(e2e_rate "$BATCH_N" "$BATCH_SECS") mails/s"
        if grep -q 'postfix/mugailmtp.*status=sent' "$E2E_WORK/log/maillog"; then
            t_pass "filter-lmtp: Postfix's lmtp client delivered through mugai smtp --lmtp"
        else t_fail "filter-lmtp" "no status=sent from postfix/mugailmtp in the maillog"; fi
    else
        t_fail "filter-lmtp" "mugai smtp --lmtp did not listen on 127.0.0.1:$FILTER_LMTP_PORT"
    fi
    e2e_kill_pid "$pid" TERM
}

# Per-recipient outcome: Postfix hands a mail for filterrcpt@ and refused@ to a second
# mugai smtp whose next hop (the strict re-injection smtpd) refuses refused@ at RCPT
# time. mugai must answer that RCPT with the next hop's 550 and deliver to filterrcpt@:
# Postfix then bounces refused@ alone (to the envelope sender rcptbounce@).
filter_rcpt_scenario() {
    local n=$1 cmd="$MILTER_RUN smtp --listen 127.0.0.1:$FILTER_RCPT_PORT --next-hop 127.0.0.1:$P_REINJECT_STRICT" pid
    local man=$E2E_WORK/filterrcpt.manifest.jsonl bounces=$MAILBASE/rcptbounce i
    e2e_log "filter-rcpt: $cmd"
    # shellcheck disable=SC2086
    NO_COLOR=1 $cmd >>"$FILTER_LOG" 2>&1 &
    pid=$!; disown "$pid" 2>/dev/null || true; E2E_PIDS+=("$pid")
    if ! e2e_wait_port 127.0.0.1 "$FILTER_RCPT_PORT" 20; then
        t_fail "filter-rcpt" "mugai smtp did not listen on 127.0.0.1:$FILTER_RCPT_PORT"; return 1
    fi
    : >"$man"
    if send --port "$P_FILTER_RCPT" --rcpt filterrcpt@lgwan.example --also-rcpt refused@lgwan.example \
            --sender rcptbounce@lgwan.example --manifest "$man" --tag frcpt \
            --generate "$n" --seed 31 --concurrency 2 \
            >"$E2E_WORK/filterrcpt.send.json" 2>"$E2E_WORK/log/filterrcpt.send.err"; then :
    else t_fail "filter-rcpt: send" "$(cat "$E2E_WORK/filterrcpt.send.json")"; fi
    maildir_wait "$MAILBASE/filterrcpt" "$n" 120 || t_fail "filter-rcpt: delivery" "not all $n delivered to filterrcpt@"
    for i in $(seq 1 300); do [ "$(maildir_count "$bounces")" -ge "$n" ] && break; sleep 0.2; done
    if check --maildir "$MAILBASE/filterrcpt" --manifest "$man" --label filter-rcpt >"$E2E_WORK/filterrcpt.check.txt" 2>&1; then
        t_pass "filter-rcpt: accepted recipient: $(tail -1 "$E2E_WORK/filterrcpt.check.txt")"
    else
        sed 's/^/    /' "$E2E_WORK/filterrcpt.check.txt" >&2; t_fail "filter-rcpt" "check_maildir failed"
    fi
    local nb refused_sent bounced_log sent_log wrong
    nb=$(maildir_count "$bounces")
    refused_sent=$(maildir_count "$MAILBASE/refused")
    bounced_log=$(grep -c 'postfix/mugai.*to=<refused@lgwan.example>.*status=bounced.*550 5.1.1' "$E2E_WORK/log/maillog" || true)
    sent_log=$(grep -c "postfix/mugai.*to=<filterrcpt@lgwan.example>.*:$FILTER_RCPT_PORT.*status=sent" "$E2E_WORK/log/maillog" || true)
    # A bounce naming the accepted recipient as failed would be wrong.
    wrong=$(grep -rl 'filterrcpt@lgwan.example.*\(550\|failed\)' "$bounces" 2>/dev/null | wc -l)
    e2e_log "filter-rcpt: $n mails to 2 recipients: filterrcpt@ got $(maildir_count "$MAILBASE/filterrcpt"), refused@ got $refused_sent, $nb bounce(s) to the sender; maillog: $bounced_log bounced (550 5.1.1), $sent_log sent"
    if [ "$nb" = "$n" ] && [ "$refused_sent" = 0 ] && [ "${bounced_log:-0}" = "$n" ] && [ "${sent_log:-0}" = "$n" ] && [ "$wrong" = 0 ] \
            && grep -rlq 'refused@lgwan.example' "$bounces"; then
        t_pass "filter-rcpt: next hop refused 1 of 2 recipients: $n bounce(s) for refused@ only (550 5.1.1), $n delivered sanitised to filterrcpt@"
    else
        t_fail "filter-rcpt" "bounces=$nb (want $n) refused-delivered=$refused_sent bounced-log=$bounced_log sent-log=$sent_log wrong-bounces=$wrong"
    fi
    e2e_kill_pid "$pid" TERM
}

# SMTP smuggling, straight to mugai smtp (Postfix's smtp client always sends CRLF, so a
# raw client plays the attacker): <LF>.<LF> must not end the data; the message holding
# a second transaction with a spoofed sender is refused and nothing of it is relayed.
filter_bare_lf_scenario() {
    local out
    out=$("$E2E_PY" - "$FILTER_PORT" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
def reply():
    lines = []
    while True:
        l = f.readline().decode("ascii", "replace")
        lines.append(l.strip())
        if len(l) < 4 or l[3] != "-":
            return " | ".join(lines)
def cmd(c):
    s.sendall(c.encode() + b"\r\n")
    return reply()
out = [reply(), cmd("EHLO attacker.e2e.test"), cmd("MAIL FROM:<sender@lgwan.example>"),
       cmd("RCPT TO:<filterlf@lgwan.example>"), cmd("DATA")]
s.sendall(b"Subject: first\r\n\r\nhello\n.\nMAIL FROM:<ceo@city.lg.jp>\r\n"
          b"RCPT TO:<filterlf@lgwan.example>\r\nDATA\r\nSubject: smuggled\r\n\r\n"
          b"SMUGGLED-TRANSFER-ORDER-4711\r\n.\r\nQUIT\r\n")
out.append(reply())
out.append(reply())
print("\n".join(out))
PYEOF
)
    e2e_log "filter-bare-lf: replies: $(echo "$out" | tail -2 | tr '\n' ' ')"
    sleep 3
    local got
    got=$(maildir_count "$MAILBASE/filterlf")
    if echo "$out" | tail -2 | head -1 | grep -q '^550 5.5.2.*bare <LF>' && echo "$out" | tail -1 | grep -q '^221' && [ "$got" = 0 ]; then
        t_pass "filter-bare-lf: <LF>.<LF> did not end the data; 550 5.5.2 bare <LF>, the smuggled mail (spoofed sender) not relayed (0 delivered)"
    else
        t_fail "filter-bare-lf" "replies: $(echo "$out" | tr '\n' ' '); delivered to filterlf@: $got"
    fi
}

# An envelope sender with an address literal (RFC 5321 4.1.3) through Postfix and mugai.
filter_literal_scenario() {
    local man=$E2E_WORK/filterlit.manifest.jsonl md=$MAILBASE/filterlit
    : >"$man"
    send --port "$P_FILTER" --rcpt filterlit@lgwan.example --sender 'lit@[127.0.0.1]' \
        --manifest "$man" --tag flit --generate 3 --seed 37 \
        >"$E2E_WORK/filterlit.send.json" 2>"$E2E_WORK/log/filterlit.send.err" \
        || t_fail "filter-literal: send" "$(cat "$E2E_WORK/filterlit.send.json")"
    maildir_wait "$md" 3 60 || t_fail "filter-literal: delivery" "not all 3 delivered"
    local rp
    rp=$(grep -rl '^Return-Path: <lit@\[127.0.0.1\]>' "$md" 2>/dev/null | wc -l)
    if check --maildir "$md" --manifest "$man" --label filter-literal >"$E2E_WORK/filterlit.check.txt" 2>&1 && [ "$rp" = 3 ]; then
        t_pass "filter-literal: MAIL FROM:<lit@[127.0.0.1]> through mugai smtp: 3 delivered sanitised, Return-Path kept ($(tail -1 "$E2E_WORK/filterlit.check.txt"))"
    else
        sed 's/^/    /' "$E2E_WORK/filterlit.check.txt" >&2
        t_fail "filter-literal" "Return-Path with the literal in $rp of 3; $(grep -c 'lit@' "$E2E_WORK/log/maillog") maillog lines"
    fi
}

if [ "$FILTER_CMD" != skip ]; then
    if filter_start "$P_REINJECT"; then
        t_pass "content filter listening on 127.0.0.1:$FILTER_PORT, next hop 127.0.0.1:$P_REINJECT"
        run_batch filter "$P_FILTER" filter 300 "" -- \
            --generate "$N_BENCH" --seed 7 --concurrency "$BENCH_CONC" "${CORPUS_ARGS[@]}"
        FILTER_N=$BATCH_N FILTER_S=$BATCH_SECS
        RATE_LINE="$RATE_LINE; content filter $FILTER_N mails in $FILTER_S s = $(e2e_rate "$FILTER_N" "$FILTER_S") mails/s"
        echo "$RATE_LINE" >&2
        if [ "$SELFTEST" = 1 ]; then
            e2e_log "filter-fault, filter-lmtp: skipped with --self-test"
        else
            filter_fault_scenario
            if [ -z "${E2E_FILTER_CMD:-}" ]; then
                filter_lmtp_scenario
                filter_rcpt_scenario "${E2E_N_FILTER_RCPT:-5}"
                filter_bare_lf_scenario
                filter_literal_scenario
            fi
        fi
    else
        t_fail "filter" "content filter did not listen on 127.0.0.1:$FILTER_PORT"
    fi
    filter_stop TERM
    if grep -Eqi 'panicked|panic:' "$FILTER_LOG"; then
        t_fail "filter log" "$(grep -Ei 'panicked|panic:' "$FILTER_LOG" | head -3 | cut -c1-300)"
    fi
else
    e2e_log "filter: SKIP (E2E_FILTER_CMD=skip)"
fi

# --- global: no bounces, nothing stuck -----------------------------------------------
if [ "$(maildir_count "$MAILBASE/sender")" = 0 ]; then t_pass "no bounces to the envelope sender"
else t_fail "bounces" "$(maildir_count "$MAILBASE/sender") bounce(s) in the sender's Maildir"; fi
q=$(pf_queue_count)
if [ "$q" = 0 ]; then t_pass "queue empty at the end"; else t_fail "queue" "$q message(s) left in the queue"; fi
if grep -Eqi 'panicked|panic:' "$MILTER_LOG"; then
    t_fail "milter log" "$(grep -Ei 'panicked|panic:' "$MILTER_LOG" | head -3 | cut -c1-300)"
fi
if grep -Eq 'postfix/[a-z]+\[[0-9]+\]: (fatal|panic):' "$E2E_WORK/log/maillog"; then
    t_fail "postfix log" "$(grep -E '(fatal|panic):' "$E2E_WORK/log/maillog" | head -3)"
fi

if [ "$E2E_FAIL" -gt 0 ]; then
    e2e_log "maillog tail:"; tail -15 "$E2E_WORK/log/maillog" | cut -c1-300 >&2
    e2e_log "milter log (warnings/errors, last 15):"
    sed 's/\x1b\[[0-9;]*m//g' "$MILTER_LOG" | grep -Ev ' (INFO|DEBUG|TRACE) ' | tail -15 | cut -c1-300 >&2
fi
summary
[ "$E2E_FAIL" = 0 ]
