#!/usr/bin/env bash
# Runs every test suite against one build and ends with exactly one line,
#     N passed, M failed
# summed over all suites; exits non-zero when M > 0.
#
#   tests/run-all.sh [BUILD_DIR]        default: build-test (see `make test`)
#
# Suites, in order (SUITES="unit api-sqlite ..." runs a subset):
#   unit            tests/unit: every cmocka binary in BUILD_DIR/tests/unit,
#                   counted test by test from its TAP output
#   unit-postgresql the unit binaries that use a database (UNIT_DB_TESTS),
#                   again on a throwaway PostgreSQL (NUBIS_TEST_PG_URI)
#   cli             the subcommands `make run` relies on (config-sample ==
#                   etc/nubis.conf.sample, bootstrap twice, openrc,
#                   token-rotate, unknown option rejected)
#   api-sqlite      tests/api/run.sh with NUBIS_DB=sqlite
#   api-postgresql  tests/api/run.sh with NUBIS_DB=postgresql and a throwaway
#                   server from tests/lib/pg.sh: NUBIS_PG_URI names a database
#                   as a role that may create more (also PGHOST, PGPORT)
#   e2e             tests/e2e/run.sh with NUBIS_DB=sqlite
#   dataplane       tests/dataplane/run.sh (root): the Linux bridge data
#                   plane driven by BUILD_DIR/tests/dataplane/dp-apply
#   virt            tests/virt/run.sh (root): the libvirt virt driver with a
#                   real TCG guest driven by BUILD_DIR/tests/virt/virt-boot
#   vm              tests/vm/run.sh (root): real QEMU guests (TCG) through
#                   the libvirt driver with the openstack CLI; the test
#                   guest is built once into BUILD_DIR/guest
# A script suite gets NUBIS (the binary under test), NUBIS_DB (and
# NUBIS_PG_URI with postgresql), runs from the repository root with no
# standard input, and ends its output with its own "N passed, M failed".
# A suite whose script does not exist yet is skipped with a note, not
# counted.  Logs go to BUILD_DIR/test-logs/.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$root/build-test}" 2>/dev/null && pwd) || {
    echo "run-all: no build directory ${1:-$root/build-test} (run \`make test\`)" >&2
    echo "0 passed, 1 failed"
    exit 1
}
cd "$root" || exit 1

export NUBIS=${NUBIS:-$build/nubis}
# Sanitizer builds: report leaks, stop at the first undefined behaviour.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
SUITES=${SUITES:-unit unit-postgresql cli api-sqlite api-postgresql e2e dataplane virt vm}
# the unit binaries that use a database (see tests/unit/nbt.h, nbt_db_url)
UNIT_DB_TESTS=${UNIT_DB_TESTS:-test_db test_resource test_revoke test_net_dataplane test_compute_quota test_image_export}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-120}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-1800}

logs=$build/test-logs
rm -rf "$logs"
mkdir -p "$logs"

total_pass=0
total_fail=0
declare -a summary=()

# Records a suite's result: name, passed, failed, note.
nb_result() {
    total_pass=$((total_pass + $2))
    total_fail=$((total_fail + $3))
    summary+=("$(printf '  %-16s %5d passed %4d failed  %s' "$1" "$2" "$3" "${4:-}")")
}

# ---- unit: one cmocka binary per area, TAP on stdout

# Runs a unit binary (with an optional test name pattern) in a temp cwd, so
# that a developer's ./state/nubis.conf cannot leak in; appends its TAP to
# $1.tap and its stderr to $1.err; returns its exit status.
nb_unit_exec() {
    local log=$1 exe=$2 tmp rc
    shift 2
    tmp=$(mktemp -d /tmp/nubis-unit-cwd.XXXXXX)
    # the outer subshell's stderr hides bash's own "Aborted"/"Alarm clock"
    # notes; the binary's stderr goes to the log
    (
        cd "$tmp" &&
            CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 10 "$UNIT_TIMEOUT" "$exe" "$@" \
                >>"$log.tap" 2>>"$log.err"
        exit $?
    ) 2>/dev/null
    rc=$?
    rm -rf "$tmp"
    return $rc
}

nb_tap_count() {        # nb_tap_count FILE 'ok|not ok'
    grep -c "^$2 " "$1"
}

nb_unit_one() {
    local exe=$1 name log rc plan pass fail seen names i crashed=""
    name=$(basename "$exe")
    log=$logs/$2-$name.log
    : >"$log.tap"
    : >"$log.err"
    nb_unit_exec "$log" "$exe"
    rc=$?
    plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$log.tap" | head -n 1)
    pass=$(nb_tap_count "$log.tap" ok)
    fail=$(nb_tap_count "$log.tap" "not ok")
    seen=$((pass + fail))
    if [ "$seen" -lt "${plan:-0}" ]; then
        # A crash (sanitizer report, signal, timeout) stopped the binary in
        # test number seen+1: that one failed; run the rest one at a time.
        mapfile -t names < <("$exe" --list)
        crashed=${names[$seen]:-?}
        fail=$((fail + 1))
        echo "not ok - $crashed (crashed: exit $rc)" >>"$log.tap"
        for ((i = seen + 1; i < ${#names[@]}; i++)); do
            local before_ok before_nok
            before_ok=$(nb_tap_count "$log.tap" ok)
            before_nok=$(nb_tap_count "$log.tap" "not ok")
            nb_unit_exec "$log" "$exe" "${names[$i]}"
            if [ "$(nb_tap_count "$log.tap" ok)" -gt "$before_ok" ]; then
                pass=$((pass + 1))
            else
                fail=$((fail + 1))
                [ "$(nb_tap_count "$log.tap" "not ok")" -gt "$before_nok" ] ||
                    echo "not ok - ${names[$i]} (crashed)" >>"$log.tap"
            fi
        done
    elif [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        # every test passed, yet the binary failed: a leak report at exit
        fail=1
    elif [ -z "$plan" ] && [ "$seen" -eq 0 ]; then
        fail=1          # no TAP at all: it did not start
    fi
    cat "$log.tap" "$log.err" >"$log"
    rm -f "$log.tap" "$log.err"
    printf '  %-22s %4d passed %3d failed' "$name" "$pass" "$fail"
    if [ -n "$crashed" ]; then
        printf '  (crashed in %s)' "$crashed"
    elif [ "$rc" -eq 124 ]; then
        printf '  (timed out after %ss)' "$UNIT_TIMEOUT"
    elif [ "$rc" -ne 0 ]; then
        printf '  (exit %d)' "$rc"
    fi
    echo
    if [ "$fail" -gt 0 ]; then
        # the failing cases and what the sanitizers said, not the whole log
        grep -E '^not ok |^# |ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|SUMMARY:' \
            "$log" | grep -v '^# \(not \)\?ok - ' | head -n 40 | sed 's/^/      /'
        echo "      full log: $log"
    fi
    unit_pass=$((unit_pass + pass))
    unit_fail=$((unit_fail + fail))
}

# nb_suite_unit NAME [BINARY...]: the named binaries, or all of them
nb_suite_unit() {
    local name=$1 exes exe
    shift
    unit_pass=0
    unit_fail=0
    echo "== $name (cmocka, $(basename "$build")${NUBIS_TEST_PG_URI:+, PostgreSQL})"
    if [ $# -gt 0 ]; then
        exes=("${@/#/$build/tests/unit/}")
    else
        mapfile -t exes < <(find "$build/tests/unit" -maxdepth 1 -type f -name 'test_*' \
                                -perm -u+x 2>/dev/null | sort)
    fi
    if [ "${#exes[@]}" -eq 0 ] || [ ! -x "${exes[0]}" ]; then
        echo "  no unit test binaries in $build/tests/unit (configure with -Dtests=true)"
        nb_result "$name" 0 1 "no binaries"
        return
    fi
    for exe in "${exes[@]}"; do
        nb_unit_one "$exe" "$name"
    done
    nb_result "$name" "$unit_pass" "$unit_fail"
}

# One throwaway PostgreSQL for every suite that wants one, started on first
# use and removed on exit.
pg_state=""
nb_pg_ensure() {
    if [ -z "$pg_state" ]; then
        # shellcheck source=lib/pg.sh
        . "$root/tests/lib/pg.sh"
        trap nb_pg_stop EXIT
        if nb_pg_start; then pg_state=up; else pg_state=down; fi
    fi
    [ "$pg_state" = up ]
}

nb_suite_unit_postgresql() {
    if ! nb_pg_ensure; then
        echo "== unit-postgresql: could not start PostgreSQL; counted as 1 failure"
        nb_result unit-postgresql 0 1 "PostgreSQL did not start"
        return
    fi
    NUBIS_TEST_PG_URI=$NUBIS_PG_URI nb_suite_unit unit-postgresql $UNIT_DB_TESTS
}

# ---- cli: the subcommands `make run` relies on, on the binary under test

nb_cli_sample() {
    "$NUBIS" config-sample | cmp - "$root/etc/nubis.conf.sample" ||
        { echo "etc/nubis.conf.sample is stale: run \`make sample\`"; return 1; }
}

nb_cli_usage() {
    "$NUBIS" --help | grep -q config-sample || return 1
    "$NUBIS"; [ $? -eq 2 ] || return 1
    "$NUBIS" no-such-command; [ $? -eq 2 ]
}

nb_cli_bootstrap_idempotent() {
    local st=$1/bs
    "$NUBIS" bootstrap --state-dir "$st" --listen 127.0.0.1:1 && return 1   # needs a password
    "$NUBIS" bootstrap --state-dir "$st" --listen 127.0.0.1:1 --admin-password 'pw-1' || return 1
    "$NUBIS" bootstrap --state-dir "$st" --listen 127.0.0.1:2 --admin-password 'pw-1' || return 1
    [ "$(cat "$st/admin-password")" = pw-1 ] || return 1
    [ "$(stat -c %a "$st/admin-password")" = 600 ]
}

nb_cli_openrc() {
    local st=$1/rc out
    "$NUBIS" openrc --state-dir "$st" && return 1        # not bootstrapped yet
    "$NUBIS" bootstrap --state-dir "$st" --listen 127.0.0.1:5999 --admin-password 'pw-2' ||
        return 1
    out=$("$NUBIS" openrc --state-dir "$st" --listen 127.0.0.1:5999) || return 1
    echo "$out"
    grep -qx 'export OS_AUTH_URL=http://127.0.0.1:5999/identity/v3' <<<"$out" &&
        grep -qx "export OS_PASSWORD='pw-2'" <<<"$out" &&
        grep -qx 'export OS_USERNAME=admin' <<<"$out"
}

nb_cli_token_rotate() {
    local st=$1/tr i
    "$NUBIS" bootstrap --state-dir "$st" --admin-password pw || return 1
    for i in 1 2 3 4; do
        "$NUBIS" token-rotate --state-dir "$st" || return 1
    done
    # keys 1..5 made, [token] max_active_keys = 3 kept: the newest
    [ "$(ls "$st/keys" | sort -n | tr '\n' ' ')" = "3 4 5 " ]
}

nb_cli_unknown_option_rejected() {
    local st=$1/bad out rc
    mkdir -p "$st"
    printf '[token]\nexpiraton = 5\n' >"$st/nubis.conf"
    out=$("$NUBIS" openrc --state-dir "$st" 2>&1)
    rc=$?
    echo "$out"
    [ "$rc" -eq 1 ] && grep -q 'unknown option \[token\] expiraton' <<<"$out"
}

nb_suite_cli() {
    local tmp check pass=0 fail=0 log=$logs/cli.log
    echo "== cli ($NUBIS)"
    tmp=$(mktemp -d /tmp/nubis-cli.XXXXXX)
    for check in sample usage bootstrap_idempotent openrc token_rotate \
                 unknown_option_rejected; do
        echo "---- $check" >>"$log"
        if (cd "$tmp" && "nb_cli_$check" "$tmp") >>"$log" 2>&1; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "  FAIL $check (see $log)"
        fi
    done
    rm -rf "$tmp"
    printf '  %d passed %d failed\n' "$pass" "$fail"
    nb_result cli "$pass" "$fail"
}

# ---- script suites (api, e2e): their last "N passed, M failed" line

# nb_suite_script NAME SCRIPT [VAR=VALUE...]
nb_suite_script() {
    local name=$1 script=$2 log line pass fail rc start
    shift 2
    if [ ! -f "$script" ]; then
        echo "== $name: $script not found; skipped (not counted)"
        summary+=("$(printf '  %-16s skipped: %s not found' "$name" "$script")")
        return
    fi
    log=$logs/$name.log
    echo "== $name: $* $script"
    start=$SECONDS
    if [ -x "$script" ]; then
        set -- "$@" "./$script"
    else
        set -- "$@" bash "$script"
    fi
    timeout -k 10 "$SUITE_TIMEOUT" env "$@" </dev/null 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "  $name: no \"N passed, M failed\" line (exit $rc); counted as 1 failure"
        nb_result "$name" 0 1 "no result line, exit $rc"
        return
    fi
    pass=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
    fail=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
    if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        echo "  $name: exited $rc with no failure counted; counted as 1 failure"
        fail=1
    fi
    nb_result "$name" "$pass" "$fail" "($((SECONDS - start))s)"
}

nb_suite_api_postgresql() {
    local script=tests/api/run.sh
    if [ ! -f "$script" ]; then
        nb_suite_script api-postgresql "$script"
        return
    fi
    if ! nb_pg_ensure; then
        echo "== api-postgresql: could not start PostgreSQL; counted as 1 failure"
        nb_result api-postgresql 0 1 "PostgreSQL did not start"
        return
    fi
    nb_suite_script api-postgresql "$script" NUBIS_DB=postgresql
}

start_all=$SECONDS
for suite in $SUITES; do
    case $suite in
    unit) nb_suite_unit unit ;;
    unit-postgresql) nb_suite_unit_postgresql ;;
    cli) nb_suite_cli ;;
    api-sqlite) nb_suite_script api-sqlite tests/api/run.sh NUBIS_DB=sqlite ;;
    api-postgresql) nb_suite_api_postgresql ;;
    e2e) nb_suite_script e2e tests/e2e/run.sh NUBIS_DB=sqlite ;;
    dataplane) nb_suite_script dataplane tests/dataplane/run.sh ;;
    virt) nb_suite_script virt tests/virt/run.sh ;;
    vm) nb_suite_script vm tests/vm/run.sh ;;
    *)
        echo "run-all: unknown suite '$suite'"
        nb_result "$suite" 0 1 "unknown suite"
        ;;
    esac
done

echo "== summary ($((SECONDS - start_all))s, logs in $logs)"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
