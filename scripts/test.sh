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
    echo "==> mypy (game, core; pyproject.toml)"
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
