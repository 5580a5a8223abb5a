#!/bin/bash
# Every benchmark, one after the other, each printing its table:
#
#   bench/run.sh [AREA...]     AREA: identity image object network dataplane
#                              compute vm (default: all of them, in that order)
#
# It builds what the benchmarks run, once: the release daemon (build/,
# `make`) and, for the data plane, a release build of the test tool dp-apply
# (build-bench/, -Dtests=true).  The network bench runs twice: with the
# Linux bridge data plane (in a private namespace) and API only.  Each area's own script says what it
# measures and which environment variables it takes: bench/identity.sh,
# bench/image.sh, bench/object.sh, bench/network.sh, bench/dataplane.sh,
# bench/compute.sh, bench/vm.sh (real QEMU guests under TCG).
# The data plane bench needs root (it works in a private namespace).
# Exit status: non-zero when any area failed; the areas that did are named
# at the end.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
AREAS=${*:-identity image object network dataplane compute vm}
failed=()

make -s build >/dev/null || { echo "bench: make failed" >&2; exit 1; }
case " $AREAS " in
*" dataplane "*|*" network "*|*" vm "*)
    if [ ! -f build-bench/build.ninja ]; then
        meson setup build-bench -Dbuildtype=release -Dtests=true >/dev/null || exit 1
    fi
    ninja -C build-bench --quiet tests/dataplane/dp-apply || exit 1
    ;;
esac

for area in $AREAS; do
    script=bench/$area.sh
    [ -x "$script" ] || { echo "bench: no such area '$area'" >&2; failed+=("$area"); continue; }
    printf '\n=== %s (%s)\n' "$area" "$script"
    case $area in
    dataplane|vm) DP_APPLY=${DP_APPLY:-$ROOT/build-bench/tests/dataplane/dp-apply} "$script" ;;
    # the port create rate with the data plane bound, then API only
    network) NUBIS_DATAPLANE=linuxbridge "$script" && NUBIS_DATAPLANE=none "$script" ;;
    *) "$script" ;;
    esac || failed+=("$area")
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "bench: failed: ${failed[*]}"
    exit 1
fi
