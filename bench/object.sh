#!/bin/bash
# The object storage benchmark: starts a fresh daemon (temp state dir, free
# port) and prints one table:
#   - 4 KiB PUT, GET and HEAD: requests/s and p50/p99 latency at 1, 16 and
#     64 concurrent clients (wrk with bench/object-put.lua, object-get.lua;
#     ab -i for HEAD, apache2-utils, listed in bench/packages);
#   - 1 GiB PUT and GET in MB/s (curl), next to the raw disk speed of the
#     same state directory measured in the same run: dd write with
#     conv=fsync (what a durable PUT can reach at best) and dd read;
#   - listing latency of a container holding 100,000 objects: the first
#     page (?limit=10000), a page from the middle (marker), a prefix
#     query, a delimiter listing, and a walk of every page.
#
#   bench/object.sh          after building (make, or ninja -C build)
#
# The 100,000 rows are loaded through the API itself: wrk PUTs empty
# objects with 64 concurrent clients (each one a real durable PUT: blob
# fsync + rename + row), so the listing is measured on data made the way
# clients make it.  Environment:
#   NUBIS              the executable (default build/nubis)
#   BENCH_DURATION     wrk duration of each cell (default 5s)
#   BENCH_CLIENTS      clients per operation (default "1 16 64")
#   BENCH_BIG_MB       size of the big object in MiB (default 1024)
#   BENCH_LIST_OBJECTS objects in the listing container (default 100000)
#   BENCH_KEEP=1       keep the state directory
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
NUBIS=${NUBIS:-build/nubis}
case "$NUBIS" in /*) ;; *) NUBIS="$ROOT/$NUBIS" ;; esac
DURATION=${BENCH_DURATION:-5s}
CLIENTS=${BENCH_CLIENTS:-"1 16 64"}
BIG_MB=${BENCH_BIG_MB:-1024}
LIST_N=${BENCH_LIST_OBJECTS:-100000}
KEEP=${BENCH_KEEP:-0}

log() { echo "bench: $*" >&2; }
[ -x "$NUBIS" ] || { log "$NUBIS is not built: run make first"; exit 1; }
for tool in wrk ab curl dd awk; do
    command -v "$tool" >/dev/null || { log "$tool is missing"; exit 1; }
done

STATE=$(mktemp -d /tmp/nubis-objbench.XXXXXX)
# this bench needs no data plane: leave the host's network alone
printf '[network]\ndataplane_driver = none\n[compute]\nvirt_driver = fake\n' >"$STATE/nubis.conf"
cp "$NUBIS" "$STATE/nubis"
LOG="$STATE/daemon.log"
PID=""
cleanup() {
    [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    if [ "$KEEP" = 1 ]; then log "kept $STATE"; else rm -rf "$STATE"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
"$STATE/nubis" bootstrap --admin-password bench --state-dir "$STATE" \
    --listen "127.0.0.1:$PORT" >"$STATE/bootstrap.log" 2>&1 || { log "bootstrap failed"; exit 1; }
"$STATE/nubis" serve --state-dir "$STATE" --listen "127.0.0.1:$PORT" >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "$URL/object/healthcheck" && break; sleep 0.1; done

resp=$(curl -s -D - -o "$STATE/token.json" -H 'Content-Type: application/json' \
    -d '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"bench"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}' \
    "$URL/identity/v3/auth/tokens")
TOKEN=$(echo "$resp" | awk 'tolower($1)=="x-subject-token:"{print $2}' | tr -d '\r')
PROJECT=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"]["project"]["id"])' "$STATE/token.json")
ACCT="/object/v1/AUTH_$PROJECT"
curl -sf -X PUT -H "X-Auth-Token: $TOKEN" "$URL$ACCT/small" -o /dev/null || { log "cannot create a container"; exit 1; }
curl -sf -X PUT -H "X-Auth-Token: $TOKEN" "$URL$ACCT/big" -o /dev/null
curl -sf -X PUT -H "X-Auth-Token: $TOKEN" "$URL$ACCT/list" -o /dev/null

ROWS=()
row() { ROWS+=("$(printf '%-28s %8s %12s %10s %10s' "$@")"); }

# wrk_cell NAME CLIENTS SCRIPT [env...]: one wrk run; adds a table row
wrk_cell() {
    local name=$1 c=$2 script=$3 out t
    shift 3
    t=$((c < 2 ? c : 2))
    out=$(env BENCH_AUTH="$TOKEN" "$@" wrk -t "$t" -c "$c" -d "$DURATION" --latency \
        -s "$BENCH/$script" "$URL" 2>&1)
    echo "$out" >>"$STATE/wrk.out"
    local rps p50 p99 bad
    rps=$(echo "$out" | awk '/Requests\/sec/{printf "%.0f", $2}')
    p50=$(echo "$out" | awk '$1=="50%"{print $2}')
    p99=$(echo "$out" | awk '$1=="99%"{print $2}')
    bad=$(echo "$out" | grep -c "bad status")
    [ "$bad" -gt 0 ] && name="$name (ERRORS: $bad)"
    row "$name" "$c" "$rps" "$p50" "$p99"
}

# ---- 4 KiB objects: PUT (fresh names), then GET and HEAD of stored ones
for c in $CLIENTS; do
    wrk_cell "PUT 4 KiB" "$c" object-put.lua BENCH_PATH="$ACCT/small" BENCH_PREFIX="p$c"
done
# 1000 known names o-0..o-999 for GET/HEAD
seq 0 999 | xargs -P 16 -I{} curl -sf -o /dev/null -X PUT -H "X-Auth-Token: $TOKEN" \
    --data-binary "@$BENCH/object-get.lua" "$URL$ACCT/small/o-{}"
head -c 4096 /dev/urandom >"$STATE/4k"
seq 0 999 | xargs -P 16 -I{} curl -sf -o /dev/null -X PUT -H "X-Auth-Token: $TOKEN" \
    --data-binary "@$STATE/4k" "$URL$ACCT/small/o-{}"
for c in $CLIENTS; do
    wrk_cell "GET 4 KiB" "$c" object-get.lua BENCH_PATH="$ACCT/small" BENCH_COUNT=1000
done
# wrk cannot time HEAD (it waits for the Content-Length bytes a HEAD answer
# never carries): ApacheBench's -i does, on one object, keep-alive
for c in $CLIENTS; do
    out=$(ab -q -i -k -c "$c" -t "${DURATION%s}" -n 10000000 -H "X-Auth-Token: $TOKEN" \
        "$URL$ACCT/small/o-7" 2>&1)
    echo "$out" >>"$STATE/ab.out"
    rps=$(echo "$out" | awk '/Requests per second/{printf "%.0f", $4}')
    p50=$(echo "$out" | awk '$1=="50%"{print $2 "ms"}')
    p99=$(echo "$out" | awk '$1=="99%"{print $2 "ms"}')
    bad=$(echo "$out" | awk '/Non-2xx responses/{print $3}')
    row "HEAD 4 KiB${bad:+ (ERRORS: $bad)}" "$c" "$rps" "$p50" "$p99"
done

# ---- 1 GiB: raw disk first (same filesystem as the blobs), then the API
mbps() { awk -v b="$1" -v t="$2" 'BEGIN{ if (t > 0) printf "%.0f", b / 1048576 / t; else print "-" }'; }
BYTES=$((BIG_MB * 1048576))
dd if=/dev/urandom of="$STATE/big.src" bs=1M count="$BIG_MB" status=none
sync
t0=$(date +%s.%N)
dd if="$STATE/big.src" of="$STATE/raw" bs=1M conv=fsync status=none
t1=$(date +%s.%N)
RAW_W=$(mbps "$BYTES" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
t0=$(date +%s.%N)
dd if="$STATE/raw" of=/dev/null bs=1M status=none
t1=$(date +%s.%N)
RAW_R=$(mbps "$BYTES" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
rm -f "$STATE/raw"
sync
T=$(curl -sf -o /dev/null -w '%{time_total}' -X PUT -H "X-Auth-Token: $TOKEN" \
    -T "$STATE/big.src" "$URL$ACCT/big/one")
PUT_MB=$(mbps "$BYTES" "$T")
T=$(curl -sf -o /dev/null -w '%{time_total}' -H "X-Auth-Token: $TOKEN" "$URL$ACCT/big/one")
GET_MB=$(mbps "$BYTES" "$T")
curl -s -o "$STATE/big.back" -H "X-Auth-Token: $TOKEN" "$URL$ACCT/big/one"
SAME=$(cmp -s "$STATE/big.src" "$STATE/big.back" && echo identical || echo DIFFERENT)
rm -f "$STATE/big.back"

# ---- listing: LIST_N empty objects through the API (64 clients)
t0=$(date +%s)
env BENCH_AUTH="$TOKEN" BENCH_PATH="$ACCT/list" BENCH_PREFIX="l" BENCH_SIZE=0 \
    wrk -t 2 -c 64 -d 3600s -s "$BENCH/object-put.lua" "$URL" >"$STATE/load.out" 2>&1 &
WPID=$!
while :; do
    n=$(curl -s -I -H "X-Auth-Token: $TOKEN" "$URL$ACCT/list" |
        awk 'tolower($1)=="x-container-object-count:"{print $2+0}')
    [ "${n:-0}" -ge "$LIST_N" ] && break
    kill -0 "$WPID" 2>/dev/null || break
    sleep 1
done
kill -INT "$WPID" 2>/dev/null
wait "$WPID" 2>/dev/null
LOAD_S=$(( $(date +%s) - t0 ))
N=$(curl -s -I -H "X-Auth-Token: $TOKEN" "$URL$ACCT/list" |
    awk 'tolower($1)=="x-container-object-count:"{print $2+0}')
ms() { curl -sf -o /dev/null -w '%{time_total}' -H "X-Auth-Token: $TOKEN" "$URL$ACCT/list$1" |
       awk '{printf "%.1f", $1 * 1000}'; }
FIRST=$(ms "?format=json&limit=10000")
MIDDLE=$(ms "?format=json&limit=10000&marker=l-1-20000")
PREFIX=$(ms "?format=json&prefix=l-2-1000")
DELIM=$(ms "?format=json&delimiter=-")
t0=$(date +%s.%N)
marker=""
pages=0
while :; do
    body=$(curl -sf -H "X-Auth-Token: $TOKEN" "$URL$ACCT/list?limit=10000&marker=$marker")
    [ -z "$body" ] && break
    pages=$((pages + 1))
    marker=$(echo "$body" | tail -n 1)
done
t1=$(date +%s.%N)
WALK=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", (b-a)*1000}')

echo
echo "nubis object storage benchmark  ($(nproc) CPUs, wrk and the daemon on the same host, $DURATION per cell)"
printf '%-28s %8s %12s %10s %10s\n' "operation" "clients" "requests/s" "p50" "p99"
printf '%s\n' "${ROWS[@]}"
echo
printf '%-28s %10s\n' "1 GiB transfer" "MB/s"
printf '%-28s %10s\n' "raw disk write (dd fsync)" "$RAW_W"
printf '%-28s %10s   (%s%% of raw write)\n' "PUT ${BIG_MB} MiB" "$PUT_MB" \
    "$(awk -v a="$PUT_MB" -v b="$RAW_W" 'BEGIN{printf "%.0f", 100*a/b}')"
printf '%-28s %10s\n' "raw disk read (dd)" "$RAW_R"
printf '%-28s %10s   (download %s)\n' "GET ${BIG_MB} MiB" "$GET_MB" "$SAME"
echo
echo "listing a container of $N objects (loaded by $LOAD_S s of 64-client PUTs)"
printf '%-40s %8s ms\n' "first page (limit=10000, json)" "$FIRST"
printf '%-40s %8s ms\n' "middle page (marker, limit=10000)" "$MIDDLE"
printf '%-40s %8s ms\n' "prefix (1,111 names)" "$PREFIX"
printf '%-40s %8s ms\n' "delimiter (3 subdirs)" "$DELIM"
printf '%-40s %8s ms  (%d pages)\n' "walk of every page (plain)" "$WALK" "$pages"
grep -q " ERROR " "$LOG" && { log "the daemon logged errors:"; grep " ERROR " "$LOG" | head -5 >&2; exit 2; }
exit 0
