#!/usr/bin/env bash
# shellcheck disable=SC2016  # the bash -c checks expand in the inner shell, on purpose
# End-to-end test of the Debian package: builds it with scripts/build-deb.sh, installs it with
# apt-get (dpkg), checks what a new administrator relies on (command, man pages, completions,
# conffile, the mugai user, the quarantine directory, the systemd units), runs the milter
# unit's ExecStart command line as the mugai user (systemd may not run here), checks that it
# listens and answers a milter option negotiation, stops it with SIGTERM, then removes and
# purges the package.
#
# Needs root (it installs a package system-wide) and Debian's dpkg/apt. The last line is
# `deb: N passed, M failed`; the exit status is non-zero when something failed.
# Usage: tests/e2e/deb.sh          (DEB_KEEP=1 keeps the package installed afterwards)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

PASS=0
FAIL=0
MILTER_PID=""
WORK=$(mktemp -d)
INSTALLED=0
log() { printf 'deb: %s\n' "$*" >&2; }
pass() { PASS=$((PASS + 1)); log "PASS $1"; }
fail() { FAIL=$((FAIL + 1)); log "FAIL $1${2:+: $2}"; }
check() { # name command...
    local name=$1
    shift
    if "$@" >"$WORK/check.out" 2>&1; then pass "$name"; else fail "$name" "$(tail -3 "$WORK/check.out" | tr '\n' ' ')"; fi
}
summary() { echo "deb: $PASS passed, $FAIL failed"; }
cleanup() {
    if [ -n "$MILTER_PID" ] && kill -0 "$MILTER_PID" 2>/dev/null; then
        kill -KILL "$MILTER_PID" 2>/dev/null || true
    fi
    if [ "$INSTALLED" = 1 ] && [ "${DEB_KEEP:-0}" != 1 ]; then
        dpkg --purge mugai >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'fail interrupted; summary; exit 130' INT TERM

if [ "$(id -u)" != 0 ]; then
    log "skipped: needs root to install a package"
    summary
    exit 0
fi
if ! command -v dpkg >/dev/null; then
    log "skipped: not a Debian system (no dpkg)"
    summary
    exit 0
fi
if dpkg-query -W -f '${Status}' mugai 2>/dev/null | grep -q 'install ok installed'; then
    fail "preflight" "a mugai package is already installed; not touching it"
    summary
    exit 1
fi

had_user=0
getent passwd mugai >/dev/null && had_user=1
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

# --- build -----------------------------------------------------------------
t0=$(date +%s)
if scripts/build-deb.sh >"$WORK/build.log" 2>&1; then
    deb=$(tail -n 1 "$WORK/build.log")
    pass "build-deb.sh ($(($(date +%s) - t0)) s)"
else
    fail "build-deb.sh" "$(tail -5 "$WORK/build.log" | tr '\n' ' ')"
    summary
    exit 1
fi
if [ -f "$deb" ]; then pass "package file $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"; else
    fail "package file" "build-deb.sh did not print a .deb path: $deb"
    summary
    exit 1
fi
dpkg-deb -c "$deb" >"$WORK/contents"
for path in ./usr/bin/mugai ./etc/mugai/mugai.toml ./lib/systemd/system/mugai-milter.service \
    ./lib/systemd/system/mugai-smtp.service ./usr/share/man/man1/mugai.1.gz \
    ./usr/share/man/man1/mugai-milter.1.gz ./usr/share/bash-completion/completions/mugai \
    ./usr/share/doc/mugai/README.ja.md ./usr/share/doc/mugai/configuration.md; do
    check "package contains $path" grep -q " $path\$" "$WORK/contents"
done
dpkg-deb -e "$deb" "$WORK/control"
check "conffiles lists /etc/mugai/mugai.toml" grep -qx /etc/mugai/mugai.toml "$WORK/control/conffiles"

# --- install -----------------------------------------------------------------
t0=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
if apt-get install -y -q "$deb" >"$WORK/install.log" 2>&1 || dpkg -i "$deb" >>"$WORK/install.log" 2>&1; then
    INSTALLED=1
    pass "install ($(($(date +%s) - t0)) s)"
else
    fail "install" "$(tail -5 "$WORK/install.log" | tr '\n' ' ')"
    summary
    exit 1
fi

check "mugai --version is $version" bash -c "/usr/bin/mugai --version | grep -qx 'mugai $version'"
check "man page mugai(1)" bash -c "zcat /usr/share/man/man1/mugai.1.gz | grep -q '^\.TH mugai 1'"
check "man pages for every subcommand" bash -c 'for c in sanitize batch milter quarantine quarantine-release; do test -s /usr/share/man/man1/mugai-$c.1.gz || { echo missing $c; exit 1; }; done'
if command -v man >/dev/null; then
    check "man -w mugai-milter" man -w mugai-milter
fi
check "bash completion" grep -q mugai /usr/share/bash-completion/completions/mugai
check "config /etc/mugai/mugai.toml readable by mugai, not by others" \
    bash -c '[ "$(stat -c %U:%G:%a /etc/mugai/mugai.toml)" = root:mugai:640 ]'
check "user mugai is a system user without a shell" \
    bash -c 'IFS=: read -r _ _ uid _ _ home shell < <(getent passwd mugai); [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/mugai ] && [ "$shell" = /usr/sbin/nologin ]'
check "quarantine directory owned by mugai, 0750" \
    bash -c '[ "$(stat -c %U:%G:%a /var/lib/mugai/quarantine)" = mugai:mugai:750 ]'
check "installed config passes milter --check as mugai" \
    runuser -u mugai -- /usr/bin/mugai milter --check --config /etc/mugai/mugai.toml
check "installed binary sanitises the sample as mugai" bash -c \
    "runuser -u mugai -- /usr/bin/mugai sanitize --config /etc/mugai/mugai.toml < testdata/mails/01-sample-ja-html-attachments.eml | grep -q '^X-Mugai-Sanitized: .*attachments-removed=2'"
if command -v systemd-analyze >/dev/null && [ -d /run/systemd/system ]; then
    check "systemd-analyze verify mugai-milter.service" systemd-analyze verify /lib/systemd/system/mugai-milter.service
fi

# --- the milter unit's command ---------------------------------------------------
unit=/lib/systemd/system/mugai-milter.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit" | head -n 1)
unit_user=$(sed -n 's/^User=//p' "$unit" | head -n 1)
unit_group=$(sed -n 's/^Group=//p' "$unit" | head -n 1)
listen=$(sed -n 's/.*--listen inet:\([0-9.]*:[0-9]*\).*/\1/p' <<<"$exec_start")
host=${listen%:*}
port=${listen##*:}
if [ -z "$exec_start" ] || [ -z "$unit_user" ] || [ -z "$port" ]; then
    fail "parse $unit" "ExecStart=$exec_start User=$unit_user"
    summary
    exit 1
fi
if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
    # Someone else (a developer's milter) listens there: use a free port, same command line.
    free=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    log "port $port is busy; running the unit's command on port $free instead"
    exec_start=${exec_start//:$port/:$free}
    port=$free
fi
log "running as $unit_user:$unit_group: $exec_start"
# The unit's Environment= lines, then its ExecStart, under the unit's user and group.
envs=()
while IFS= read -r e; do envs+=("$e"); done < <(sed -n 's/^Environment=//p' "$unit")
read -r -a argv <<<"$exec_start"
setpriv --reuid="$unit_user" --regid="$unit_group" --init-groups --no-new-privs \
    env "${envs[@]}" "${argv[@]}" 2>"$WORK/milter.log" &
MILTER_PID=$!
up=0
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then up=1; break; fi
    kill -0 "$MILTER_PID" 2>/dev/null || break
    sleep 0.1
done
if [ "$up" = 1 ]; then pass "milter unit command listens on $host:$port"; else
    fail "milter unit command listens on $host:$port" "$(tail -3 "$WORK/milter.log" | tr '\n' ' ')"
fi
check "milter runs as $unit_user" bash -c "[ \"\$(ps -o user= -p $MILTER_PID)\" = '$unit_user' ]"
check "milter answers an option negotiation" python3 - "$host" "$port" <<'EOF'
import socket, struct, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(struct.pack(">IcIII", 13, b"O", 6, 0x1FF, 0x1FFFFF))
head = s.recv(5)
assert len(head) == 5 and head[4:5] == b"O", head
print("optneg reply", struct.unpack(">I", head[:4])[0], "bytes")
EOF
check "milter logs JSON lines" bash -c "head -n 1 '$WORK/milter.log' | python3 -c 'import json,sys; json.loads(sys.stdin.readline())'"
kill -TERM "$MILTER_PID" 2>/dev/null
rc=""
for _ in $(seq 1 100); do
    if ! kill -0 "$MILTER_PID" 2>/dev/null; then
        wait "$MILTER_PID"
        rc=$?
        break
    fi
    sleep 0.1
done
if [ "$rc" = 0 ]; then pass "milter stops cleanly on SIGTERM"; else
    fail "milter stops cleanly on SIGTERM" "exit status ${rc:-still running after 10 s}"
fi
MILTER_PID=""

# --- removal -------------------------------------------------------------------
if [ "${DEB_KEEP:-0}" = 1 ]; then
    log "DEB_KEEP=1: leaving the package installed"
else
    check "dpkg --remove" dpkg --remove mugai
    check "binary gone, conffile kept after remove" bash -c '[ ! -e /usr/bin/mugai ] && [ -f /etc/mugai/mugai.toml ]'
    check "dpkg --purge" dpkg --purge mugai
    check "conffile gone after purge, quarantine kept" bash -c '[ ! -e /etc/mugai/mugai.toml ] && [ -d /var/lib/mugai/quarantine ]'
    INSTALLED=0
    # Leave the machine as we found it: the package keeps its user and data on purge.
    if [ "$had_user" = 0 ]; then
        rm -rf /var/lib/mugai
        userdel mugai 2>/dev/null || true
        groupdel mugai 2>/dev/null || true
    fi
fi

summary
[ "$FAIL" = 0 ]
