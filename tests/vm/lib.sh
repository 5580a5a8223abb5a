# Helpers of tests/vm/run.sh and bench/vm.sh (bash, root): a daemon with
# the libvirt virt driver and the Linux bridge data plane, run inside a
# private network namespace (the "host": its bridges, taps, nft tables and
# QEMU processes live there), and a cleanup that leaves nothing behind.
#
#   vm_enter_host SCRIPT ENV...   (outside) makes the host namespace
#                   ($VM_TAG-h) and a probe namespace ($VM_TAG-p), runs
#                   SCRIPT in the host one with VM_HOST_NS and VM_PROBE
#                   set, deletes both; returns SCRIPT's status
#   vm_ns_del       deletes both (for the caller's EXIT trap: a run killed
#                   by a timeout leaves no namespace)
#   vm_daemon_start (inside) tests/api/daemon.sh's daemon_start with the
#                   libvirt driver and the data plane, its openrc sourced;
#                   installs vm_cleanup as the EXIT trap
#   vm_qemu_pids    the QEMU processes whose command line names $STATE
#   vm_cleanup      kills what is left (the daemon, its QEMUs, dnsmasq),
#                   the data plane removes what it made, the qdhcp
#                   namespaces of $VM_NETS go, then daemon_cleanup
# Needs ROOT and NUBIS (absolute).

VM_TAG=nbvm$$
VM_NETS=""              # network ids whose qdhcp namespace must go
DP_APPLY=${DP_APPLY:-$(dirname "$NUBIS")/tests/dataplane/dp-apply}

vm_log() { echo "$(basename "$0"): $*" >&2; }

vm_ns_del() {
    ip netns del "$VM_TAG-h" 2>/dev/null
    ip netns del "$VM_TAG-p" 2>/dev/null
}

vm_enter_host() {
    local script=$1 rc
    shift
    ip netns add "$VM_TAG-h" && ip netns add "$VM_TAG-p" && ip -n "$VM_TAG-h" link set lo up ||
        { vm_ns_del; return 1; }
    nsenter --net="/run/netns/$VM_TAG-h" env VM_HOST_NS="$VM_TAG-h" VM_PROBE="$VM_TAG-p" \
        DP_APPLY="$DP_APPLY" "$@" "$script" </dev/null
    rc=$?
    vm_ns_del
    return $rc
}

vm_qemu_pids() {
    local f
    [ -n "${STATE:-}" ] || return 0
    for f in /proc/[0-9]*/cmdline; do
        tr '\0' ' ' 2>/dev/null <"$f" | grep -q "qemu-system.*$STATE/" &&
            basename "$(dirname "$f")"
    done
}

vm_cleanup() {
    local p net tmp
    set +e
    if [ -n "${PID:-}" ]; then
        kill -9 "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
        PID=""
    fi
    for p in $(vm_qemu_pids); do
        vm_log "killing QEMU $p, left by the daemon"
        kill -9 "$p"
    done
    if [ -n "${STATE:-}" ] && [ -d "$STATE/network" ] && [ -x "$DP_APPLY" ]; then
        tmp=$(mktemp)
        echo '{}' >"$tmp"
        "$DP_APPLY" --state-dir "$STATE/network" "$tmp" >/dev/null 2>&1
        rm -f "$tmp"
    fi
    for p in "${STATE:-/nonexistent}"/network/dhcp/*/dnsmasq.pid; do
        [ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
    done
    for net in $VM_NETS; do
        ip netns del "qdhcp-$net" 2>/dev/null
    done
    daemon_cleanup
}

vm_daemon_start() {
    # shellcheck source=../api/daemon.sh
    . "$ROOT/tests/api/daemon.sh"
    trap vm_cleanup EXIT
    trap 'exit 130' INT TERM
    NUBIS_DATAPLANE=linuxbridge NUBIS_VIRT=libvirt daemon_start "$1"
    "$NUBIS" openrc --state-dir "$STATE" --listen "$LISTEN" >"$STATE/openrc" ||
        daemon_fail_setup "nubis openrc failed"
    # shellcheck disable=SC1091
    . "$STATE/openrc"
    export OS_CLOUD="" HOME="$STATE/home" XDG_CACHE_HOME="$STATE/home/.cache"
    mkdir -p "$HOME"
}
