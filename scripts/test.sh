#!/usr/bin/env bash
# Install everything, lint, then run the whole test suite twice: on SQLite, and on a
# throwaway PostgreSQL + Redis of its own (loopback, temporary directory, stopped after).
# Tests marked "once" (every "process" test among them: see pytest.ini) give the same
# result on either database, so only the PostgreSQL pass runs them; it runs every test.
# Extra arguments go to pytest, e.g. scripts/test.sh -k ledger -x
# TG_SKIP_LINT=1 skips ruff, lint-imports and mypy (for a quick partial run while editing).
# scripts/test.sh -m browser runs only the browser tests (and rewrites screenshots/).
#
# The quick loop while editing: scripts/test.sh --quick [PYTEST ARGS] — no lint, SQLite
# only, without the browser tests and the tests that start child processes or servers
# (-m "not browser and not process"; an -m of your own replaces that), e.g.
#   scripts/test.sh --quick -x
#   scripts/test.sh --quick -k ledger
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

QUICK=0
if [ "${1:-}" = --quick ]; then
    QUICK=1
    shift
fi

ensure_venv
PY="$VENV/bin/python"

if [ "$QUICK" = 1 ]; then
    echo "==> quick loop: tests on SQLite, without browser and process tests"
    exec env -u DATABASE_URL -u REDIS_URL "$PY" -m pytest -q \
        -m "not browser and not process" "$@"
fi

ensure_chromium

if [ "${TG_SKIP_LINT:-0}" != 1 ]; then
    echo "==> ruff check and format"
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    echo "==> import layers (lint-imports; contracts in pyproject.toml)"
    "$VENV/bin/lint-imports" --no-cache
    echo "==> mypy (every app; pyproject.toml)"
    env -u DATABASE_URL -u REDIS_URL "$VENV/bin/mypy"
fi

echo "==> migrations are up to date"
env -u DATABASE_URL -u REDIS_URL "$PY" manage.py makemigrations --check --dry-run \
    --settings=tg.settings.test

echo "==> tests on SQLite (the tests marked once run on PostgreSQL below)"
env -u DATABASE_URL -u REDIS_URL TG_SKIP_ONCE=1 "$PY" -m pytest -q "$@"

WORK="$(mktemp -d /tmp/tg-test.XXXXXX)"
cleanup() {
    set +e
    [ -n "${PG_STOP:-}" ] && "${PG_STOP[@]}" >/dev/null 2>&1
    [ -f "$WORK/redis.pid" ] && kill "$(cat "$WORK/redis.pid")" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
chmod 755 "$WORK"
start_postgres "$WORK/pg"
start_redis "$WORK"

echo "==> tests on PostgreSQL with Redis"
DATABASE_URL="$PG_URL" REDIS_URL="$REDIS_TEST_URL" TG_REQUIRE_SERVICES=1 \
    "$PY" -m pytest -q "$@"

# No test may depend on the day it runs: the tests that read the clock (marker "dates")
# run again with it moved to a new year, a leap day and the last minute of a year, in one
# pytest process (each test once per moment, grouped by moment; see conftest.py). Not the
# "process" ones: their child reads the real clock, so the clock stays real for them too
# (conftest.py) and the pass above already ran them exactly so.
if [ "$#" -eq 0 ]; then
    moments=2027-01-01T00:00:00+00:00,2028-02-29T12:00:00+00:00,2026-12-31T23:59:00+00:00
    echo "==> tests that read the clock, at ${moments//,/, }"
    DATABASE_URL="$PG_URL" REDIS_URL="$REDIS_TEST_URL" TG_REQUIRE_SERVICES=1 \
        TG_TEST_CLOCK="$moments" "$PY" -m pytest -q -p no:cacheprovider -m "dates and not process"
fi
