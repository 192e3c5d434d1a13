#!/usr/bin/env bash
# make test: install what the tests need, lint, then run the whole suite on SQLite and on a
# throwaway PostgreSQL cluster (browser tests in headless Chromium), and stop the cluster
# whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.."
set -e
bash scripts/system-deps.sh
bash scripts/venv.sh dev
bash scripts/assets.sh
set +e

status=0
step() { echo; echo "== $*"; }

step "lint: ruff, mypy, import-linter"
.venv/bin/ruff check . || status=1
.venv/bin/ruff format --check . || status=1
.venv/bin/mypy || status=1
.venv/bin/lint-imports || status=1

pgdir=$(mktemp -d /tmp/portal-pg.XXXXXX)
trap 'bash scripts/pg.sh stop "$pgdir"' EXIT INT TERM
if ! pg_url=$(PG_FAST=1 bash scripts/pg.sh start "$pgdir"); then
  echo "could not start PostgreSQL" >&2
  cat "$pgdir"/*.log >&2 2>/dev/null
  exit 1
fi
export PORTAL_TEST_PG_URL="$pg_url"

# Two lanes side by side, one core each: SQLite (the embedded default) and then the browser
# journeys in headless Chromium; PostgreSQL with everything but the browser journeys and the pure
# unit tests under tests/unit (no database in them: running them twice proves nothing more).
# Each lane's output is printed when it ends.
logs=$(mktemp -d /tmp/portal-test-logs.XXXXXX)
step "tests on SQLite (then the browser journeys) and on PostgreSQL, side by side"
( PORTAL_TEST_DB=sqlite .venv/bin/python -m pytest -m "not e2e" --durations=10 \
    --basetemp="$logs/tmp-sqlite" "$@" >"$logs/sqlite.log" 2>&1
  echo $? >"$logs/sqlite.rc"
  PORTAL_TEST_DB=sqlite .venv/bin/python -m pytest -m e2e --basetemp="$logs/tmp-e2e" "$@" \
    >"$logs/e2e.log" 2>&1
  echo $? >"$logs/e2e.rc" ) &
sqlite_pid=$!
( PORTAL_TEST_DB=postgresql .venv/bin/python -m pytest -m "not e2e" --ignore=tests/unit \
    --durations=10 --basetemp="$logs/tmp-pg" "$@" >"$logs/pg.log" 2>&1
  echo $? >"$logs/pg.rc" ) &
pg_pid=$!
wait $sqlite_pid $pg_pid
for lane in sqlite e2e pg; do
  case $lane in
    sqlite) step "tests on SQLite" ;;
    e2e) step "browser journeys (headless Chromium, axe) on SQLite" ;;
    pg) step "tests on PostgreSQL" ;;
  esac
  cat "$logs/$lane.log"
  [ "$(cat "$logs/$lane.rc" 2>/dev/null)" = 0 ] || status=1
done
rm -rf "$logs"

echo
if [ $status -eq 0 ]; then echo "make test: everything passed"; else echo "make test: FAILED"; fi
exit $status
