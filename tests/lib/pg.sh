#!/usr/bin/env bash
# A throwaway PostgreSQL for tests: Debian's PostgreSQL 15 (initdb +
# pg_ctl), run as the 'postgres' user when we are root (PostgreSQL refuses
# to run as root), in a temp dir, with a private unix socket dir and a free
# TCP port on 127.0.0.1 only, locale C, fsync off.  Stopped and removed on
# exit.
#
# Three ways to use it:
#
#   tests/lib/pg.sh -- CMD [ARGS...]
#       starts a server, runs CMD with the variables below exported, stops
#       the server, and exits with CMD's status.
#
#   tests/lib/pg.sh
#       starts a server, prints its URI, and serves until interrupted.
#
#   . tests/lib/pg.sh            (from bash)
#       defines nb_pg_start / nb_pg_stop / nb_pg_newdb without running
#       anything; call nb_pg_start, and nb_pg_stop from your own EXIT trap.
#
# Exported by nb_pg_start:
#   NUBIS_PG_URI   libpq URI of an empty database "nubis" as role "nubis",
#                  which may create more databases, e.g.
#                  postgresql://nubis@127.0.0.1:PORT/nubis
#   PGHOST PGPORT PGUSER   so psql/createdb reach the server as its superuser
#   NUBIS_PG_DIR   the temp dir (data, socket, log)
#
# nb_pg_newdb [NAME] (or `tests/lib/pg.sh newdb [NAME]` with PGHOST/PGPORT
# set) creates another empty database owned by 'nubis' and prints its URI,
# so each daemon under test can start from scratch.

nb_pg_bindir() {
    local d
    for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    echo "pg.sh: no PostgreSQL server found (apt-get install postgresql-15)" >&2
    return 1
}

# Runs a command as the server's owner: 'postgres' when we are root.
nb_pg_as() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

nb_pg_start() {
    local bin port tries=0
    bin=$(nb_pg_bindir) || return 1
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres || return 1
    fi
    # /tmp explicitly: the postgres user must be able to reach it, which a
    # root TMPDIR may not allow.
    NUBIS_PG_DIR=$(mktemp -d /tmp/nubis-pg.XXXXXX) || return 1
    mkdir -p "$NUBIS_PG_DIR/sock"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$NUBIS_PG_DIR"
    chmod 700 "$NUBIS_PG_DIR"
    if ! nb_pg_as "$bin/initdb" -D "$NUBIS_PG_DIR/data" -U postgres --auth=trust \
            --locale=C --encoding=UTF8 --no-sync >"$NUBIS_PG_DIR/initdb.log" 2>&1; then
        echo "pg.sh: initdb failed:" >&2
        cat "$NUBIS_PG_DIR/initdb.log" >&2
        nb_pg_stop
        return 1
    fi
    # A random port; another process may hold it, so retry on failure.
    while :; do
        port=$((20000 + RANDOM % 30000))
        if nb_pg_as "$bin/pg_ctl" -D "$NUBIS_PG_DIR/data" -l "$NUBIS_PG_DIR/server.log" \
                -w -t 60 -o "-c listen_addresses=127.0.0.1 -c port=$port \
                -c unix_socket_directories=$NUBIS_PG_DIR/sock -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off \
                -c max_connections=300 -c shared_buffers=64MB \
                -c dynamic_shared_memory_type=mmap" \
                start >/dev/null 2>&1; then
            break
        fi
        tries=$((tries + 1))
        if [ "$tries" -ge 5 ]; then
            echo "pg.sh: PostgreSQL did not start:" >&2
            tail -n 20 "$NUBIS_PG_DIR/server.log" >&2
            nb_pg_stop
            return 1
        fi
    done
    export NUBIS_PG_DIR PGHOST="$NUBIS_PG_DIR/sock" PGPORT="$port" PGUSER=postgres
    NB_PG_BIN=$bin
    if ! "$bin/psql" -X -q -v ON_ERROR_STOP=1 -d postgres \
            -c "CREATE ROLE nubis LOGIN CREATEDB" >/dev/null; then
        nb_pg_stop
        return 1
    fi
    NUBIS_PG_URI=$(nb_pg_newdb nubis) || { nb_pg_stop; return 1; }
    export NUBIS_PG_URI
}

# Creates database NAME (default: a unique name) and prints its URI.
nb_pg_newdb() {
    local name=${1:-nubis_$$_${RANDOM}${RANDOM}} bin
    bin=${NB_PG_BIN:-$(nb_pg_bindir)} || return 1
    "$bin/psql" -X -q -v ON_ERROR_STOP=1 -d postgres \
        -c "CREATE DATABASE \"$name\" OWNER nubis TEMPLATE template0" >/dev/null || return 1
    echo "postgresql://nubis@127.0.0.1:${PGPORT}/${name}"
}

nb_pg_stop() {
    local bin
    if [ -n "${NUBIS_PG_DIR:-}" ] && [ -d "$NUBIS_PG_DIR" ]; then
        bin=${NB_PG_BIN:-$(nb_pg_bindir 2>/dev/null)}
        if [ -n "$bin" ] && [ -f "$NUBIS_PG_DIR/data/postmaster.pid" ]; then
            nb_pg_as "$bin/pg_ctl" -D "$NUBIS_PG_DIR/data" -m immediate -w stop \
                >/dev/null 2>&1
        fi
        rm -rf "$NUBIS_PG_DIR"
    fi
    unset NUBIS_PG_DIR NUBIS_PG_URI
}

# Sourced: only the functions.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    return 0
fi

set -u
case "${1:-}" in
--)
    shift
    trap nb_pg_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    nb_pg_start || exit 1
    "$@"
    exit $?
    ;;
newdb)
    [ -n "${PGHOST:-}" ] && [ -n "${PGPORT:-}" ] || {
        echo "pg.sh newdb: PGHOST and PGPORT must name a running server" >&2
        exit 2
    }
    export PGUSER=${PGUSER:-postgres}
    nb_pg_newdb "${2:-}"
    ;;
"")
    trap nb_pg_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    nb_pg_start || exit 1
    echo "$NUBIS_PG_URI"
    echo "pg.sh: PGHOST=$PGHOST PGPORT=$PGPORT; Ctrl-C stops and removes it" >&2
    while :; do
        sleep 3600 &
        wait $!
    done
    ;;
*)
    echo "usage: tests/lib/pg.sh [-- CMD ARGS... | newdb [NAME]]" >&2
    exit 2
    ;;
esac
