#!/usr/bin/env bash
# Install everything, lint, then run the whole test suite twice: on SQLite, and on a
# throwaway PostgreSQL + Redis of its own (loopback, temporary directory, stopped after).
# Extra arguments go to pytest, e.g. scripts/test.sh -k ledger -x
# TG_SKIP_LINT=1 skips ruff (for a quick partial run while editing).
# scripts/test.sh -m browser runs only the browser tests (and rewrites screenshots/).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_venv
ensure_chromium
PY="$VENV/bin/python"

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

echo "==> tests on SQLite"
env -u DATABASE_URL -u REDIS_URL "$PY" -m pytest -q "$@"

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
# run again with it moved to a new year, a leap day and the last minute of a year.
if [ "$#" -eq 0 ]; then
    for moment in 2027-01-01T00:00:00+00:00 2028-02-29T12:00:00+00:00 2026-12-31T23:59:00+00:00; do
        echo "==> tests that read the clock, at $moment"
        DATABASE_URL="$PG_URL" REDIS_URL="$REDIS_TEST_URL" TG_REQUIRE_SERVICES=1 \
            TG_TEST_CLOCK="$moment" "$PY" -m pytest -q -p no:cacheprovider -m dates
    done
fi
