#!/bin/bash
# The image data benchmark: starts a fresh daemon (temp state dir, free
# port), uploads and downloads one image of BENCH_IMAGE_MIB MiB (default
# 1024), and prints one table:
#
#   - md5 + sha512 alone on the same file, one pass in one thread (Python's
#     hashlib, which is OpenSSL's code): the limit of a checksummed upload
#     done the obvious way;
#   - PUT /image/v2/images/ID/file (curl -T, Content-Length), MB/s and its
#     ratio to that limit;
#   - GET /image/v2/images/ID/file (curl to /dev/null, sendfile), MB/s;
#   - the daemon's resident memory before the upload, its peak during the
#     upload (VmRSS sampled every 50 ms) and VmHWM after: a streaming upload
#     keeps it flat, whatever the image size.
#
#   bench/image.sh          after building (make, or ninja -C build)
#
# It builds nothing.  Environment: NUBIS (default build/nubis),
# BENCH_IMAGE_MIB (1024), BENCH_KEEP=1 keeps the state directory.  The file
# is read once before timing so that every row reads it from the page
# cache.  Exit status 0 when every step succeeded and the download is
# byte-identical (md5 compared).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NUBIS=${NUBIS:-build/nubis}
case "$NUBIS" in /*) ;; *) NUBIS="$ROOT/$NUBIS" ;; esac
MIB=${BENCH_IMAGE_MIB:-1024}
KEEP=${BENCH_KEEP:-0}
PY=/usr/bin/python3

log() { echo "bench: $*" >&2; }
[ -x "$NUBIS" ] || { log "$NUBIS is not built: run make first"; exit 1; }
command -v curl >/dev/null || { log "curl is missing"; exit 1; }

STATE=$(mktemp -d /tmp/nubis-bench-image.XXXXXX)
# this bench needs no data plane: leave the host's network alone
printf '[network]\ndataplane_driver = none\n[compute]\nvirt_driver = fake\n' >"$STATE/nubis.conf"
LOG="$STATE/daemon.log"
IMG="$STATE/image.bin"
PID=""
SAMPLER=""
PASSWORD="bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"

cleanup() {
    [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID"
        for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    fi
    if [ "$KEEP" = 1 ]; then log "kept $STATE"; else rm -rf "$STATE"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    log "FAILED: $*"
    [ -s "$LOG" ] && tail -n 20 "$LOG" >&2
    KEEP=1
    exit 1
}

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LISTEN="127.0.0.1:$port"
URL="http://$LISTEN"
"$NUBIS" bootstrap --state-dir "$STATE" --listen "$LISTEN" --admin-password "$PASSWORD" \
    >"$STATE/bootstrap.log" 2>&1 || fail "bootstrap"
"$NUBIS" serve --state-dir "$STATE" --listen "$LISTEN" >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "$URL/identity/v3" && break
    sleep 0.1
done
kill -0 "$PID" 2>/dev/null || fail "the daemon did not start"

TOKEN=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"},\"password\":\"$PASSWORD\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"}}}}}" \
    "$URL/identity/v3/auth/tokens" | awk 'tolower($1) == "x-subject-token:" { print $2 }' | tr -d '\r')
[ -n "$TOKEN" ] || fail "no token"

log "writing a $MIB MiB image"
head -c "$((MIB * 1024 * 1024))" /dev/urandom > "$IMG" || fail "cannot write $IMG"
BYTES=$(stat -c %s "$IMG")
cat "$IMG" > /dev/null

# md5 + sha512 in one pass, one thread: seconds and the md5
read -r HASH_S MD5 < <("$PY" - "$IMG" <<'EOF'
import hashlib, sys, time
m, s = hashlib.md5(), hashlib.sha512()
t = time.monotonic()
with open(sys.argv[1], "rb", buffering=0) as f:
    while True:
        b = f.read(1 << 20)
        if not b:
            break
        m.update(b)
        s.update(b)
print("%.3f %s" % (time.monotonic() - t, m.hexdigest()))
EOF
)

ID=$(curl -s -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
    -d '{"name": "bench", "disk_format": "raw", "container_format": "bare"}' \
    "$URL/image/v2/images" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["id"])') ||
    fail "cannot create the image"

rss_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status"; }
RSS0=$(rss_kib VmRSS)
( peak=0
  while kill -0 "$PID" 2>/dev/null; do
      r=$(rss_kib VmRSS)
      [ "${r:-0}" -gt "$peak" ] && { peak=$r; echo "$peak" > "$STATE/peak"; }
      sleep 0.05
  done ) &
SAMPLER=$!

UP=$(curl -s -o "$STATE/up.out" -w '%{http_code} %{time_total}' -T "$IMG" \
    -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/octet-stream' \
    "$URL/image/v2/images/$ID/file") || fail "upload"
sleep 0.2
kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
SAMPLER=""
[ "${UP%% *}" = 204 ] || fail "upload answered ${UP%% *}: $(cat "$STATE/up.out")"
UP_S=${UP#* }
PEAK=$(cat "$STATE/peak" 2>/dev/null || echo 0)
HWM=$(rss_kib VmHWM)

DOWN=$(curl -s -o "$STATE/down.bin" -w '%{http_code} %{time_total}' \
    -H "X-Auth-Token: $TOKEN" "$URL/image/v2/images/$ID/file") || fail "download"
[ "${DOWN%% *}" = 200 ] || fail "download answered ${DOWN%% *}"
DOWN_S=${DOWN#* }
GOT=$(md5sum "$STATE/down.bin" | cut -d' ' -f1)
rm -f "$STATE/down.bin"
[ "$GOT" = "$MD5" ] || fail "the download differs (md5 $GOT, want $MD5)"
DL_NULL=$(curl -s -o /dev/null -w '%{time_total}' -H "X-Auth-Token: $TOKEN" \
    "$URL/image/v2/images/$ID/file") || fail "download"

"$PY" - "$BYTES" "$HASH_S" "$UP_S" "$DOWN_S" "$DL_NULL" "$RSS0" "$PEAK" "$HWM" <<'EOF'
import sys
n, hash_s, up_s, down_s, null_s = int(sys.argv[1]), *map(float, sys.argv[2:6])
rss0, peak, hwm = (int(x) / 1024 for x in sys.argv[6:9])
mb = n / 1e6
limit = mb / hash_s
print("image data, %d MiB (%d bytes), one daemon, loopback" % (n >> 20, n))
print("%-44s %10s %8s" % ("operation", "MB/s", "seconds"))
print("%-44s %10.1f %8.2f" % ("md5 + sha512 alone (one pass, one thread)", limit, hash_s))
print("%-44s %10.1f %8.2f   %.0f%% of the hash limit" % (
    "upload   PUT /file (md5+sha512, fsync)", mb / up_s, up_s, 100 * mb / up_s / limit))
print("%-44s %10.1f %8.2f" % ("download GET /file (to a file)", mb / down_s, down_s))
print("%-44s %10.1f %8.2f" % ("download GET /file (to /dev/null)", mb / null_s, null_s))
print("daemon RSS: %.1f MiB before the upload, %.1f MiB peak during it, VmHWM %.1f MiB"
      % (rss0, peak, hwm))
EOF
