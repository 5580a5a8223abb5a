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
#                          none; linuxbridge needs root and a built dp-apply,
#                          and runs everything in a private namespace)
#   NUBIS_DB, NUBIS_PG_URI as for tests/api/run.sh (default sqlite)
#   BENCH_PORTS            ports created for the rate (default 2000; 1000
#                          with linuxbridge: a Linux bridge takes at most
#                          1024 ports, and all of them are on one network)
#   BENCH_CLIENTS          concurrent clients for the creates (default 16)
#   BENCH_TOTAL            ports in the database for the GETs (default 10000)
#   BENCH_GETS             requests per GET row (default 50)
#   BENCH_KEEP=1           keep the state directory (kept anyway on failure)
# Exit status: 0 when every request got its expected status and the daemon
# stopped cleanly; 1 otherwise.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
export NUBIS_DATAPLANE=${NUBIS_DATAPLANE:-none}

# With the Linux bridge driver (root), the whole run goes into a private
# network namespace: the ports' taps, the bridge and the DHCP server are
# made there, and removed afterwards through the driver itself (an empty
# desired state applied with dp-apply on the daemon's state).
if [ "$NUBIS_DATAPLANE" = linuxbridge ] && [ -z "${NB_BENCH_NS:-}" ]; then
    export NB_BENCH_NS=nbbench-$$
    export BENCH_PORTS=${BENCH_PORTS:-1000}
    for b in build-bench build build-test; do
        [ -x "$ROOT/$b/tests/dataplane/dp-apply" ] &&
            { export DP_APPLY=${DP_APPLY:-$ROOT/$b/tests/dataplane/dp-apply}; break; }
    done
    [ -n "${DP_APPLY:-}" ] || { echo "bench: dp-apply is not built (see bench/run.sh)" >&2; exit 1; }
    ip netns add "$NB_BENCH_NS" || exit 1
    ip -n "$NB_BENCH_NS" link set lo up
    nsenter --net="/run/netns/$NB_BENCH_NS" "$0" "$@"
    rc=$?
    ip netns del "$NB_BENCH_NS"
    exit "$rc"
fi

. "$ROOT/tests/api/daemon.sh"
bench_cleanup() {
    if [ -n "${NB_BENCH_NS:-}" ] && [ -d "${STATE:-}/network" ]; then
        [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
        echo '{}' >"$STATE/empty.json"
        "$DP_APPLY" --state-dir "$STATE/network" "$STATE/empty.json" >/dev/null 2>&1 ||
            echo "bench: the data plane was not emptied (state in $STATE)" >&2
    fi
    daemon_cleanup
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

daemon_start nubis-bench-net
OUT="$STATE/bench.out"
NUBIS_URL="$URL" NUBIS_ADMIN_PASSWORD="$PASSWORD" NUBIS_STATE_DIR="$STATE" \
    "$PY" "$ROOT/bench/network.py" | tee "$OUT"
rc=${PIPESTATUS[0]}
daemon_stop_check || rc=1
[ "$rc" = 0 ] || { KEEP=1; log "state kept in $STATE"; }
exit "$rc"
