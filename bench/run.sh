#!/usr/bin/env bash
# Run a benchmark against a throwaway PostgreSQL 15 with production-like durability
# (fsync and synchronous_commit on), or against DATABASE_URL when it is set.
#   bench/run.sh bench/bench_xp.py [args]
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$ROOT"
ensure_venv
script="$1"; shift
if [ -z "${DATABASE_URL:-}" ]; then
    WORK="$(mktemp -d /tmp/tg-bench.XXXXXX)"
    chmod 755 "$WORK"
    trap '[ -n "${PG_STOP:-}" ] && "${PG_STOP[@]}" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
    start_postgres "$WORK/pg" durable
    export DATABASE_URL="$PG_URL"
fi
export DJANGO_SETTINGS_MODULE=tg.settings.test
"$VENV/bin/python" "$script" "$@"
