#!/bin/bash
# The VM benchmark (root): real QEMU guests under TCG through the libvirt
# driver and the Linux bridge data plane, in a private network namespace
# (tests/vm/lib.sh).  Starts a fresh daemon, uploads the test guest
# (tests/guest), and prints one table (bench/vm.py says what each column
# measures): create->ACTIVE and create->DHCP lease for BENCH_VM_COUNTS
# servers at once, the part of create->ACTIVE spent in nubis itself versus
# the driver's spawn (libvirt/QEMU), and the host memory per guest beyond
# its RAM.  Target: nubis's own share <= 5 % of create->ACTIVE.
#
#   bench/vm.sh                from anywhere, after building (make)
#
# Environment:
#   NUBIS                  the executable (default build/nubis)
#   BENCH_VM_COUNTS        servers at once, a list (default "1 4"; each guest
#                          takes ~220 MB and a good part of a core)
#   NUBIS_GUEST_DIR        the guest's cache (default: next to NUBIS)
#   BENCH_KEEP=1           keep the state directory (kept anyway on failure)
# Exit status: 0 when every server became ACTIVE and got its lease and the
# daemon stopped cleanly; 1 otherwise.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
NUBIS=${NUBIS:-build/nubis}
case "$NUBIS" in /*) ;; *) NUBIS="$ROOT/$NUBIS" ;; esac
export NUBIS NUBIS_KEEP=${BENCH_KEEP:-0}
GUEST=${NUBIS_GUEST_DIR:-$(dirname "$NUBIS")/guest}
# shellcheck source=../tests/vm/lib.sh
. "$ROOT/tests/vm/lib.sh"

if [ -z "${VM_HOST_NS:-}" ]; then
    [ "$(id -u)" -eq 0 ] || { vm_log "needs root (namespaces, taps, QEMU)"; exit 1; }
    if [ ! -x "$DP_APPLY" ]; then
        # the data plane's cleanup tool: a release build with the tests
        DP_APPLY=$ROOT/build-bench/tests/dataplane/dp-apply
        [ -f build-bench/build.ninja ] ||
            meson setup build-bench -Dbuildtype=release -Dtests=true >/dev/null || exit 1
        ninja -C build-bench --quiet tests/dataplane/dp-apply || exit 1
    fi
    tests/guest/build.sh "$GUEST" >/dev/null || { vm_log "the guest did not build"; exit 1; }
    trap vm_ns_del EXIT
    trap 'exit 130' INT TERM
    vm_enter_host "$0" VM_GUEST="$GUEST"
    exit
fi

vm_daemon_start nubis-bench-vm
set -e
flavor=$(openstack flavor create --ram 256 --vcpus 1 --disk 1 bench-vm -f value -c id)
net=$(openstack network create bench-vm -f value -c id)
VM_NETS=$net
openstack subnet create bench-vm --network "$net" --subnet-range 10.214.0.0/22 >/dev/null
image=$("$ROOT/tests/guest/upload.sh" "$VM_GUEST" bench-guest)
set +e
OUT="$STATE/bench.out"
NUBIS_URL="$URL" NUBIS_ADMIN_PASSWORD="$PASSWORD" NUBIS_STATE="$STATE" \
    BENCH_FLAVOR="$flavor" BENCH_IMAGE="$image" BENCH_NET="$net" \
    "$PY" "$ROOT/bench/vm.py" | tee "$OUT"
rc=${PIPESTATUS[0]}
left=$(vm_qemu_pids)
[ -z "$left" ] || { vm_log "QEMU processes left: $left"; rc=1; }
daemon_stop_check || rc=1
[ "$rc" = 0 ] || { KEEP=1; vm_log "state kept in $STATE"; }
exit "$rc"
