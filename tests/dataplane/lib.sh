# Helpers of the data plane suites (tests/dataplane/run.sh, api.sh):
# results, one-packet pings from guest namespaces, DHCP with busybox
# udhcpc.  Needs TMP (a temp dir of the suite) before dp_lib_init.

PASS=0
FAIL=0
log() { echo "$(basename "$0"): $*" >&2; }
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1${2:+: $2}"; }

# ping_ok NS DEST: one new ICMP flow (a new process: a new conntrack entry)
ping_ok() { ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }
# ping_fails NS DEST: three tries, none answered
ping_fails() { ! ip netns exec "$1" ping -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
# wait_ping NS DEST: a new flow answered within 5 s (a link coming up)
wait_ping() {
    for _ in $(seq 10); do ping_ok "$1" "$2" && return 0; sleep 0.5; done
    return 1
}
# alive PID: running (a zombie is not: pid 1 here may not reap them)
alive() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && ! awk '{exit $3 != "Z"}' "/proc/$1/stat"; }

# dp_lib_init: writes the udhcpc script into TMP (it configures the
# interface and records what the server said in TMP/lease-IFNAME)
dp_lib_init() {
    cat >"$TMP/udhcpc.sh" <<EOF
#!/bin/sh
case "\$1" in
deconfig) ip addr flush dev "\$interface"; ip link set "\$interface" up ;;
bound|renew)
    ip addr flush dev "\$interface"
    ip addr add "\$ip/\${mask:-24}" dev "\$interface"
    echo "ip=\$ip mask=\$mask router=\$router dns=\$dns mtu=\$mtu" >"$TMP/lease-\$interface" ;;
esac
exit 0
EOF
    chmod +x "$TMP/udhcpc.sh"
}

# dhcp NS IFNAME: one DHCP exchange; the lease line, or nothing
dhcp() {
    rm -f "$TMP/lease-$2"
    ip netns exec "$1" timeout 20 busybox udhcpc -i "$2" -s "$TMP/udhcpc.sh" -q -n \
        -t 8 -T 1 -O mtu >>"$TMP/udhcpc.log" 2>&1
    cat "$TMP/lease-$2" 2>/dev/null
}
