#!/bin/bash
# The network benchmark: starts a fresh daemon (temp state dir, free port,
# bootstrap; tests/api/daemon.sh), and prints one table:
#   - port create rate (ports/s, and p50/p99 per create) with every port
#     bound to the daemon's host (binding:host_id = [DEFAULT] host), so the
#     configured data plane driver gets each of them;
#   - GET /v2.0/ports latency (p50/p99) with 10,000 ports in the database:
#     the whole list, a page (limit=100), and one port by device_id filter.
#
#   bench/network.sh            from anywhere, after building (make)
#
# Environment:
#   NUBIS                  the executable (default build/nubis)
#   NUBIS_DATAPLANE        [network] dataplane_driver of the daemon (default
#                          none; linuxbridge needs root and the driver)
#   NUBIS_DB, NUBIS_PG_URI as for tests/api/run.sh (default sqlite)
#   BENCH_PORTS            ports created for the rate (default 2000)
#   BENCH_CLIENTS          concurrent clients for the creates (default 16)
#   BENCH_TOTAL            ports in the database for the GETs (default 10000)
#   BENCH_GETS             requests per GET row (default 50)
#   BENCH_KEEP=1           keep the state directory (kept anyway on failure)
# Exit status: 0 when every request got its expected status and the daemon
# stopped cleanly; 1 otherwise.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
. "$ROOT/tests/api/daemon.sh"
export NUBIS_DATAPLANE=${NUBIS_DATAPLANE:-none}
trap daemon_cleanup EXIT
trap 'exit 130' INT TERM

daemon_start nubis-bench-net
OUT="$STATE/bench.out"
NUBIS_URL="$URL" NUBIS_ADMIN_PASSWORD="$PASSWORD" NUBIS_STATE_DIR="$STATE" \
    "$PY" "$ROOT/bench/network.py" | tee "$OUT"
rc=${PIPESTATUS[0]}
daemon_stop_check || rc=1
[ "$rc" = 0 ] || { KEEP=1; log "state kept in $STATE"; }
exit "$rc"
