#!/usr/bin/env bash
# Boots the test guest with plain qemu-system-x86_64 under TCG (no nubis,
# no libvirt), to tell a broken guest from a broken driver: a namespace
# with a bridge, dnsmasq serving it, a tap for the guest, a config drive
# made with genisoimage as Nova lays it out.  Checks the console markers
# (boot, config drive uuid and user data, DHCP lease, the user-data script
# pinging the bridge's address), that the guest answers ping, that it
# keeps its disk marker across a boot, and that the ACPI power button
# powers it off.  Root.  Removes everything it made.
#
#   tests/guest/check.sh OUTDIR        (OUTDIR: as for tests/guest/build.sh)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: tests/guest/check.sh OUTDIR}
"$here/build.sh" "$out" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

ns=nbgchk$$
tmp=$(mktemp -d /tmp/nubis-guest-check.XXXXXX)
uuid=$(cat /proc/sys/kernel/random/uuid)
pass=0
fail=0
qpid=
dpid=

cleanup() {
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null
    wait 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

ok() {
    if "$@" >>"$tmp/check.log" 2>&1; then
        pass=$((pass + 1))
        echo "  ok   $check"
    else
        fail=$((fail + 1))
        echo "  FAIL $check"
        sed 's/^/      | /' "$tmp/console.log" 2>/dev/null | tail -n 20
    fi
}

# waits up to $2 s for marker $1 in the console log
marker() {
    local i
    for ((i = 0; i < $2 * 5; i++)); do
        grep -q "^$1" "$tmp/console.log" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}

mkdir -p "$tmp/cd/openstack/latest"
printf '{"uuid": "%s", "hostname": "check-vm", "name": "check"}\n' "$uuid" \
    >"$tmp/cd/openstack/latest/meta_data.json"
printf '#!/bin/sh\nping -c 2 -W 2 10.77.0.1 && echo NUBIS-PING-OK 10.77.0.1\n' \
    >"$tmp/cd/openstack/latest/user_data"
genisoimage -quiet -o "$tmp/cd.iso" -J -r -V config-2 "$tmp/cd"
qemu-img create -q -f qcow2 -F qcow2 -b "$out/root.qcow2" "$tmp/root.qcow2"

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add br0 type bridge
ip -n "$ns" addr add 10.77.0.1/24 dev br0
ip -n "$ns" link set br0 up
ip -n "$ns" tuntap add dev tap0 mode tap
ip -n "$ns" link set tap0 master br0 up
ip netns exec "$ns" dnsmasq --keep-in-foreground --interface=br0 --bind-interfaces \
    --dhcp-range=10.77.0.10,10.77.0.50,255.255.255.0 --no-resolv --no-hosts --port=0 \
    --pid-file="$tmp/dnsmasq.pid" --log-facility="$tmp/dnsmasq.log" &
dpid=$!

boot() {
    : >"$tmp/console.log"
    ip netns exec "$ns" qemu-system-x86_64 -accel tcg -m 256 -smp 1 -no-reboot \
        -kernel "$out/vmlinuz" -initrd "$out/initrd.img" -append "console=ttyS0 quiet" \
        -drive "file=$tmp/root.qcow2,if=virtio,format=qcow2" \
        -drive "file=$tmp/cd.iso,media=cdrom,format=raw" \
        -netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
        -device virtio-net-pci,netdev=n0,mac=fa:16:3e:77:00:01 \
        -serial "file:$tmp/console.log" -monitor "unix:$tmp/mon.sock,server,nowait" \
        -display none 2>>"$tmp/qemu.log" &
    qpid=$!
}

# the monitor's system_powerdown: the ACPI power button
powerdown() {
    /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.recv(4096)
s.sendall(b"system_powerdown\n")
time.sleep(0.5)' "$tmp/mon.sock"
}

exited() {
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$qpid" 2>/dev/null || { wait "$qpid"; qpid=; return 0; }
        sleep 0.2
    done
    return 1
}

boot
check="boot marker";           ok marker NUBIS-BOOT 60
check="config drive uuid";     ok marker "NUBIS-UUID $uuid" 30
check="user data first line";  ok marker "NUBIS-USERDATA #!/bin/sh" 10
check="DHCP lease";            ok marker "NUBIS-LEASE 10.77.0." 30
check="user data ran (ping)";  ok marker "NUBIS-PING-OK 10.77.0.1" 30
ip=$(sed -n 's/^NUBIS-LEASE //p' "$tmp/console.log" | tr -d '\r')
check="answers ping";          ok ip netns exec "$ns" ping -c 2 -W 2 "${ip:-none}"
check="ACPI power button";     ok bash -c "$(declare -f powerdown); tmp=$tmp; powerdown"
check="powered off";           ok exited
boot
check="disk kept its marker";  ok marker "NUBIS-DISK-FOUND NUBIS-DISK $uuid" 60

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
