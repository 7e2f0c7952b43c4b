# shellcheck shell=bash disable=SC2034,SC2153
# (SC2034/SC2153: variables shared with postfix.sh, which sources this file)
# Helpers for the real-Postfix end-to-end harness (sourced by postfix.sh).
#
# Everything runs on 127.0.0.1 only, in a private Postfix instance under a
# temporary directory (never the system-wide Postfix). Every wait is bounded.
# e2e_cleanup (installed as an EXIT trap by postfix.sh) stops Postfix, kills
# every process we started (by PID) and removes the temporary directory.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_REPO=$(cd "$E2E_DIR/../.." && pwd)
E2E_PY=${E2E_PY:-python3}
E2E_PASS=0
E2E_FAIL=0
E2E_FAILED_NAMES=()
E2E_PIDS=()          # background processes we started (killed on exit)
E2E_WORK=""          # temp dir, removed on exit unless E2E_KEEP=1
PF_DIR=""            # private postfix config_directory
PF_RUNNING=0

e2e_log()  { printf 'e2e: %s\n' "$*" >&2; }
e2e_now()  { date +%s.%N; }
e2e_elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
e2e_rate()    { awk -v n="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 0.001; printf "%.1f", n / s }'; }

t_pass() { E2E_PASS=$((E2E_PASS + 1)); printf 'e2e: PASS %s\n' "$1" >&2; }
t_fail() {
    E2E_FAIL=$((E2E_FAIL + 1)); E2E_FAILED_NAMES+=("$1")
    printf 'e2e: FAIL %s%s\n' "$1" "${2:+: $2}" >&2
}

# --- installation ----------------------------------------------------------

e2e_install_postfix() {
    if command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ]; then
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        e2e_log "postfix is missing and we are not root: cannot install"; return 1
    fi
    e2e_log "installing postfix with apt-get (non-interactive)"
    export DEBIAN_FRONTEND=noninteractive
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    # policy-rc.d 101 = never start services from maintainer scripts.
    local prc=/usr/sbin/policy-rc.d made_prc=0
    if [ ! -e "$prc" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$prc"; chmod 755 "$prc"; made_prc=1
    fi
    local rc=0
    if ! apt-get install -y -q --no-install-recommends postfix >"${TMPDIR:-/tmp}/mugai-e2e-apt.log" 2>&1; then
        apt-get update -q >>"${TMPDIR:-/tmp}/mugai-e2e-apt.log" 2>&1 || true
        apt-get install -y -q --no-install-recommends postfix >>"${TMPDIR:-/tmp}/mugai-e2e-apt.log" 2>&1 || rc=$?
    fi
    [ "$made_prc" = 1 ] && rm -f "$prc"
    if [ "$rc" != 0 ]; then
        e2e_log "apt-get install postfix failed (see ${TMPDIR:-/tmp}/mugai-e2e-apt.log)"; tail -20 "${TMPDIR:-/tmp}/mugai-e2e-apt.log" >&2
        return 1
    fi
    # Belt and braces: if the package started a system instance anyway, we
    # leave it alone; ours never touches /etc/postfix or /var/spool/postfix.
    return 0
}

# --- small utilities -------------------------------------------------------

# Print N distinct free TCP ports on 127.0.0.1 (bound then released).
e2e_free_ports() {
    "$E2E_PY" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
EOF
}

# wait_port HOST PORT TIMEOUT: until something accepts TCP connections.
e2e_wait_port() {
    "$E2E_PY" - "$1" "$2" "$3" <<'EOF'
import socket, sys, time
host, port, deadline = sys.argv[1], int(sys.argv[2]), time.time() + float(sys.argv[3])
while time.time() < deadline:
    try:
        socket.create_connection((host, port), timeout=1).close(); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
}

e2e_kill_pid() { # pid [signal]
    local pid=$1 sig=${2:-TERM} i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    # Reap our own child here (also keeps bash from printing "Killed").
    wait "$pid" 2>/dev/null || true
}

# --- private postfix instance -----------------------------------------------
# Layout under $E2E_WORK:
#   pf/etc    config_directory (main.cf, master.cf, vmailbox)
#   pf/spool  queue_directory          pf/data  data_directory
#   log/maillog (postlogd)             mail/    virtual_mailbox_base
# Listeners (all 127.0.0.1), one instance serving every mode:
#   P_PLAIN    smtpd, no milter                             (mode plain)
#   P_MILTER   smtpd, smtpd_milters=inet:127.0.0.1:MILTER   (mode milter)
#   P_QUEUED   smtpd, no milter, content_filter=milterhop:[127.0.0.1]:P_MILTER
#              i.e. mail is queued first, then Postfix's own smtp client
#              relays it through the milter smtpd and retries 4xx itself
#   P_FILTER   smtpd, content_filter=mugai:[127.0.0.1]:FILTER (mode filter)
#   P_FILTER_LMTP smtpd, content_filter=mugailmtp:inet:127.0.0.1:FILTER_LMTP
#              (the content filter over LMTP)
#   P_REINJECT re-injection smtpd for the content filter, -o content_filter=
#   P_FILTER_RCPT smtpd, content_filter=mugai:[127.0.0.1]:FILTER_RCPT_PORT, whose
#              mugai smtp relays to P_REINJECT_STRICT: a re-injection smtpd that
#              refuses refused@lgwan.example at RCPT time (per-recipient scenario)
# Mailboxes: lgwan.example/<localpart>/ (Maildir) for user, sender (the
# envelope sender: bounces land there and count as failures) and every name
# in $E2E_RCPTS, so each scenario has its own recipient and Maildir.

pf_compat_level() {
    local l
    l=$(sed -n 's/^compatibility_level *= *\([0-9.]*\).*/\1/p' /etc/postfix/main.cf.proto 2>/dev/null | head -1)
    echo "${l:-2}"
}

pf_create() {
    PF_DIR=$E2E_WORK/pf/etc
    local spool=$E2E_WORK/pf/spool data=$E2E_WORK/pf/data
    local vuid vgid
    vuid=$(id -u nobody 2>/dev/null || echo 65534)
    vgid=$(id -g nobody 2>/dev/null || echo 65534)
    mkdir -p "$PF_DIR" "$spool" "$data" "$E2E_WORK/log" "$E2E_WORK/mail"
    chmod 755 "$E2E_WORK" "$E2E_WORK/pf" "$PF_DIR" "$spool" "$E2E_WORK/log"
    chown postfix "$data"; chmod 700 "$data"
    chown "$vuid:$vgid" "$E2E_WORK/mail"; chmod 755 "$E2E_WORK/mail"

    cat >"$PF_DIR/main.cf" <<EOF
# mugai e2e private instance -- generated by tests/e2e/lib.sh
compatibility_level = $(pf_compat_level)
queue_directory = $spool
data_directory = $data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.e2e.test
mydomain = e2e.test
myorigin = \$myhostname
mydestination =
local_transport = error:5.1.1 local delivery disabled in e2e instance
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_host_lookup = native
biff = no
message_size_limit = 52428800
virtual_mailbox_domains = lgwan.example
virtual_mailbox_base = $E2E_WORK/mail
virtual_mailbox_maps = texthash:$PF_DIR/vmailbox
virtual_uid_maps = static:$vuid
virtual_gid_maps = static:$vgid
virtual_minimum_uid = 1
virtual_mailbox_limit = 0
maillog_file = $E2E_WORK/log/maillog
maillog_file_prefixes = $E2E_WORK
# milter settings (used only by listeners that set smtpd_milters)
smtpd_milters =
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_content_timeout = 300s
milter_connect_timeout = 10s
# fast retries so deferred mail comes back quickly in the fault scenario
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 20s
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 100
EOF
    # texthash: no postmap needed; regexp substitution is refused for
    # virtual_mailbox_maps, so every recipient used by a scenario is listed.
    local r
    : >"$PF_DIR/vmailbox"
    for r in user sender $E2E_RCPTS; do
        printf '%s@lgwan.example\tlgwan.example/%s/\n' "$r" "$r" >>"$PF_DIR/vmailbox"
    done
    # The strict re-injection smtpd (per-recipient scenario) refuses this one recipient
    # at RCPT time, as a next hop that does not know a user would.
    printf 'refused@lgwan.example\t550 5.1.1 <refused@lgwan.example>: Recipient address rejected: User unknown\n' >"$PF_DIR/refuse"
    cat >"$PF_DIR/master.cf" <<EOF
# mugai e2e private instance -- generated by tests/e2e/lib.sh (no chroot)
127.0.0.1:$P_PLAIN    inet n - n - - smtpd
127.0.0.1:$P_MILTER   inet n - n - - smtpd
  -o smtpd_milters=inet:127.0.0.1:$MILTER_PORT
127.0.0.1:$P_QUEUED   inet n - n - - smtpd
  -o content_filter=milterhop:[127.0.0.1]:$P_MILTER
127.0.0.1:$P_FILTER   inet n - n - - smtpd
  -o content_filter=mugai:[127.0.0.1]:$FILTER_PORT
127.0.0.1:$P_FILTER_LMTP inet n - n - - smtpd
  -o content_filter=mugailmtp:inet:127.0.0.1:$FILTER_LMTP_PORT
127.0.0.1:$P_FILTER_RCPT inet n - n - - smtpd
  -o content_filter=mugai:[127.0.0.1]:$FILTER_RCPT_PORT
127.0.0.1:$P_REINJECT_STRICT inet n - n - - smtpd
  -o syslog_name=postfix/mugai-reinject-strict
  -o content_filter=
  -o smtpd_milters=
  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters
  -o smtpd_relay_restrictions=permit_mynetworks,reject
  -o smtpd_recipient_restrictions=check_recipient_access,texthash:$PF_DIR/refuse,permit_mynetworks,reject
  -o mynetworks=127.0.0.0/8
  -o smtpd_authorized_xforward_hosts=127.0.0.0/8
  -o smtpd_tls_security_level=none
127.0.0.1:$P_REINJECT inet n - n - - smtpd
  -o syslog_name=postfix/mugai-reinject
  -o content_filter=
  -o smtpd_milters=
  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters
  -o smtpd_helo_restrictions=
  -o smtpd_client_restrictions=
  -o smtpd_sender_restrictions=
  -o smtpd_relay_restrictions=permit_mynetworks,reject
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
  -o smtpd_data_restrictions=
  -o mynetworks=127.0.0.0/8
  -o smtpd_authorized_xforward_hosts=127.0.0.0/8
  -o smtpd_tls_security_level=none
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
proxywrite unix - - n -    1 proxymap
smtp      unix  - - n -    - smtp
relay     unix  - - n -    - smtp
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
virtual   unix  - n n -    - virtual
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
# queue -> milter smtpd relay (fault scenario: Postfix itself retries 4xx)
# No connection reuse: an smtpd session whose milter failed tempfails every
# later message of that session, which would only slow down the recovery.
milterhop unix  - - n -    8 smtp
  -o syslog_name=postfix/milterhop
  -o smtp_connection_cache_on_demand=no
# after-queue content filter (mode filter; mugai smtp on FILTER_PORT).
# These lines and the re-injection smtpd above are those of
# docs/postfix-content-filter.md (ports aside): keep them in step.
mugai     unix  - - n -    4 smtp
  -o syslog_name=postfix/mugai
  -o smtp_send_xforward_command=yes
  -o smtp_data_done_timeout=300s
  -o disable_mime_output_conversion=yes
  -o smtp_tls_security_level=none
# the same over LMTP (mugai smtp --lmtp on FILTER_LMTP_PORT)
mugailmtp unix  - - n -    4 lmtp
  -o syslog_name=postfix/mugailmtp
  -o lmtp_send_xforward_command=yes
  -o lmtp_data_done_timeout=300s
  -o disable_mime_output_conversion=yes
EOF
    # Queue directories + ownership as the package would set them up.
    postfix -c "$PF_DIR" set-permissions >"$E2E_WORK/log/set-permissions.log" 2>&1 || {
        e2e_log "postfix set-permissions failed:"; cat "$E2E_WORK/log/set-permissions.log" >&2; return 1; }
    if ! postfix -c "$PF_DIR" check >"$E2E_WORK/log/check.log" 2>&1; then
        e2e_log "postfix check failed:"; cat "$E2E_WORK/log/check.log" >&2; return 1
    fi
    return 0
}

pf_start() {
    postfix -c "$PF_DIR" start >"$E2E_WORK/log/start.log" 2>&1 || {
        e2e_log "postfix start failed:"; cat "$E2E_WORK/log/start.log" >&2
        tail -20 "$E2E_WORK/log/maillog" 2>/dev/null >&2; return 1; }
    PF_RUNNING=1
    local p
    for p in "$P_PLAIN" "$P_MILTER" "$P_QUEUED"; do
        e2e_wait_port 127.0.0.1 "$p" 20 || { e2e_log "postfix smtpd on $p not up"; return 1; }
    done
}

pf_stop() {
    [ "$PF_RUNNING" = 1 ] || return 0
    postfix -c "$PF_DIR" stop >/dev/null 2>&1 || true
    local i
    for i in $(seq 1 100); do
        postfix -c "$PF_DIR" status >/dev/null 2>&1 || break
        sleep 0.1
    done
    if postfix -c "$PF_DIR" status >/dev/null 2>&1; then
        postfix -c "$PF_DIR" abort >/dev/null 2>&1 || true
        local mpid
        mpid=$(sed -n '1s/ //gp' "$E2E_WORK/pf/spool/pid/master.pid" 2>/dev/null)
        [ -n "$mpid" ] && e2e_kill_pid "$mpid" KILL
    fi
    PF_RUNNING=0
}

# Number of messages in the private queue (all queues).
pf_queue_count() {
    # postqueue -j prints one JSON object per queued message.
    postqueue -c "$PF_DIR" -j 2>/dev/null | grep -c '"queue_id"' || true
}

pf_flush() { postqueue -c "$PF_DIR" -f >/dev/null 2>&1 || true; }

# Count delivered messages in Maildir DIR (new/ + cur/).
maildir_count() {
    local d=$1 n=0
    [ -d "$d/new" ] && n=$(( n + $(find "$d/new" -type f | wc -l) ))
    [ -d "$d/cur" ] && n=$(( n + $(find "$d/cur" -type f | wc -l) ))
    echo "$n"
}

# maildir_wait DIR N TIMEOUT: bounded wait until >= N mails delivered and the
# queue is empty. Returns 0 when reached, 1 on timeout.
maildir_wait() {
    local d=$1 want=$2 timeout=$3 start now n q
    start=$(date +%s)
    while :; do
        n=$(maildir_count "$d")
        if [ "$n" -ge "$want" ]; then
            q=$(pf_queue_count)
            [ "$q" = 0 ] && return 0
        fi
        now=$(date +%s)
        if [ $((now - start)) -ge "$timeout" ]; then
            e2e_log "timeout after ${timeout}s: $n/$want delivered in $d, queue=$(pf_queue_count)"
            return 1
        fi
        sleep 0.2
    done
}

# --- the milter under test -------------------------------------------------
MILTER_PID=""
milter_start() { # logfile
    local log=$1
    # shellcheck disable=SC2086
    NO_COLOR=1 $MILTER_CMD >>"$log" 2>&1 &
    MILTER_PID=$!
    disown "$MILTER_PID" 2>/dev/null || true  # no "Killed" job report from bash
    E2E_PIDS+=("$MILTER_PID")
    if ! e2e_wait_port 127.0.0.1 "$MILTER_PORT" 20; then
        e2e_log "milter did not listen on 127.0.0.1:$MILTER_PORT; log tail:"; tail -20 "$log" >&2
        return 1
    fi
}
milter_stop() { # [signal]
    e2e_kill_pid "$MILTER_PID" "${1:-TERM}"; MILTER_PID=""
}

# --- cleanup -----------------------------------------------------------------
e2e_cleanup() {
    local rc=$?
    set +e
    pf_stop
    local p
    for p in "${E2E_PIDS[@]}"; do e2e_kill_pid "$p"; done
    if [ -n "$E2E_WORK" ] && [ -d "$E2E_WORK" ]; then
        if [ "${E2E_KEEP:-0}" = 1 ] || { [ "$E2E_FAIL" -gt 0 ] && [ "${E2E_KEEP_ON_FAIL:-0}" = 1 ]; }; then
            e2e_log "keeping $E2E_WORK"
        else
            rm -rf "$E2E_WORK"
        fi
    fi
    return $rc
}
