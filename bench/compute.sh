#!/bin/bash
# The compute benchmark (fake virt driver): starts a fresh daemon (temp
# state dir, free port, bootstrap; tests/api/daemon.sh) and prints one table:
#   - Rally-style boot-and-delete (POST /servers, poll until ACTIVE, DELETE,
#     poll until gone) of BENCH_SERVERS servers at each concurrency of
#     BENCH_CONCURRENCY: servers/s and p50/p95 create->ACTIVE;
#   - GET /servers/detail (and a page of 100, and /servers) latency with
#     BENCH_TOTAL servers;
#   - the daemon's RSS after.
# Target: >= 200 boot-and-deletes/s at concurrency 16.
#
#   bench/compute.sh            from anywhere, after building (make)
#
# Environment:
#   NUBIS                  the executable (default build/nubis)
#   NUBIS_DB, NUBIS_PG_URI as for tests/api/run.sh (default sqlite)
#   BENCH_SERVERS          boot-and-deletes per concurrency (default 1000)
#   BENCH_CONCURRENCY      concurrent clients, a list (default "1 16 64")
#   BENCH_TOTAL            servers in the database for the GETs (default 10000)
#   BENCH_GETS             requests per GET row (default 20)
#   BENCH_POLL_MS          the longest wait between a client's polls for
#                          every 16 clients (they back off from 2 ms; default 10)
#   BENCH_NETWORK          none (default: servers without ports) or net (one
#                          port each on a network: the port work included)
#   BENCH_KEEP=1           keep the state directory (kept anyway on failure)
# Exit status: 0 when every request got its expected status, every server
# became ACTIVE, and the daemon stopped cleanly; 1 otherwise.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
export NUBIS_DATAPLANE=${NUBIS_DATAPLANE:-none}
export NUBIS_KEEP=${BENCH_KEEP:-0}

. "$ROOT/tests/api/daemon.sh"
trap daemon_cleanup EXIT
trap 'exit 130' INT TERM

daemon_start nubis-bench-cmp
echo "$PID" >"$STATE/daemon.pid"
OUT="$STATE/bench.out"
NUBIS_URL="$URL" NUBIS_ADMIN_PASSWORD="$PASSWORD" NUBIS_PID="$STATE/daemon.pid" \
    "$PY" "$ROOT/bench/compute.py" | tee "$OUT"
rc=${PIPESTATUS[0]}
awk '/^concurrency 16 / { printf "target: >= 200 boot-and-deletes/s at concurrency 16: %s/s, %s\n", $3, ($3 >= 200 ? "met" : "NOT met") }' "$OUT"
daemon_stop_check || rc=1
[ "$rc" = 0 ] || { KEEP=1; log "state kept in $STATE"; }
exit "$rc"
