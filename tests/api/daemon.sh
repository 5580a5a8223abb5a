# A throwaway nubis daemon for a test run: sourced by tests/api/run.sh and
# tests/e2e/run.sh (bash).
#
#   daemon_start          fresh state dir, database, free port, bootstrap,
#                         serve; sets STATE LISTEN URL PASSWORD PID LOG
#   daemon_stop_check     SIGTERM; returns non-zero (after printing why and
#                         the log) if the daemon died, exited badly, or
#                         logged a sanitizer report or a BUG line
#   daemon_cleanup        kills what is left, drops the database, removes
#                         the state dir unless KEEP=1 (install as EXIT trap)
#
# Environment: NUBIS (default build/nubis), NUBIS_DB=sqlite|postgresql,
# NUBIS_PG_URI (libpq URI of a server where a database or schema may be
# created), NUBIS_KEEP=1 to keep the state directory.

PY=/usr/bin/python3
NUBIS=${NUBIS:-build/nubis}
NUBIS_DB=${NUBIS_DB:-sqlite}
case "$NUBIS" in /*) ;; *) NUBIS="$ROOT/$NUBIS" ;; esac
KEEP=${NUBIS_KEEP:-0}
STATE=""
LOG=""
PID=""
PGDB=""
PGSCHEMA=""

log() { echo "$(basename "$0"): $*" >&2; }

daemon_cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$PID" 2>/dev/null
    fi
    if [ -n "$PGDB" ]; then
        psql "$NUBIS_PG_URI" -qAt -c "DROP DATABASE IF EXISTS \"$PGDB\" WITH (FORCE)" \
            >/dev/null 2>&1 || log "could not drop database $PGDB"
    fi
    if [ -n "$PGSCHEMA" ]; then
        psql "$NUBIS_PG_URI" -qAt -c "DROP SCHEMA IF EXISTS \"$PGSCHEMA\" CASCADE" \
            >/dev/null 2>&1 || log "could not drop schema $PGSCHEMA"
    fi
    if [ -n "$STATE" ] && [ "$KEEP" != 1 ]; then
        rm -rf "$STATE"
    fi
}

# Prints why, the log tail, and the summary line of a run that could not start.
daemon_fail_setup() {
    log "$*"
    if [ -n "$LOG" ] && [ -f "$LOG" ]; then
        echo "---- daemon log ($LOG)"
        tail -n 60 "$LOG"
        echo "----"
    fi
    KEEP=1
    [ -n "$STATE" ] && log "state kept in $STATE"
    echo "0 passed, 1 failed"
    exit 1
}

_daemon_database() {
    local name conn
    case "$NUBIS_DB" in
    sqlite) return 0 ;;
    postgresql) ;;
    *) daemon_fail_setup "NUBIS_DB must be sqlite or postgresql, not $NUBIS_DB" ;;
    esac
    [ -n "${NUBIS_PG_URI:-}" ] || daemon_fail_setup "NUBIS_DB=postgresql needs NUBIS_PG_URI"
    command -v psql >/dev/null || daemon_fail_setup "psql is needed with NUBIS_DB=postgresql"
    name="nubis_t_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    if psql "$NUBIS_PG_URI" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$name\"" \
            >/dev/null 2>"$STATE/psql.err"; then
        PGDB=$name
        conn=$("$PY" - "$NUBIS_PG_URI" "$name" <<'EOF'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
print(u.urlunsplit((p.scheme, p.netloc, "/" + sys.argv[2], p.query, p.fragment)))
EOF
)
    elif psql "$NUBIS_PG_URI" -qAt -v ON_ERROR_STOP=1 -c "CREATE SCHEMA \"$name\"" \
            >/dev/null 2>>"$STATE/psql.err"; then
        PGSCHEMA=$name
        conn=$("$PY" - "$NUBIS_PG_URI" "$name" <<'EOF'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
q = u.parse_qsl(p.query) + [("options", "-csearch_path=" + sys.argv[2])]
print(u.urlunsplit((p.scheme, p.netloc, p.path, u.urlencode(q), p.fragment)))
EOF
)
    else
        daemon_fail_setup "cannot create a database or schema on $NUBIS_PG_URI: $(cat "$STATE/psql.err")"
    fi
    printf '[database]\nconnection = %s\n' "$conn" > "$STATE/nubis.conf"
}

_free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_listeners() {   # listening sockets on port $1
    ss -Hltn "sport = :$1" 2>/dev/null | wc -l
}

daemon_start() {
    local prefix=${1:-nubis-test} port attempt
    [ -x "$NUBIS" ] || { STATE=""; daemon_fail_setup "$NUBIS is not built (ninja -C build)"; }
    STATE=$(mktemp -d "/tmp/$prefix.XXXXXX")
    LOG="$STATE/daemon.log"
    PASSWORD="adm-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    _daemon_database
    # the network service manages no host devices in API runs (a data
    # plane test sets NUBIS_DATAPLANE=linuxbridge)
    printf '[network]\ndataplane_driver = %s\n' "${NUBIS_DATAPLANE:-none}" >>"$STATE/nubis.conf"
    # and boots no real guests (the vm suite sets NUBIS_VIRT=libvirt)
    printf '[compute]\nvirt_driver = %s\n' "${NUBIS_VIRT:-fake}" >>"$STATE/nubis.conf"
    # the daemon binds with SO_REUSEPORT, so a port in use would not make it
    # fail: check that it is alone on its port
    for attempt in 1 2 3 4 5; do
        port=$(_free_port)
        [ "$(_listeners "$port")" = 0 ] || continue
        LISTEN="127.0.0.1:$port"
        URL="http://$LISTEN"
        # bootstrap names the port in the catalog (idempotent on a retry)
        "$NUBIS" bootstrap --state-dir "$STATE" --listen "$LISTEN" \
            --admin-password "$PASSWORD" >>"$STATE/bootstrap.log" 2>&1 ||
            { cat "$STATE/bootstrap.log" >&2; daemon_fail_setup "bootstrap failed"; }
        "$NUBIS" serve --state-dir "$STATE" --listen "$LISTEN" >>"$LOG" 2>&1 &
        PID=$!
        for _ in $(seq 100); do
            kill -0 "$PID" 2>/dev/null || break
            curl -s -o /dev/null "$URL/identity/v3" && break
            sleep 0.1
        done
        kill -0 "$PID" 2>/dev/null || daemon_fail_setup "the daemon did not start"
        [ "$(_listeners "$port")" = 1 ] && return 0
        log "port $port is shared with another process; trying another"
        kill -TERM "$PID"
        wait "$PID" 2>/dev/null
        PID=""
    done
    daemon_fail_setup "no free port found"
}

daemon_stop_check() {
    local ok=1 rc pat
    if ! kill -0 "$PID" 2>/dev/null; then
        wait "$PID"
        log "the daemon died during the run (exit status $?)"
        ok=0
    else
        kill -TERM "$PID"
        for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$PID" 2>/dev/null; then
            log "the daemon did not stop within 10 s of SIGTERM"
            kill -KILL "$PID"
            ok=0
        fi
        wait "$PID"
        rc=$?
        if [ "$rc" != 0 ]; then
            log "the daemon exited with status $rc on SIGTERM"
            ok=0
        fi
    fi
    PID=""
    pat="ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|BUG:"
    if grep -qE "$pat" "$LOG" "$STATE"/side-*.log 2>/dev/null; then
        log "a daemon log has a sanitizer report or a BUG line"
        grep -nE -A20 "$pat" "$LOG" "$STATE"/side-*.log 2>/dev/null | head -80
        ok=0
    fi
    if [ "$ok" = 0 ]; then
        echo "---- daemon log ($LOG), last 80 lines"
        tail -n 80 "$LOG"
        echo "----"
        return 1
    fi
    return 0
}

# suite_finish OUT WHAT: reads the "N passed, M failed" last line of OUT
# (a failure when missing: WHAT did not finish), checks the daemon stopped
# cleanly, prints the suite's own last line and returns non-zero on any
# failure.
suite_finish() {
    local out=$1 what=$2 last passed failed
    last=$(tail -n 1 "$out")
    if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        passed=${BASH_REMATCH[1]}
        failed=${BASH_REMATCH[2]}
    else
        passed=0
        failed=1
        log "$what did not finish"
    fi
    daemon_stop_check || failed=$((failed + 1))
    [ "$failed" = 0 ] || KEEP=1
    [ "$KEEP" = 1 ] && log "state kept in $STATE"
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
}
