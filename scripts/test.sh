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

step "tests on SQLite (the embedded default), with the browser journeys"
PORTAL_TEST_DB=sqlite .venv/bin/python -m pytest "$@" || status=1

step "tests on PostgreSQL"
PORTAL_TEST_DB=postgresql .venv/bin/python -m pytest -m "not e2e" "$@" || status=1

echo
if [ $status -eq 0 ]; then echo "make test: everything passed"; else echo "make test: FAILED"; fi
exit $status
