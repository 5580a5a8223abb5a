#!/bin/bash
# The virt suite (root): the libvirt virt driver with a real QEMU guest
# under TCG, driven entry by entry by BUILD/tests/virt/virt-boot (spawn,
# power, reboot, pause, suspend, snapshot, resize, rescue, rebuild, port
# hot plug, re-attach after a reopen, destroy leaving nothing).  The guest
# is tests/guest/build.sh's (cached in $NUBIS_GUEST_DIR); its two taps are
# made here and removed on exit with everything else (trap), QEMU
# processes of this run included.
#
#   tests/virt/run.sh           from the repo root, after building build-test
#
# Environment: NUBIS (its directory holds tests/virt/virt-boot),
# NUBIS_GUEST_DIR (default /var/tmp/nubis-guest), NUBIS_KEEP=1 keeps the
# temp dir.  The last line is "N passed, M failed".
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
NUBIS=${NUBIS:-build-test/nubis}
VB=$(dirname "$NUBIS")/tests/virt/virt-boot
case "$VB" in /*) ;; *) VB="$ROOT/$VB" ;; esac
GUEST=${NUBIS_GUEST_DIR:-/var/tmp/nubis-guest}

fail() { echo "virt: $*"; echo "0 passed, 1 failed"; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (taps, QEMU)"
[ -x "$VB" ] || fail "$VB is not built (configure with -Dtests=true)"
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86 is missing"
tests/lib/libvirt-user.sh || fail "cannot make the libvirt-qemu user"
tests/guest/build.sh "$GUEST" >/dev/null || fail "tests/guest/build.sh failed"

TMP=$(mktemp -d /tmp/nubis-virt.XXXXXX)
TAG=$(printf '%04x' $(($$ % 65536)))
TAP1=tapnbv${TAG}a
TAP2=tapnbv${TAG}b

cleanup() {
    local pid
    for pid in $(pgrep -f "qemu-system.*$TMP/"); do
        kill -9 "$pid" 2>/dev/null
    done
    ip link del "$TAP1" 2>/dev/null
    ip link del "$TAP2" 2>/dev/null
    [ "${NUBIS_KEEP:-0}" = 1 ] && echo "virt: kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT

for t in "$TAP1" "$TAP2"; do
    ip tuntap add dev "$t" mode tap && ip link set "$t" up || fail "cannot make tap $t"
done
# errors of libvirt go to the state dir's libvirt.log; virt-boot prints
# the results and its own log lines
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$VB" "$TMP/state" "$GUEST" "$TAP1" "$TAP2" 2>&1 |
    tee "$TMP/virt-boot.log" | grep --line-buffered -E '^(ok|not ok|#)'
rc=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$TMP/virt-boot.log" | tail -n 1)
if [ -z "$line" ]; then
    echo "virt: virt-boot ended without a result (exit $rc):"
    tail -n 20 "$TMP/virt-boot.log"
    echo "0 passed, 1 failed"
    exit 1
fi
pass=${line%% passed*}
failed=$(echo "$line" | sed -E 's/.*, ([0-9]+) failed.*/\1/')
left=$(pgrep -fc "qemu-system.*$TMP/")
if [ "$left" -eq 0 ]; then
    echo "ok - no QEMU process of this run left"
    pass=$((pass + 1))
else
    echo "not ok - $left QEMU process(es) of this run left"
    failed=$((failed + 1))
fi
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
