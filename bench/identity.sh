#!/bin/bash
# The identity benchmark: starts a fresh daemon (temp state dir, free port),
# bootstraps it, loads it with wrk and prints one table (requests/s, p50 and
# p99 latency per operation and number of concurrent clients), then the
# daemon's resident memory idle and after the run.
#
#   bench/identity.sh     from anywhere, after building (make, or ninja -C build)
#
# It builds nothing.  Environment:
#   NUBIS                the executable (default build/nubis, relative to the
#                        repo root)
#   BENCH_DURATION       wrk duration of each cell (default 5s)
#   BENCH_CLIENTS        concurrent clients (wrk -c) per operation (default
#                        "1 16 64"); wrk -t is min(clients, 2)
#   BENCH_REVOCATIONS    revocation events created before the last row
#                        (default 10000; 0 skips that row)
#   BENCH_REVOKE_CLIENTS connections used to create them (default 8)
#   BENCH_REVOKE_LIMIT   give up issuing or revoking them after this long
#                        (default 300s)
#   BENCH_TIMEOUT        wrk --timeout: slower answers count as socket
#                        errors (default 10s)
#   BENCH_STRICT         1 (default): check the exact status of every
#                        response in Lua (200 or 201); 0: only wrk's own
#                        count of statuses >= 400 (the check costs wrk a
#                        little CPU, which it shares with the daemon)
#   BENCH_KEEP=1         keep the state directory, daemon log and wrk output
#                        (kept anyway on failure)
#
# Exit status: 0 when every cell ran without a bad status or socket error
# and the daemon logged no ERROR;
# 1 when the setup failed, the daemon died (the table is not printed) or did
# not stop cleanly on SIGTERM (after the table); 2 when some cell had errors
# (see its columns) or the daemon logged errors (counted under the table).
#
# wrk runs on the same machine as the daemon and takes its share of the
# CPUs: the "srv CPU" column is the daemon's CPU time over the cell's wall
# time (200% = both cores of a 2-core machine), "wrk CPU" the same for wrk,
# "host CPU" for the whole machine: daemon, wrk and whatever else runs (a
# busy neighbour skews the numbers; the run warns when the machine is busy
# before it starts).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
NUBIS=${NUBIS:-build/nubis}
case "$NUBIS" in /*) ;; *) NUBIS="$ROOT/$NUBIS" ;; esac
DURATION=${BENCH_DURATION:-5s}
CLIENTS=${BENCH_CLIENTS:-"1 16 64"}
REVOCATIONS=${BENCH_REVOCATIONS:-10000}
REVOKE_CLIENTS=${BENCH_REVOKE_CLIENTS:-8}
TIMEOUT=${BENCH_TIMEOUT:-10s}
STRICT=${BENCH_STRICT:-1}
KEEP=${BENCH_KEEP:-0}

log() { echo "bench: $*" >&2; }

if [ ! -x "$NUBIS" ]; then
    log "$NUBIS is not built: run make (or meson setup build --buildtype=release && ninja -C build) first"
    exit 1
fi
for tool in wrk curl ss awk; do
    command -v "$tool" >/dev/null || { log "$tool is missing (apt-get install -y $tool)"; exit 1; }
done

STATE=$(mktemp -d /tmp/nubis-bench.XXXXXX)
# this bench needs no data plane: leave the host's network alone
printf '[network]\ndataplane_driver = none\n[compute]\nvirt_driver = fake\n' >"$STATE/nubis.conf"
# a copy, so that a rebuild during the run cannot swap the binary
BUILT=$(date -r "$NUBIS" '+%Y-%m-%d %H:%M:%S')
cp "$NUBIS" "$STATE/nubis" || { rm -rf "$STATE"; log "cannot copy $NUBIS"; exit 1; }
BIN="$STATE/nubis"
LOG="$STATE/daemon.log"
OUT="$STATE/out"
mkdir -p "$OUT"
PID=""
PASSWORD="bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
ROWS="$STATE/rows"
: > "$ROWS"
TABLE_PRINTED=0
HZ=$(getconf CLK_TCK)

cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$PID" 2>/dev/null
    fi
    if [ "$KEEP" = 1 ]; then
        log "state, daemon log and wrk output kept in $STATE"
    else
        rm -rf "$STATE"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    if [ -s "$ROWS" ] && [ "$TABLE_PRINTED" = 0 ]; then
        echo "INCOMPLETE RUN: $*"
        print_table
    fi
    echo "FAILED: $*"
    log "$*"
    [ -s "$LOG" ] && { echo "---- daemon log ($LOG), last 40 lines" >&2; tail -n 40 "$LOG" >&2; echo "----" >&2; }
    KEEP=1
    exit 1
}

daemon_alive() {
    kill -0 "$PID" 2>/dev/null && return 0
    wait "$PID"
    fail "the daemon died (exit status $?)"
}

# alive and answering a trivial request within 10 s
daemon_answers() {
    local code
    daemon_alive
    code=$(curl -s -o /dev/null -m 10 -w '%{http_code}' "$URL/identity/v3")
    [ "$code" = 200 ] || fail "the daemon is running but does not answer (GET /identity/v3: ${code:-no answer} within 10 s)"
}

rss_mib() {   # $1 = VmRSS or VmHWM
    awk -v k="$1:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$PID/status"
}

cpu_ticks() {   # utime + stime of the daemon
    sed 's/.*) //' "/proc/$PID/stat" | awk '{ print $12 + $13 }'
}

child_ticks() {   # CPU of this script's finished children (wrk among them)
    sed 's/.*) //' "/proc/$$/stat" | awk '{ print $14 + $15 }'
}

host_ticks() {   # busy ticks of the whole machine, all CPUs
    awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# Waits (at most 10 s) until the daemon has finished what the last load left
# queued (e.g. password hashes): 0.2 s without using more than 1 tick of CPU.
settle() {
    local a b
    for _ in $(seq 50); do
        a=$(cpu_ticks); sleep 0.2; b=$(cpu_ticks)
        [ $((b - a)) -le 1 ] && return 0
    done
    log "the daemon is still busy 10 s after the last load"
}

# ---- a fresh daemon alone on a free port (it binds with SO_REUSEPORT, so a
# port in use would not make it fail: check that it is the only listener)
listeners() { ss -Hltn "sport = :$1" 2>/dev/null | wc -l; }

started=0
for attempt in 1 2 3 4 5; do
    PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
    [ "$(listeners "$PORT")" = 0 ] || continue
    LISTEN="127.0.0.1:$PORT"
    # the catalog names the port: bootstrap (idempotent) for this one
    "$BIN" bootstrap --state-dir "$STATE" --listen "$LISTEN" \
        --admin-password "$PASSWORD" >>"$STATE/bootstrap.log" 2>&1 ||
        { cat "$STATE/bootstrap.log" >&2; fail "bootstrap failed"; }
    "$BIN" serve --state-dir "$STATE" --listen "$LISTEN" >>"$LOG" 2>&1 &
    PID=$!
    for _ in $(seq 100); do
        kill -0 "$PID" 2>/dev/null || break
        curl -s -o /dev/null "http://$LISTEN/identity/v3" && break
        sleep 0.1
    done
    daemon_alive
    if [ "$(listeners "$PORT")" = 1 ]; then
        started=1
        break
    fi
    log "port $PORT is shared with another process; trying another"
    kill -TERM "$PID"; wait "$PID" 2>/dev/null; PID=""
done
[ "$started" = 1 ] || fail "no free port found"
URL="http://$LISTEN"
# what the rest of the machine uses while the daemon idles: the cells share
# the CPUs with it
h0=$(host_ticks); t0=$(date +%s%N); sleep 1; h1=$(host_ticks); t1=$(date +%s%N)
BUSY=$(awk -v h=$((h1 - h0)) -v hz="$HZ" -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", 100 * h / hz / (t / 1e9) }')
[ "$BUSY" -le 10 ] || log "warning: the machine is already ${BUSY}% busy (out of $(($(nproc) * 100))%) before the load: the numbers will be low"
RSS_IDLE=$(rss_mib VmRSS)
log "daemon $PID on $URL, state in $STATE, idle RSS $RSS_IDLE MiB"

# ---- tokens and the requests of the table
PW_BODY='{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"'"$PASSWORD"'"}}},"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}'

issue_password() {   # sets TOKEN, or fails
    local hdr="$STATE/issue.hdr" code
    code=$(curl -s -D "$hdr" -o "$STATE/issue.body" -w '%{http_code}' \
        -H 'Content-Type: application/json' -d "$PW_BODY" "$URL/identity/v3/auth/tokens")
    [ "$code" = 201 ] || fail "password authentication answered $code: $(head -c 300 "$STATE/issue.body")"
    TOKEN=$(awk 'tolower($1) == "x-subject-token:" { sub(/\r$/, "", $2); print $2 }' "$hdr")
    [ -n "$TOKEN" ] || fail "no X-Subject-Token in the 201"
}

issue_password; ADMIN_TOKEN=$TOKEN
issue_password; SUBJECT_TOKEN=$TOKEN

# one request of each kind, by hand, must give the right answer
status_of() {   # curl arguments...; prints the status
    curl -s -o "$STATE/check.body" -w '%{http_code}' "$@"
}
check() {   # expected, what, curl arguments...
    local want=$1 what=$2 got
    shift 2
    got=$(status_of "$@")
    [ "$got" = "$want" ] || fail "$what answered $got, not $want: $(head -c 300 "$STATE/check.body")"
}
check 201 "token issue" -H 'Content-Type: application/json' -d "$PW_BODY" "$URL/identity/v3/auth/tokens"
check 200 "token validate" -H "X-Auth-Token: $ADMIN_TOKEN" -H "X-Subject-Token: $SUBJECT_TOKEN" \
    "$URL/identity/v3/auth/tokens"
grep -q '"token"' "$STATE/check.body" || fail "token validate did not return a token"
check 200 "project list" -H "X-Auth-Token: $ADMIN_TOKEN" "$URL/identity/v3/projects"
grep -q '"projects"' "$STATE/check.body" || fail "project list did not return projects"
check 401 "token validate with a bogus token" -H "X-Auth-Token: bogus" \
    -H "X-Subject-Token: $SUBJECT_TOKEN" "$URL/identity/v3/auth/tokens"

# The table of the cells run so far; status 2 when some had errors.
print_table() {
    awk -F'|' -v dur="$DURATION" -v strict="$STRICT" -v ncpu="$(nproc)" '
    function lat(us) {
        if (us < 1000) return sprintf("%d us", us)
        if (us < 1e6) return sprintf("%.2f ms", us / 1000)
        return sprintf("%.2f s", us / 1e6)
    }
    BEGIN {
        fmt = "%-34s %7s %10s %10s %10s %9s %4s %7s %7s %7s %8s\n"
        printf fmt, "operation", "clients", "requests/s", "p50", "p99", "requests", "bad", "sockerr", "srv CPU", "wrk CPU", "host CPU"
        for (i = 0; i < 126; i++) line = line "-"
        print line
    }
    {
        split($3, r, " ")   # RESULT req secs p50 p99 status connect read write timeout wrong
        bad = strict == "1" ? r[11] : r[6]
        sock = r[7] + r[8] + r[9] + r[10]
        none = r[2] == 0    # no answer at all in the whole cell
        printf fmt, $1, $2, sprintf("%.0f", r[2] / r[3]), none ? "-" : lat(r[4]), none ? "-" : lat(r[5]), \
            none ? "0 (!)" : r[2], bad, sock, $4 "%", $5 "%", $6 "%"
        errors += bad + sock + none
        if ($1 == "token validate" && $2 == 64) { v64 = r[2] / r[3]; v64err = bad + sock + none }
    }
    END {
        printf "\n%s per cell, wrk -t min(clients, 2) on the same machine; bad = responses with status >= 400%s;\n", \
            dur, strict == "1" ? " or other than the expected 200/201" : " (counted by wrk)"
        printf "sockerr = connect/read/write errors and timeouts; srv/wrk/host CPU = CPU time of the daemon,\n"
        printf "of wrk, of the whole machine (daemon + wrk + anything else) over wall time, out of %d%%.\n", ncpu * 100
        if (v64 != "") printf "target: token validate at 64 clients >= 10000 requests/s: %.0f, %s\n", \
            v64, (v64 >= 10000 && v64err == 0 ? "met" : "NOT met")
        exit errors > 0 ? 2 : 0
    }' "$ROWS"
}

# ---- one cell: label, clients, expected status, then BENCH_* variables
cell() {
    local label=$1 clients=$2 expect=$3 threads c0 c1 h0 h1 w0 w1 t0 t1 res out
    shift 3
    out="$OUT/cell.$(wc -l < "$ROWS")"
    threads=$((clients < 2 ? clients : 2))
    settle
    log "$label, $clients client(s), $DURATION"
    c0=$(cpu_ticks)
    h0=$(host_ticks)
    w0=$(child_ticks)
    t0=$(date +%s%N)
    env "$@" BENCH_EXPECT="$expect" BENCH_STRICT="$STRICT" \
        wrk -t"$threads" -c"$clients" -d"$DURATION" --timeout "$TIMEOUT" --latency \
        -s "$BENCH/cell.lua" "$URL" >"$out" 2>&1
    t1=$(date +%s%N)
    daemon_alive
    c1=$(cpu_ticks)
    h1=$(host_ticks)
    w1=$(child_ticks)
    res=$(awk '$1 == "RESULT"' "$out")
    [ -n "$res" ] || { cat "$out" >&2; fail "wrk failed for $label"; }
    # label|clients|RESULT fields...|daemon CPU %|wrk CPU %|host CPU %
    echo "$label|$clients|$res|$(awk -v c=$((c1 - c0)) -v w=$((w1 - w0)) -v h=$((h1 - h0)) \
        -v hz="$HZ" -v t=$((t1 - t0)) 'BEGIN { s = 100 / hz / (t / 1e9)
        printf "%.0f|%.0f|%.0f", c * s, w * s, h * s }')" >> "$ROWS"
    daemon_answers
}

TOK=/identity/v3/auth/tokens
for c in $CLIENTS; do
    cell "token issue (password)" "$c" 201 \
        BENCH_METHOD=POST BENCH_PATH=$TOK BENCH_BODY="$PW_BODY"
done
for c in $CLIENTS; do
    cell "token validate" "$c" 200 \
        BENCH_PATH=$TOK BENCH_AUTH="$ADMIN_TOKEN" BENCH_SUBJECT="$SUBJECT_TOKEN"
done
for c in $CLIENTS; do
    cell "GET /v3/projects" "$c" 200 \
        BENCH_PATH=/identity/v3/projects BENCH_AUTH="$ADMIN_TOKEN"
done

# ---- revocation events: tokens made with the token method from one
# password token (no argon2 per token), each revoked by DELETE auth/tokens
REVOKE_NOTE=""
if [ "$REVOCATIONS" -gt 0 ]; then
    issue_password; SEED=$TOKEN
    LIMIT=${BENCH_REVOKE_LIMIT:-300s}
    settle
    log "issuing $REVOCATIONS tokens with the token method"
    t0=$(date +%s%N)
    BENCH_AUTH="$SEED" BENCH_COUNT="$REVOCATIONS" BENCH_OUT="$STATE/revoke.ids" \
        wrk -t1 -c"$REVOKE_CLIENTS" -d"$LIMIT" --timeout "$TIMEOUT" -s "$BENCH/issue.lua" "$URL" \
        >"$OUT/issue" 2>&1
    t1=$(date +%s%N)
    daemon_alive
    read -r _ issued issue_bad < <(awk '$1 == "ISSUED"' "$OUT/issue") || true
    [ "${issued:-0}" -ge "$REVOCATIONS" ] && [ "${issue_bad:-1}" = 0 ] ||
        { cat "$OUT/issue" >&2; fail "token-method issue: ${issued:-?} issued, ${issue_bad:-?} bad answers"; }
    issue_ns=$((t1 - t0))

    settle
    log "revoking them"
    t0=$(date +%s%N)
    BENCH_AUTH="$ADMIN_TOKEN" BENCH_IN="$STATE/revoke.ids" \
        wrk -t1 -c"$REVOKE_CLIENTS" -d"$LIMIT" --timeout "$TIMEOUT" -s "$BENCH/revoke.lua" "$URL" \
        >"$OUT/revoke" 2>&1
    t1=$(date +%s%N)
    daemon_alive
    read -r _ revoked revoke_bad < <(awk '$1 == "REVOKED"' "$OUT/revoke") || true
    [ "${revoked:-0}" -ge "$REVOCATIONS" ] && [ "${revoke_bad:-1}" = 0 ] ||
        { cat "$OUT/revoke" >&2; fail "revocation: ${revoked:-?} revoked, ${revoke_bad:-?} bad answers"; }
    revoke_ns=$((t1 - t0))

    # the revocations took: a revoked token is gone, the others still stand
    check 404 "validating a revoked token" -H "X-Auth-Token: $ADMIN_TOKEN" \
        -H "X-Subject-Token: $(tail -n 1 "$STATE/revoke.ids")" "$URL$TOK"
    check 200 "token validate after the revocations" -H "X-Auth-Token: $ADMIN_TOKEN" \
        -H "X-Subject-Token: $SUBJECT_TOKEN" "$URL$TOK"
    events=""
    if command -v sqlite3 >/dev/null && [ -f "$STATE/nubis.db" ]; then
        events=$(sqlite3 "file:$STATE/nubis.db?mode=ro" \
            'SELECT count(*) FROM revocation_events' 2>/dev/null)
    fi
    REVOKE_NOTE=$(awk -v n="$REVOCATIONS" -v ci="$issue_ns" -v cr="$revoke_ns" \
        -v c="$REVOKE_CLIENTS" -v ev="$events" 'BEGIN {
        printf "revocation events: %d tokens issued by the token method in %.2f s (%.0f/s), revoked in %.2f s (%.0f/s), %d connections", \
            n, ci / 1e9, n / (ci / 1e9), cr / 1e9, n / (cr / 1e9), c
        if (ev != "") printf "; %d events in the database", ev
    }')

    cell "token validate, $REVOCATIONS revocations" 64 200 \
        BENCH_PATH=$TOK BENCH_AUTH="$ADMIN_TOKEN" BENCH_SUBJECT="$SUBJECT_TOKEN"
fi

RSS_AFTER=$(rss_mib VmRSS)
RSS_PEAK=$(rss_mib VmHWM)

# ---- stop the daemon: it must still be running and stop cleanly
daemon_alive
STOP_ERR=""
kill -TERM "$PID"
for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PID" 2>/dev/null; then
    kill -KILL "$PID"
    STOP_ERR="the daemon did not stop within 10 s of SIGTERM"
fi
wait "$PID"
rc=$?
PID=""
[ -n "$STOP_ERR" ] || [ "$rc" = 0 ] || STOP_ERR="the daemon exited with status $rc on SIGTERM"

# ---- the table
print_table
table_rc=$?
TABLE_PRINTED=1
[ -n "$REVOKE_NOTE" ] && echo "$REVOKE_NOTE"
echo "machine CPU busy before the load (other processes): $BUSY% of $(($(nproc) * 100))%"
echo "binary: $NUBIS (built $BUILT)"
echo
echo "daemon RSS idle (after bootstrap and start, before load): $RSS_IDLE MiB"
echo "daemon RSS after the run: $RSS_AFTER MiB (peak $RSS_PEAK MiB)"
awk -v r="$RSS_IDLE" 'BEGIN { printf "target: idle RSS <= 16 MiB: %s MiB, %s\n", r, (r <= 16 ? "met" : "NOT met") }'
# what went wrong inside the daemon, even when every answer was right
NERR=$(grep -c ' ERROR ' "$LOG")
NWARN=$(grep -c ' WARNING ' "$LOG")
if [ "$NERR" != 0 ] || [ "$NWARN" != 0 ]; then
    echo
    echo "daemon log: $NERR ERROR and $NWARN WARNING lines; the most frequent:"
    grep -E ' (ERROR|WARNING) ' "$LOG" | sed -E 's/^[^ ]+ [0-9]+ //; s/\[req-[0-9a-f-]+\] //; s/[0-9.]+ms/Nms/' |
        sort | uniq -c | sort -rn | head -n 5
    [ "$NERR" = 0 ] || { [ "$table_rc" != 0 ] || table_rc=2; KEEP=1; }
fi
[ -z "$STOP_ERR" ] || fail "$STOP_ERR"
exit "$table_rc"
