#!/bin/bash
# The "vm" suite (root): real QEMU guests under TCG through the libvirt
# virt driver, end to end with Debian's `openstack` CLI.
#
#   1. tests/guest/build.sh builds (or finds cached) the test guest, and
#      tests/guest/check.sh boots it with plain QEMU (no nubis): a broken
#      guest shows there, not as a driver failure;
#   2. in a private network namespace (the "host": the daemon's bridges,
#      taps, nft tables and QEMU processes live there), a daemon with
#      [compute] virt_driver = libvirt and the linuxbridge data plane, and
#      tests/vm/scenario.py: `main` (create, console, ping, stop/start,
#      reboot, snapshot, a second server, the guests ping each other,
#      delete, nothing left), `restart-1`, then the daemon is killed with
#      -9 and started again, then `restart-2` (ping kept flowing, ACTIVE,
#      same QEMU, nothing rebuilt; delete, nothing left).
#
#   tests/vm/run.sh                from the repo root
#
# Environment: NUBIS (default build-test/nubis), NUBIS_GUEST_DIR (the
# guest's cache, default: next to NUBIS, BUILD/guest), NUBIS_KEEP=1 keeps
# the state dir.  At most two guests run at a time.  The last line is
# "N passed, M failed".
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
NUBIS=${NUBIS:-build-test/nubis}
case "$NUBIS" in /*) ;; *) NUBIS="$ROOT/$NUBIS" ;; esac
export NUBIS
GUEST=${NUBIS_GUEST_DIR:-$(dirname "$NUBIS")/guest}
export PYTHONDONTWRITEBYTECODE=1
# shellcheck source=lib.sh
. "$ROOT/tests/vm/lib.sh"

# ---- the outer part: checks, the guest, the namespaces; then the inner
# part of this script runs inside the host namespace
if [ -z "${VM_HOST_NS:-}" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        vm_log "needs root (namespaces, bridges, taps, nftables, QEMU)"
        echo "0 passed, 1 failed"
        exit 1
    fi
    for tool in qemu-system-x86_64 qemu-img genisoimage isoinfo dnsmasq nft ip nsenter \
                busybox ping jq /usr/bin/openstack; do
        command -v "$tool" >/dev/null ||
            { vm_log "$tool is missing (tests/vm/packages)"; echo "0 passed, 1 failed"; exit 1; }
    done
    [ -x "$NUBIS" ] || { vm_log "$NUBIS is not built"; echo "0 passed, 1 failed"; exit 1; }
    OUT=$(mktemp -d /tmp/nubis-vm-out.XXXXXX)
    trap 'vm_ns_del; rm -rf "$OUT"' EXIT
    trap 'exit 130' INT TERM
    passed=0
    failed=0
    # count FILE: adds the "N passed, M failed" last line of FILE (none: 1 failure)
    count() {
        if [[ "$(tail -n 1 "$1")" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
            passed=$((passed + BASH_REMATCH[1]))
            failed=$((failed + BASH_REMATCH[2]))
        else
            failed=$((failed + 1))
        fi
    }

    echo "== the test guest ($GUEST)"
    start=$SECONDS
    if tests/guest/build.sh "$GUEST" >"$OUT/build.log" 2>&1; then
        echo "1 passed, 0 failed" >>"$OUT/build.log"
        echo "  ok   built or cached ($((SECONDS - start))s)"
    else
        cat "$OUT/build.log"
        echo "0 passed, 1 failed" >>"$OUT/build.log"
    fi
    count "$OUT/build.log"
    tests/guest/check.sh "$GUEST" | tee "$OUT/check.log"
    count "$OUT/check.log"

    echo "== the openstack CLI with the libvirt driver"
    vm_enter_host "$0" VM_GUEST="$GUEST" | tee "$OUT/inner.log"
    count "$OUT/inner.log"
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit
fi

# ---- the inner part, in the host namespace
TMP=$(mktemp -d /tmp/nubis-vm.XXXXXX)
inner_cleanup() {
    [ -s "$TMP/pinger.pid" ] && kill -9 "$(cat "$TMP/pinger.pid")" 2>/dev/null
    VM_NETS=$(jq -r '.net // empty' "$TMP/scenario.json" 2>/dev/null)
    vm_cleanup
    rm -rf "$TMP"
}
vm_daemon_start nubis-vm
trap inner_cleanup EXIT
export VM_STATE="$STATE" VM_TMP="$TMP"

passed=0
failed=0
phase() {
    /usr/bin/python3 "$ROOT/tests/vm/scenario.py" "$1" | tee "$TMP/phase-$1.out"
    if [[ "$(tail -n 1 "$TMP/phase-$1.out")" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
    else
        vm_log "phase $1 did not finish"
        failed=$((failed + 1))
    fi
}

phase main
phase restart-1
# the restart: kill -9 with a guest running, 3 s down, serve again
echo "---- kill -9 the daemon ($PID), 3 s down, serve again"
kill -9 "$PID"
wait "$PID" 2>/dev/null
killed=$(date +%s.%N)
sleep 3
"$NUBIS" serve --state-dir "$STATE" --listen "$LISTEN" >>"$LOG" 2>&1 &
PID=$!
for _ in $(seq 300); do
    curl -s -o /dev/null "$URL/identity/v3" && break
    sleep 0.1
done
echo "$killed $(date +%s.%N)" >"$TMP/restart.times"
phase restart-2
left=$(vm_qemu_pids)
if [ -n "$left" ]; then
    vm_log "QEMU processes left: $left"
    failed=$((failed + 1))
fi
echo "$passed passed, $failed failed" >"$TMP/vm.out"
suite_finish "$TMP/vm.out" "the vm scenario"
