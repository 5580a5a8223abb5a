#!/bin/bash
# The data plane driven through the network API (root): a daemon with
# [network] dataplane_driver = linuxbridge in a private "host" network
# namespace, two guest namespaces plugged into ports created through the
# Neutron API (binding:host_id = this host, binding:profile {"vif_type":
# "veth"}).  Shows: DHCP hands the guests their Neutron-assigned IPs;
# they ping each other with an ingress ICMP rule and not once it is
# deleted; a guest with another MAC or IP is dropped; `kill -9` of the
# daemon leaves a continuous ping flowing, and the restarted daemon
# reconciles (strays removed, nothing rewritten) without a gap, measured.
#
#   tests/dataplane/api.sh        run by tests/dataplane/run.sh, which
#                                 passes HOST_NS (the namespace to run in)
#
# Environment: NUBIS, DP_APPLY (as run.sh), HOST_NS.  The last line is
# "N passed, M failed".
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
DPA=${DP_APPLY:?}
HOST_NS=${HOST_NS:?}
# shellcheck source=lib.sh
. "$ROOT/tests/dataplane/lib.sh"
# shellcheck source=../api/daemon.sh
. "$ROOT/tests/api/daemon.sh"

TMP=$(mktemp -d /tmp/nubis-dataplane-api.XXXXXX)
GA=${HOST_NS}-ga
GB=${HOST_NS}-gb
PINGER=""
NET=""

# This script runs in the host namespace (run.sh starts it with nsenter):
# the daemon and curl are there; the guests are reached with `ip netns exec`.
cleanup() {
    set +e
    [ -n "$PINGER" ] && kill "$PINGER" 2>/dev/null
    # the daemon first (it would apply again), then the driver removes what
    # it made (bridges, veths, dnsmasq, qdhcp namespaces): the same state
    # dir, an empty state; then the daemon's files
    if [ -n "$PID" ]; then
        kill -9 "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
        PID=""
    fi
    if [ -n "${STATE:-}" ] && [ -d "$STATE/network" ]; then
        echo '{}' >"$TMP/empty.json"
        "$DPA" --state-dir "$STATE/network" "$TMP/empty.json" >/dev/null 2>&1
    fi
    daemon_cleanup
    [ -n "$NET" ] && ip netns del "qdhcp-$NET" 2>/dev/null
    ip netns del "$GA" 2>/dev/null
    ip netns del "$GB" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dp_lib_init
ip netns add "$GA" && ip netns add "$GB" || { echo "0 passed, 1 failed"; exit 1; }

# The daemon; its state dir's network/ is the driver's
export NUBIS_DATAPLANE=linuxbridge
daemon_start nubis-dp-api
HOSTNAME_=$(hostname)

TOKEN=$(curl -s -i -H 'Content-Type: application/json' "$URL/identity/v3/auth/tokens" -d "{
  \"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"name\": \"admin\",
   \"domain\": {\"id\": \"default\"}, \"password\": \"$PASSWORD\"}}},
   \"scope\": {\"project\": {\"name\": \"admin\", \"domain\": {\"id\": \"default\"}}}}}" |
    tr -d '\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p')
[ -n "$TOKEN" ] || daemon_fail_setup "no token"
NURL=$URL/network/v2.0
# api METHOD PATH [BODY]: the JSON reply (or nothing)
api() {
    curl -s -X "$1" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
        "$NURL$2" ${3:+-d "$3"}
}

NET=$(api POST /networks '{"network": {"name": "dp-api"}}' | jq -r .network.id)
SUBNET=$(api POST /subnets "{\"subnet\": {\"network_id\": \"$NET\", \"ip_version\": 4,
    \"cidr\": \"10.203.0.0/24\", \"gateway_ip\": \"10.203.0.1\",
    \"dns_nameservers\": [\"10.203.0.53\"]}}" | jq -r .subnet.id)
SG=$(api POST /security-groups '{"security_group": {"name": "dp-api"}}' | jq -r .security_group.id)
port() {
    api POST /ports "{\"port\": {\"network_id\": \"$NET\", \"name\": \"$1\",
        \"binding:host_id\": \"$HOSTNAME_\", \"binding:profile\": {\"vif_type\": \"veth\"},
        \"security_groups\": [\"$SG\"]}}"
}
PA_JSON=$(port guest-a)
PB_JSON=$(port guest-b)
PA=$(jq -r .port.id <<<"$PA_JSON")
PB=$(jq -r .port.id <<<"$PB_JSON")
IPA=$(jq -r '.port.fixed_ips[0].ip_address' <<<"$PA_JSON")
IPB=$(jq -r '.port.fixed_ips[0].ip_address' <<<"$PB_JSON")
MACA=$(jq -r .port.mac_address <<<"$PA_JSON")
TA=tap${PA:0:11}
TB=tap${PB:0:11}
echo "# network $NET subnet $SUBNET group $SG; ports $PA ($IPA) $PB ($IPB)"

# ---- 1. binding the ports to this host creates their veths; DHCP gives
# the guests the addresses Neutron assigned
for _ in $(seq 100); do
    ip -n "$HOST_NS" link show "${TA}p" >/dev/null 2>&1 &&
        ip -n "$HOST_NS" link show "${TB}p" >/dev/null 2>&1 && break
    sleep 0.1
done
ip -n "$HOST_NS" link set "${TA}p" netns "$GA" 2>/dev/null
ip -n "$HOST_NS" link set "${TB}p" netns "$GB" 2>/dev/null
la=$(dhcp "$GA" "${TA}p")
lb=$(dhcp "$GB" "${TB}p")
if [[ $la == "ip=$IPA mask=24 router=10.203.0.1 dns=10.203.0.53 "* ]] &&
    [[ $lb == "ip=$IPB mask=24 router=10.203.0.1 dns=10.203.0.53 "* ]]; then
    ok "ports bound through the API: veths made, DHCP gives $IPA and $IPB"
else
    not_ok "DHCP of API ports" "a: '$la' (want $IPA) b: '$lb' (want $IPB)"
fi

# wait_for CMD...: until CMD succeeds (10 s at most)
wait_for() {
    for _ in $(seq 50); do "$@" && return 0; sleep 0.2; done
    return 1
}

# ---- 2. ICMP: dropped with only the new group's default rules, passes
# with an ingress ICMP rule, dropped again once it is deleted
if ping_fails "$GA" "$IPB"; then ok "no ping without an ICMP rule"; else not_ok "no ping without an ICMP rule"; fi
RULE=$(api POST /security-group-rules "{\"security_group_rule\": {\"security_group_id\": \"$SG\",
    \"direction\": \"ingress\", \"ethertype\": \"IPv4\", \"protocol\": \"icmp\"}}" |
    jq -r .security_group_rule.id)
if wait_for ping_ok "$GA" "$IPB" && ping_ok "$GB" "$IPA"; then
    ok "ping both ways once an ingress ICMP rule is created ($RULE)"
else
    not_ok "ping with an ICMP rule"
fi
api DELETE "/security-group-rules/$RULE" >/dev/null
ping_gone() { ping_fails "$GA" "$IPB"; }
if wait_for ping_gone; then ok "no ping once the rule is deleted"; else not_ok "no ping once the rule is deleted"; fi
api POST /security-group-rules "{\"security_group_rule\": {\"security_group_id\": \"$SG\",
    \"direction\": \"ingress\", \"ethertype\": \"IPv4\", \"protocol\": \"icmp\"}}" >/dev/null
wait_for ping_ok "$GA" "$IPB"

# ---- 3. spoofing
ip netns exec "$GA" ip link set "${TA}p" address fa:16:3e:66:66:66
ip netns exec "$GA" ip neigh flush dev "${TA}p"
if ping_fails "$GA" "$IPB"; then ok "a guest with another MAC is dropped"; else not_ok "a guest with another MAC is dropped"; fi
ip netns exec "$GA" ip link set "${TA}p" address "$MACA"
ip netns exec "$GA" ip addr add 10.203.0.250/24 dev "${TA}p"
if ! ip netns exec "$GA" ping -c 3 -i 0.2 -W 1 -I 10.203.0.250 "$IPB" >/dev/null 2>&1 &&
    ping_ok "$GA" "$IPB"; then
    ok "a guest sending from another IP is dropped"
else
    not_ok "a guest sending from another IP is dropped"
fi
ip netns exec "$GA" ip addr del 10.203.0.250/24 dev "${TA}p"

# ---- 4. kill -9 of the daemon: pings flow; a restart reconciles without a gap
ip netns exec "$GA" ping -i 0.05 -c 240 -W 1 "$IPB" >"$TMP/ping.log" 2>&1 &
PINGER=$!
sleep 1
kill -9 "$PID"
wait "$PID" 2>/dev/null
# a stray of this daemon (its alias): a port it no longer has
ip -n "$HOST_NS" link add "tapstray$$" type veth peer name "tapstray$$p"
ip -n "$HOST_NS" link set dev "tapstray$$" alias "$(ip -j link show "$TA" | jq -r '.[0].ifalias')"
sleep 2
mark=$(($(wc -l <"$LOG") + 1))
"$NUBIS" serve --state-dir "$STATE" --listen "$LISTEN" >>"$LOG" 2>&1 &
PID=$!
wait_for curl -s -o /dev/null "$URL/identity/v3"
applied() { tail -n +"$mark" "$LOG" | grep -q 'dataplane: nft:'; }
wait_for applied
wait "$PINGER"
PINGER=""
recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMP/ping.log")
sum=$(tail -n +"$mark" "$LOG" | grep 'dataplane: nft:' | head -n 1 | sed 's/.*dataplane: nft: //')
echo "# kill -9 + restart: $(grep transmitted "$TMP/ping.log"); restart: $sum"
if [ "${recv:-0}" = 240 ] && ! ip -n "$HOST_NS" link show "tapstray$$" >/dev/null 2>&1 &&
    [[ $sum == "0 chains written, 0 removed, 0 sets written, 0 map elements changed"* ]]; then
    ok "kill -9 of the daemon and a restart: 240/240 pings at 50 ms, stray removed, nothing rewritten"
else
    not_ok "kill -9 and restart without a gap" "received ${recv:-?}/240; nft: $sum"
fi

# ---- 5. deleting a port through the API unplugs it
api DELETE "/ports/$PB" >/dev/null
tb_gone() { ! ip link show "$TB" >/dev/null 2>&1 && ! ip -n "$GB" link show "${TB}p" >/dev/null 2>&1; }
if wait_for tb_gone && ! nft list ruleset | grep -q "$PB"; then
    ok "a deleted port's veth and rules are gone"
else
    not_ok "a deleted port's veth and rules are gone"
fi

echo "$PASS passed, $FAIL failed" >"$TMP/result"
cat "$TMP/result"
suite_finish "$TMP/result" "the data plane API scenario"
