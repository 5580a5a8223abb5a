#!/bin/bash
# The identity API suite: starts a fresh daemon (temp state dir, free port),
# bootstraps it, runs tests/api/test_*.py against it over HTTP, stops it.
#
#   tests/api/run.sh [-k SUBSTRING]...     from the repo root, after ninja -C build
#
# Environment:
#   NUBIS         the executable (default build/nubis)
#   NUBIS_DB      sqlite (default) or postgresql
#   NUBIS_PG_URI  with postgresql: a libpq URI of a server where the run may
#                 create a database; the run uses a fresh database (dropped
#                 afterwards), or a fresh schema when it may not create one
#   NUBIS_KEEP=1  keep the state directory (it is kept anyway on failure)
#
# The last line is "N passed, M failed"; the exit status is non-zero when
# M > 0.  A daemon that dies, exits badly on SIGTERM or logs a sanitizer
# report counts as one more failure, with its log shown.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
. "$ROOT/tests/api/daemon.sh"
export PYTHONDONTWRITEBYTECODE=1
trap daemon_cleanup EXIT
trap 'exit 130' INT TERM

daemon_start nubis-api

OUT="$STATE/tests.out"
NUBIS_URL="$URL" NUBIS_ADMIN_PASSWORD="$PASSWORD" NUBIS_BIN="$NUBIS" \
NUBIS_STATE_DIR="$STATE" "$PY" "$ROOT/tests/api/runner.py" "$@" | tee "$OUT"
suite_finish "$OUT" "the test runner"
