#!/bin/bash
# The end-to-end scenarios with Debian's `openstack` CLI: starts a fresh
# daemon (as tests/api/run.sh does), sources its openrc, and runs
# tests/e2e/identity.py (token issue, catalog list, project/user create,
# role add, a token as the new user, and more), then tests/e2e/image.py
# (qcow2 and raw uploads, set/unset, tags, save, sharing, delete), then
# tests/e2e/object.py (openstack container/object, the swift CLI: SLO/DLO,
# temp URLs, versions), then
# tests/e2e/network.py (networks, subnets, ports, security groups and
# rules, IP availability), then tests/e2e/compute.py (flavors, keypairs,
# servers on a network with the fake driver: stop/start/reboot, resize,
# snapshot, 20 at once, a quota refusal).
#
#   tests/e2e/run.sh               from the repo root, after ninja -C build
#
# Environment: NUBIS, NUBIS_DB, NUBIS_PG_URI, NUBIS_KEEP as for
# tests/api/run.sh.  The last line is "N passed, M failed"; the exit status
# is non-zero when M > 0.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
. "$ROOT/tests/api/daemon.sh"
export PYTHONDONTWRITEBYTECODE=1
trap daemon_cleanup EXIT
trap 'exit 130' INT TERM

[ -x /usr/bin/openstack ] || { log "/usr/bin/openstack is missing (python3-openstackclient)"; echo "0 passed, 1 failed"; exit 1; }

daemon_start nubis-e2e

# the admin's credentials, as a user of the cloud would get them
"$NUBIS" openrc --state-dir "$STATE" --listen "$LISTEN" > "$STATE/openrc" ||
    daemon_fail_setup "nubis openrc failed"
# shellcheck disable=SC1091
. "$STATE/openrc"
# a clean CLI: no clouds.yaml, no cache, no keyring from the host
export OS_CLOUD="" HOME="$STATE/home" XDG_CACHE_HOME="$STATE/home/.cache"
mkdir -p "$HOME"

# each scenario ends with "N passed, M failed"; the suite sums them (a
# scenario that did not finish counts as one failure)
OUT="$STATE/e2e.out"
passed=0
failed=0
for scenario in identity image object network compute; do
    /usr/bin/python3 "$ROOT/tests/e2e/$scenario.py" | tee "$STATE/e2e-$scenario.out"
    if [[ "$(tail -n 1 "$STATE/e2e-$scenario.out")" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
    else
        log "the $scenario scenario did not finish"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed" > "$OUT"
suite_finish "$OUT" "the scenarios"
