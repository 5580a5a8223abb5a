#!/bin/bash
# The data plane suite (root): the Linux bridge driver driven by dp-apply
# (tests/dataplane/dp-apply.c) from JSON desired states, with network
# namespaces standing in for the host and the guests:
#   - "host" namespace: where dp-apply runs, so its bridges, veths, nft
#     tables and sysctls never touch the machine's own namespace;
#   - two guest namespaces: each gets the guest end ("<ifname>p") of a
#     port's veth pair;
#   - qdhcp-<network>: made by the driver for dnsmasq.
# Checks: DHCP hands both guests their assigned IPs; ICMP passes with an
# ingress ICMP rule and not without it; an ongoing ping stops within the
# apply that removes its rule, or drops its sender from the rule's remote
# group (conntrack entries deleted), and resumes once allowed; a changed MAC, IP or ARP sender is
# dropped; admin_state_up false cuts the port off; port_security false
# leaves no rules; a rule change is one atomic transaction (no loss
# while rules are swapped back and forth); killing the apply process and
# applying again from a fresh one loses no packet of a continuous ping
# (measured) and removes stray devices, chains and DHCP servers; a killed
# dnsmasq is restarted by tick(); an empty state removes everything.
# Everything is removed on exit (trap).
#
#   tests/dataplane/run.sh         from the repo root, after building
#                                  build-test (dp-apply needs -Dtests=true)
#
# Environment: NUBIS (its directory holds tests/dataplane/dp-apply),
# DP_APPLY (the tool itself), NUBIS_KEEP=1 keeps the temp dir.  Needs
# root, ip, nft, dnsmasq, busybox (udhcpc), ping, jq, nsenter, conntrack.  The last
# line is "N passed, M failed"; the exit status is non-zero when M > 0.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
NUBIS=${NUBIS:-build-test/nubis}
DPA=${DP_APPLY:-$(dirname "$NUBIS")/tests/dataplane/dp-apply}
case "$DPA" in /*) ;; *) DPA="$ROOT/$DPA" ;; esac
# shellcheck source=lib.sh
. "$ROOT/tests/dataplane/lib.sh"


if [ "$(id -u)" -ne 0 ]; then
    log "needs root (network namespaces, bridges, nftables)"
    echo "0 passed, 1 failed"
    exit 1
fi
for tool in ip nft dnsmasq busybox ping jq nsenter conntrack; do
    command -v "$tool" >/dev/null || { log "$tool is missing (tests/dataplane/packages)"; echo "0 passed, 1 failed"; exit 1; }
done
[ -x "$DPA" ] || { log "$DPA is not built (configure with -Dtests=true)"; echo "0 passed, 1 failed"; exit 1; }

TAG=dp$$
TMP=$(mktemp -d /tmp/nubis-dataplane.XXXXXX)
STATE=$TMP/state
HOST=nb$TAG-h
GA=nb$TAG-a
GB=nb$TAG-b
WATCH_PID=""
uuid() { cat /proc/sys/kernel/random/uuid; }
NET=$(uuid)
PA=$(uuid)
PB=$(uuid)
DHCP=$(uuid)
G1=$(uuid)
TA=tap${PA:0:11}
TB=tap${PB:0:11}
BR=brq${NET:0:11}
IPA=10.201.0.10
IPB=10.201.0.11
MACA=fa:16:3e:${PA:0:2}:${PA:2:2}:0a
MACB=fa:16:3e:${PB:0:2}:${PB:2:2}:0b

cleanup() {
    set +e
    [ -n "$WATCH_PID" ] && kill -9 "$WATCH_PID" 2>/dev/null
    # the driver removes what it made (dnsmasq, qdhcp namespaces) ...
    if ip netns list | grep -qw "$HOST"; then
        echo '{}' >"$TMP/empty.json"
        dpa_once "$TMP/empty.json" >/dev/null 2>&1
    fi
    # ... and whatever is left goes anyway
    for f in "$STATE"/dhcp/*/dnsmasq.pid; do
        [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
    done
    for ns in "$HOST" "$GA" "$GB" "qdhcp-$NET"; do
        ip netns del "$ns" 2>/dev/null
    done
    if [ "${NUBIS_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# dp-apply in the host namespace (nsenter: the network namespace only, so
# the namespaces the driver adds under /run/netns are everyone's)
dpa_once() { nsenter --net="/run/netns/$HOST" "$DPA" --state-dir "$STATE" "$@" 2>>"$TMP/dpa.log"; }
dpa_watch() {
    nsenter --net="/run/netns/$HOST" "$DPA" --state-dir "$STATE" --watch "$1" \
        >>"$TMP/watch.log" 2>&1 &
    WATCH_PID=$!
}
in_host() { ip netns exec "$HOST" "$@"; }
in_a() { ip netns exec "$GA" "$@"; }
in_b() { ip netns exec "$GB" "$@"; }

# mkstate FILE [key=value...]: the desired state.  Keys: icmp (1: an
# ingress ICMP rule), b_secure (true/false), icmp_prefix (the ICMP rule's
# remote_ip_prefix), icmp_rg (1: the ICMP rule's remote group is the
# group itself), member_a (0: a's IP is not in the group's member IPs),
# extra_host (1: a third DHCP host entry), a_up (port a's admin_up).
mkstate() {
    local file=$1 icmp=1 b_secure=true icmp_prefix=null extra_host=0 a_up=true kv
    local icmp_rg=null members='[]'
    shift
    for kv in "$@"; do
        case $kv in
        icmp=*) icmp=${kv#icmp=} ;;
        b_secure=*) b_secure=${kv#b_secure=} ;;
        icmp_prefix=*) icmp_prefix=\"${kv#icmp_prefix=}\" ;;
        extra_host=*) extra_host=${kv#extra_host=} ;;
        a_up=*) a_up=${kv#a_up=} ;;
        icmp_rg=1) icmp_rg=\"$G1\" ;;
        member_a=0) members='["a"]' ;;
        esac
    done
    jq -n --arg net "$NET" --arg pa "$PA" --arg pb "$PB" --arg dhcp "$DHCP" \
        --arg g1 "$G1" --arg ipa "$IPA" --arg ipb "$IPB" --arg maca "$MACA" \
        --arg macb "$MACB" --argjson icmp "$icmp" --argjson bsec "$b_secure" \
        --argjson prefix "$icmp_prefix" --argjson extra "$extra_host" --argjson aup "$a_up" \
        --argjson rg "$icmp_rg" --argjson drop "$members" '
    {networks: [{id: $net, mtu: 1400, admin_up: true, network_type: "local",
       subnets: [{id: ("s-" + $net), cidr: "10.201.0.0/24", ip_version: 4,
                  gateway_ip: "10.201.0.1", enable_dhcp: true,
                  dns_nameservers: ["10.201.0.53"], host_routes: []}],
       dhcp_port: {id: $dhcp, mac: "fa:16:3e:00:d0:02", ips: ["10.201.0.2"],
                   port_security: false},
       dhcp_hosts: ([{mac: $maca, ip: $ipa, hostname: "guest-a"},
                     {mac: $macb, ip: $ipb, hostname: "guest-b"}] +
                    (if $extra == 1 then [{mac: "fa:16:3e:00:00:99", ip: "10.201.0.99"}]
                     else [] end))}],
     ports: [{id: $pa, network_id: $net, vif: "veth", mac: $maca, ips: [$ipa],
              admin_up: $aup, port_security: true, groups: [$g1]},
             {id: $pb, network_id: $net, vif: "veth", mac: $macb, ips: [$ipb],
              admin_up: true, port_security: $bsec, groups: [$g1]}],
     groups: [{id: $g1, member_ips: ([$ipa, $ipb] - (if $drop == ["a"] then [$ipa] else [] end)),
               rules: ([{id: "r-eg4", direction: "egress", ethertype: 4},
                        {id: "r-eg6", direction: "egress", ethertype: 6},
                        {id: "r-ssh", direction: "ingress", ethertype: 4,
                         protocol: 6, port_min: 22, port_max: 22,
                         remote_group: $g1}] +
                       (if $icmp == 1 then [{id: "r-icmp", direction: "ingress",
                         ethertype: 4, protocol: 1, remote_prefix: $prefix,
                         remote_group: $rg}]
                        else [] end))}]}' >"$file"
}

# the last nft summary line dp-apply logged
nft_summary() { grep 'dataplane: nft:' "$TMP/dpa.log" | tail -n 1 | sed 's/.*dataplane: nft: //'; }
dnsmasq_pid() { cat "$STATE/dhcp/$NET/dnsmasq.pid" 2>/dev/null; }


dp_lib_init
ip netns add "$HOST" && ip netns add "$GA" && ip netns add "$GB" ||
    { log "cannot create namespaces"; echo "0 passed, 1 failed"; exit 1; }
ip -n "$HOST" link set lo up

# ---- 1. a first apply builds the bridge, the veths, the DHCP namespace
mkstate "$TMP/s.json"
if dpa_once "$TMP/s.json" >/dev/null &&
    ip -n "$HOST" link show "$BR" >/dev/null 2>&1 &&
    [ "$(ip -n "$HOST" -j link show "$BR" | jq '.[0].mtu')" = 1400 ] &&
    [ "$(ip -n "$HOST" -j link show "$TA" | jq -r '.[0].master')" = "$BR" ] &&
    [ "$(ip -n "$HOST" -j link show "$TB" | jq -r '.[0].master')" = "$BR" ] &&
    ip netns list | grep -q "qdhcp-$NET" && alive "$(dnsmasq_pid)" &&
    in_host nft list map inet nubis bridge-zone | grep -q "\"$BR\" : 1"; then
    ok "apply creates bridge $BR (mtu 1400, conntrack zone 1), veths $TA $TB, qdhcp-$NET with dnsmasq"
else
    not_ok "apply creates the bridge, veths and DHCP namespace" "$(tail -n 5 "$TMP/dpa.log")"
fi
ip -n "$HOST" link set "${TA}p" netns "$GA"
ip -n "$HOST" link set "${TB}p" netns "$GB"

# ---- 2. DHCP: each guest gets its own assigned address and options
la=$(dhcp "$GA" "${TA}p")
lb=$(dhcp "$GB" "${TB}p")
if [[ $la == "ip=$IPA mask=24 router=10.201.0.1 dns=10.201.0.53 mtu=1400" ]] &&
    [[ $lb == "ip=$IPB mask=24 router=10.201.0.1 dns=10.201.0.53 mtu=1400" ]]; then
    ok "DHCP: guest a got $IPA, guest b got $IPB (router, DNS, MTU 1400)"
else
    not_ok "DHCP leases" "a: '$la' b: '$lb'"
fi

# ---- 3. ICMP with and without the rule
if ping_ok "$GA" "$IPB" && ping_ok "$GB" "$IPA"; then
    ok "ping both ways with an ingress ICMP rule"
else
    not_ok "ping both ways with an ingress ICMP rule"
fi
mkstate "$TMP/s-noicmp.json" icmp=0
dpa_once "$TMP/s-noicmp.json" >/dev/null
sum=$(nft_summary)
if ping_fails "$GA" "$IPB" && ping_fails "$GB" "$IPA" &&
    [[ $sum == "1 chains written, 0 removed, 0 sets written, 0 map elements changed"* ]]; then
    ok "no ping without the ICMP rule (one chain rewritten: $sum)"
else
    not_ok "no ping without the ICMP rule" "$sum"
fi
dpa_once "$TMP/s.json" >/dev/null
if ping_ok "$GA" "$IPB"; then ok "ping again once the rule is back"; else not_ok "ping again once the rule is back"; fi

# ---- 3b. an ongoing ping (one conntrack entry, established) goes on while
# the ICMP rule exists and stops within the apply that removes it: the
# driver deletes the port's connections in the network's conntrack zone.
# ongoing_ping_stops WHAT ALLOWED REFUSED: the ping runs under state
# ALLOWED, then REFUSED is applied.
ongoing_ping_stops() {
    local what=$1 t0 t1 before after last stop_ms pinger
    in_a ping -D -i 0.1 -W 1 "$IPB" >"$TMP/ping-ct.log" 2>&1 &
    pinger=$!
    sleep 1.5
    dpa_once "$2" >/dev/null
    t0=$(date +%s.%N)
    dpa_once "$3" >/dev/null
    t1=$(date +%s.%N)
    sleep 1.5
    kill "$pinger"
    wait "$pinger" 2>/dev/null
    # replies (their timestamps) before the removal and after it
    read -r before after last < <(awk -v t0="$t0" -v t1="$t1" '
        /bytes from/ { ts = substr($1, 2, length($1) - 2) + 0
                       if (ts < t0) b++; else if (ts > t1) a++; if (ts > l) l = ts }
        END { printf "%d %d %.3f\n", b, a, l }' "$TMP/ping-ct.log")
    stop_ms=$(awk -v l="$last" -v t0="$t0" 'BEGIN { printf "%d", (l - t0) * 1000 }')
    if [ "$before" -ge 10 ] && [ "$after" = 0 ]; then
        ok "an ongoing ping ($before replies) stops within the apply $what (last reply $stop_ms ms after the apply began; 0 replies after it)"
    else
        not_ok "an ongoing ping stops: $what" "$before replies before, $after after"
    fi
    echo "# conntrack ($what): last reply ${stop_ms} ms after the apply began ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }') ms apply)"
    dpa_once "$2" >/dev/null
    if wait_ping "$GA" "$IPB"; then ok "ping again once allowed ($what)"; else not_ok "ping again once allowed ($what)"; fi
}
ongoing_ping_stops "removing its rule" "$TMP/s.json" "$TMP/s-noicmp.json"
# the ICMP rule allows the group's members: a leaves the member IPs
mkstate "$TMP/s-rg.json" icmp_rg=1
mkstate "$TMP/s-rg-nota.json" icmp_rg=1 member_a=0
ongoing_ping_stops "dropping the sender from the rule's remote group" "$TMP/s-rg.json" \
    "$TMP/s-rg-nota.json"
dpa_once "$TMP/s.json" >/dev/null

# ---- 4. the same state again: nothing is touched, whether a fresh
# process compares with the kernel or a running one with its last
# transaction
dpa_once "$TMP/s.json" >/dev/null
sum=$(nft_summary)
dpa_once "$TMP/s-noicmp.json" "$TMP/s.json" "$TMP/s.json" >/dev/null
sum2=$(nft_summary)
if [[ $sum == "0 chains written, 0 removed, 0 sets written, 0 map elements changed (against the kernel)" ]] &&
    [[ $sum2 == "0 chains written, 0 removed, 0 sets written, 0 map elements changed (against the last transaction)" ]] &&
    ping_ok "$GA" "$IPB"; then
    ok "re-apply of the same state writes nothing ($sum; $sum2)"
else
    not_ok "re-apply of the same state writes nothing" "$sum; $sum2"
fi

# ---- 5. anti-spoofing: another MAC, another IP
in_a ip link set "${TA}p" address fa:16:3e:66:66:66
in_a ip neigh flush dev "${TA}p"
if ping_fails "$GA" "$IPB"; then ok "a guest with a changed MAC is dropped"; else not_ok "a guest with a changed MAC is dropped"; fi
in_a ip link set "${TA}p" address "$MACA"
in_a ip addr add 10.201.0.66/24 dev "${TA}p"
if ! in_a ping -c 3 -i 0.2 -W 1 -I 10.201.0.66 "$IPB" >/dev/null 2>&1 && ping_ok "$GA" "$IPB"; then
    ok "a guest sending from an IP not its own is dropped (its own still works)"
else
    not_ok "a guest sending from an IP not its own is dropped"
fi
# ARP: a request whose sender IP is not the port's is dropped, its own passes
in_a ip neigh flush dev "${TA}p"
if ! in_a busybox arping -c 2 -w 2 -I "${TA}p" -s 10.201.0.66 "$IPB" >/dev/null 2>&1 &&
    in_a busybox arping -c 2 -w 2 -I "${TA}p" -s "$IPA" "$IPB" >/dev/null 2>&1; then
    ok "an ARP request with a sender IP not the port's is dropped (its own is answered)"
else
    not_ok "ARP sender spoofing dropped"
fi
in_a ip addr del 10.201.0.66/24 dev "${TA}p"

# ---- 5b. admin_state_up false: the port's host end is down, no traffic
mkstate "$TMP/s-down.json" a_up=false
dpa_once "$TMP/s-down.json" >/dev/null
down=$(ip -n "$HOST" -j link show "$TA" | jq -r '.[0].flags | index("UP") == null')
if [ "$down" = true ] && ping_fails "$GA" "$IPB"; then
    ok "admin_state_up false: $TA is down and the guest is cut off"
else
    not_ok "admin_state_up false" "down: $down"
fi
dpa_once "$TMP/s.json" >/dev/null
if wait_ping "$GA" "$IPB"; then ok "admin_state_up true again: traffic back"; else not_ok "admin_state_up true again: traffic back"; fi

# ---- 6. port_security false: no rules at all for that port
mkstate "$TMP/s-open.json" b_secure=false
dpa_once "$TMP/s-open.json" >/dev/null
rules_b=$(in_host nft list ruleset | grep -c -e "$PB" -e "$TB")
in_b ip link set "${TB}p" address fa:16:3e:77:77:77
in_b ip neigh flush dev "${TB}p"
in_a ip neigh flush dev "${TA}p"
if [ "$rules_b" = 0 ] && ping_ok "$GB" "$IPA"; then
    ok "port_security false: no rule names port b, and b passes with another MAC"
else
    not_ok "port_security false leaves no rules" "$rules_b lines name it"
fi
in_b ip link set "${TB}p" address "$MACB"
in_b ip neigh flush dev "${TB}p"
in_a ip neigh flush dev "${TA}p"
dpa_once "$TMP/s.json" >/dev/null
if in_host nft list chain bridge nubis "ps-$PB" >/dev/null 2>&1 && ping_ok "$GA" "$IPB"; then
    ok "port_security true again: port b's rules are back"
else
    not_ok "port_security true again: port b's rules are back"
fi

# ---- 7. atomic group change: ICMP allowed by one rule, then by another,
# swapped 20 times while new flows (one ping each) run: no loss
mkstate "$TMP/s-prefix.json" icmp_prefix=10.201.0.0/24
lost=0 sent=0
(
    for _ in $(seq 10); do
        dpa_once "$TMP/s-prefix.json" >/dev/null
        dpa_once "$TMP/s.json" >/dev/null
    done
) &
swapper=$!
while kill -0 "$swapper" 2>/dev/null; do
    sent=$((sent + 1))
    ping_ok "$GA" "$IPB" || lost=$((lost + 1))
done
wait "$swapper"
if [ "$lost" = 0 ] && [ "$sent" -gt 5 ]; then
    ok "a rule swapped 20 times in single transactions: $sent new flows, 0 lost"
else
    not_ok "atomic rule change" "$lost of $sent new flows lost"
fi

# ---- 8. reconcile: the apply process killed, a fresh one, strays removed
dpa_watch "$TMP/s.json"
sleep 2
in_a ping -i 0.05 -c 160 -W 1 "$IPB" >"$TMP/ping.log" 2>&1 &
pinger=$!
sleep 1
kill -9 "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null
WATCH_PID=""
# strays: devices with the driver's alias (its own, left from an older
# state) and a chain; a tap without the alias is someone else's and stays
alias=$(ip -n "$HOST" -j link show "$BR" | jq -r '.[0].ifalias')
ip -n "$HOST" link add "tapdead$TAG" type veth peer name "tapdead${TAG}p"
ip -n "$HOST" link set dev "tapdead$TAG" alias "$alias"
ip -n "$HOST" link add "brqdead$TAG" type bridge
ip -n "$HOST" link set dev "brqdead$TAG" alias "$alias"
ip -n "$HOST" link add "tapx$TAG" type veth peer name "tapx${TAG}p"
in_host nft add chain inet nubis "eg-stray-$TAG"
sleep 1
dpa_once "$TMP/s.json" >/dev/null
sum=$(nft_summary)
dpa_watch "$TMP/s.json"
wait "$pinger"
recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMP/ping.log")
strays=$(ip -n "$HOST" -br link | grep -c -e "dead$TAG")
if [ "${recv:-0}" = 160 ] && [ "$strays" = 0 ] && [[ $alias == nubis:* ]] &&
    ip -n "$HOST" link show "tapx$TAG" >/dev/null 2>&1 &&
    ! in_host nft list chain inet nubis "eg-stray-$TAG" >/dev/null 2>&1 &&
    [[ $sum == "0 chains written, 1 removed, 0 sets written, 0 map elements changed"* ]]; then
    ok "kill -9 of the apply process + a fresh apply: 160/160 pings at 50 ms, strays ($alias) removed, a foreign tap kept ($sum)"
    ip -n "$HOST" link del "tapx$TAG"
else
    not_ok "reconcile without a gap" "received ${recv:-?}/160, strays left: $strays, nft: $sum"
fi
echo "# reconcile: $(grep -E 'transmitted' "$TMP/ping.log")"

# ---- 9. dnsmasq killed: tick() restarts it, and it serves again
old=$(dnsmasq_pid)
kill -9 "$old"
new=""
for _ in $(seq 50); do
    new=$(dnsmasq_pid)
    [ -n "$new" ] && [ "$new" != "$old" ] && alive "$new" && break
    sleep 0.1
done
la=$(dhcp "$GA" "${TA}p")
if [ -n "$new" ] && [ "$new" != "$old" ] && alive "$new" && [[ $la == "ip=$IPA "* ]]; then
    ok "a killed dnsmasq ($old) is restarted by tick() ($new) and serves $IPA again"
else
    not_ok "dnsmasq restarted by tick()" "old $old new ${new:-none} lease '$la'"
fi

# ---- 10. a new host entry: the hosts file is rewritten, dnsmasq reloaded (SIGHUP, same pid)
old=$(dnsmasq_pid)
mkstate "$TMP/s-extra.json" extra_host=1
dpa_once "$TMP/s-extra.json" >/dev/null
if [ "$(dnsmasq_pid)" = "$old" ] && grep -q '^fa:16:3e:00:00:99,host-10-201-0-99,10.201.0.99$' \
    "$STATE/dhcp/$NET/hosts"; then
    ok "a new DHCP host entry reloads dnsmasq in place (pid $old kept)"
else
    not_ok "a new DHCP host entry reloads dnsmasq in place"
fi
kill -9 "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null
WATCH_PID=""

# ---- 11. an empty state removes everything the driver made (left: the
# base chains egress, ingress and zone of the inet table)
echo '{}' >"$TMP/empty.json"
pid=$(dnsmasq_pid)
dpa_once "$TMP/empty.json" >/dev/null
ip -n "$HOST" link del "tapx$TAG" 2>/dev/null
left=$(ip -n "$HOST" -br link | grep -c -e '^brq' -e '^tap')
chains=$(in_host nft -j list table inet nubis | jq '[.nftables[] | select(.chain) | .chain.name] | length')
if [ "$left" = 0 ] && ! ip netns list | grep -q "qdhcp-$NET" && ! alive "$pid" &&
    [ ! -d "$STATE/dhcp/$NET" ] && [ "$chains" = 3 ]; then
    ok "an empty state removes bridge, veths, dnsmasq, qdhcp-$NET and port chains"
else
    not_ok "an empty state removes everything" "devices $left, chains $chains"
fi

# ---- 12. the same through the network API: tests/dataplane/api.sh, in
# the host namespace (its own daemon, ports and guests); its tests count
echo "# tests/dataplane/api.sh (the network API drives the data plane)"
NUBIS_ABS=$NUBIS
case "$NUBIS_ABS" in /*) ;; *) NUBIS_ABS="$ROOT/$NUBIS_ABS" ;; esac
nsenter --net="/run/netns/$HOST" env HOST_NS="$HOST" DP_APPLY="$DPA" NUBIS="$NUBIS_ABS" \
    bash "$ROOT/tests/dataplane/api.sh" </dev/null 2>&1 | tee "$TMP/api.log" | sed 's/^/  /'
if [[ $(tail -n 1 "$TMP/api.log") =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    PASS=$((PASS + BASH_REMATCH[1]))
    FAIL=$((FAIL + BASH_REMATCH[2]))
else
    not_ok "tests/dataplane/api.sh did not finish"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
