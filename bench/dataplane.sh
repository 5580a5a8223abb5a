#!/bin/bash
# The data plane benchmark (root): how long the Linux bridge driver's
# apply() takes with 100 bound veth ports in one security group, in a
# private network namespace (nothing touches the machine's own).  Prints
# one table: the operation, the median and worst apply() time over
# BENCH_RUNS runs (as dp-apply measures it: reading the kernel's state,
# the diff, the ip/nft calls, DHCP), and what the nft transaction wrote.
#
#   bench/dataplane.sh          from anywhere, as root, after building
#                               dp-apply (a build with -Dtests=true)
#
# It builds nothing.  Environment:
#   DP_APPLY      the tool (default: build-bench/, build/ or build-test/
#                 tests/dataplane/dp-apply, the first that exists; a
#                 sanitizer build is slower, and the table says which ran)
#   BENCH_PORTS   ports (default 100)
#   BENCH_RUNS    runs per row (default 5)
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORTS=${BENCH_PORTS:-100}
RUNS=${BENCH_RUNS:-5}
log() { echo "bench: $*" >&2; }

DPA=${DP_APPLY:-}
if [ -z "$DPA" ]; then
    for b in build-bench build build-test; do
        [ -x "$ROOT/$b/tests/dataplane/dp-apply" ] && { DPA=$ROOT/$b/tests/dataplane/dp-apply; break; }
    done
fi
[ -n "$DPA" ] && [ -x "$DPA" ] || { log "no dp-apply: meson setup build-bench -Dbuildtype=release -Dtests=true && ninja -C build-bench tests/dataplane/dp-apply"; exit 1; }
[ "$(id -u)" -eq 0 ] || { log "needs root"; exit 1; }
for tool in ip nft dnsmasq jq nsenter; do
    command -v "$tool" >/dev/null || { log "$tool is missing (tests/dataplane/packages)"; exit 1; }
done

TMP=$(mktemp -d /tmp/nubis-bench-dp.XXXXXX)
HOST=nbbench$$
NET=$(cat /proc/sys/kernel/random/uuid)
cleanup() {
    echo '{}' >"$TMP/empty.json"
    nsenter --net="/run/netns/$HOST" "$DPA" --state-dir "$TMP/state" "$TMP/empty.json" \
        >/dev/null 2>&1
    ip netns del "$HOST" 2>/dev/null
    ip netns del "qdhcp-$NET" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$HOST" || exit 1

# mkstate FILE VARIANT: PORTS ports in one group; VARIANT changes a rule
# ("base", "rule": one more TCP rule, "member": one more remote-group
# member IP, "port": the last port gone)
mkstate() {
    jq -n --arg net "$NET" --argjson n "$PORTS" --arg v "$2" '
    def pid(i): "\(10000000 + i)-0000-4000-8000-000000000000";
    def ip(i): "10.99.\((i + 10) / 250 | floor).\((i + 10) % 250 + 1)";
    def mac(i): "fa:16:3e:00:\((i / 100 | floor) | tostring | if length < 2 then "0" + . else . end):\(i % 100 | tostring | if length < 2 then "0" + . else . end)";
    ([range(0; $n)] | if $v == "port" then .[:-1] else . end) as $idx |
    {networks: [{id: $net, mtu: 1500,
       subnets: [{id: "s1", cidr: "10.99.0.0/16", gateway_ip: "10.99.0.1"}],
       dhcp_port: {id: ("dddddddd" + $net[8:]), mac: "fa:16:3e:ff:ff:02", ips: ["10.99.0.2"]},
       dhcp_hosts: [$idx[] | {mac: mac(.), ip: ip(.)}]}],
     ports: [$idx[] | {id: pid(.), network_id: $net, mac: mac(.), ips: [ip(.)],
                       groups: ["g1"]}],
     groups: [{id: "g1",
               member_ips: ([$idx[] | ip(.)] + (if $v == "member" then ["10.98.0.1"] else [] end)),
               rules: ([{direction: "egress", ethertype: 4},
                        {direction: "ingress", ethertype: 4, protocol: 1},
                        {direction: "ingress", ethertype: 4, protocol: 6, port_min: 22,
                         port_max: 22, remote_group: "g1"}] +
                       (if $v == "rule" then [{direction: "ingress", ethertype: 4,
                          protocol: 6, port_min: 80, port_max: 80}] else [] end))}]}' >"$1"
}

# apply FILE...: the files applied in turn by ONE process (the first
# apply of a process reads the kernel's tables, as a daemon does at
# start; later ones diff against its last transaction, as a running
# daemon does); prints "ms|nft summary" of the last apply
apply() {
    local out ms sum
    out=$(nsenter --net="/run/netns/$HOST" "$DPA" --state-dir "$TMP/state" "$@" 2>"$TMP/err")
    ms=$(sed -n 's/^apply: \([0-9.]*\) ms$/\1/p' <<<"$out" | tail -n 1)
    sum=$(grep 'dataplane: nft:' "$TMP/err" | tail -n 1 | sed 's/.*dataplane: nft: //')
    [ -n "$ms" ] && ! grep -q 'apply: .*ms:' <<<"$out" ||
        { log "apply failed: $(tail -n 3 "$TMP/err")"; exit 1; }
    echo "$ms|$sum"
}

# row NAME SETUP FILE...: RUNS times: apply SETUP in its own process (if
# not ""), then time the last of FILE... applied by one process
row() {
    local name=$1 setup=$2 i res times=() sum=""
    shift 2
    for ((i = 0; i < RUNS; i++)); do
        [ -n "$setup" ] && apply "$setup" >/dev/null
        res=$(apply "$@")
        times+=("${res%%|*}")
        sum=${res#*|}
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" -v sum="$sum" '
        { t[NR] = $1 } END { printf "| %-52s | %9.1f | %9.1f | %s |\n", name, t[int((NR + 1) / 2)], t[NR], sum }'
}

for v in base rule member port; do mkstate "$TMP/$v.json" "$v"; done
first=$(apply "$TMP/base.json")
build=$(ldd "$DPA" | grep -q libasan && echo "ASan+UBSan build" || echo "no sanitizers")
B=$TMP/base.json
echo "dp-apply: $DPA ($build); $PORTS veth ports in one group, one network with DHCP; $RUNS runs per row"
echo
printf '| %-52s | %9s | %9s | %s |\n' "apply() of" "median ms" "worst ms" "nft transaction (last run)"
printf '|%s|%s|%s|%s|\n' "------------------------------------------------------" "-----------" "-----------" "-----------------------------"
printf '| %-52s | %9.1f | %9s | %s |\n' "first apply: $PORTS ports from nothing" "${first%%|*}" "-" "${first#*|}"
row "running daemon: the same state again" "" "$B" "$B"
row "running daemon: a rule added to the group" "" "$B" "$TMP/rule.json"
row "running daemon: a rule removed from the group" "" "$TMP/rule.json" "$B"
row "running daemon: a remote-group member IP added" "" "$B" "$TMP/member.json"
row "running daemon: one port of $PORTS unbound" "" "$B" "$TMP/port.json"
row "fresh daemon (reconcile): the same state" "$B" "$B"
row "fresh daemon (reconcile): a rule added to the group" "$B" "$TMP/rule.json"
