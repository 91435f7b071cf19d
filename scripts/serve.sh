#!/usr/bin/env bash
# Serve tg as production does on one machine: the production settings, PostgreSQL and
# Redis from the environment, static files collected and served by whitenoise, gunicorn
# (tg/gunicorn.conf.py). It does not install anything and does not migrate: both are
# deploy steps (docs/deployment/README.md). tg-web.service runs it; SIGTERM stops gunicorn
# gracefully, SIGHUP reloads its workers.
#
# Needs: .venv with requirements.txt installed, and in the environment (e.g. from
# /etc/tg/tg.env, see docs/deployment/tg.env.example) at least SECRET_KEY, ALLOWED_HOSTS,
# DATABASE_URL and REDIS_URL. It refuses to start when `manage.py check --deploy` reports
# any warning or error.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-tg.settings.production}"

fail() { echo "serve.sh: $*" >&2; exit 2; }

[ -x "$PY" ] || fail "no $PY: create it first (python3 -m venv .venv && .venv/bin/pip install -r requirements.txt)"
[ "$DJANGO_SETTINGS_MODULE" = tg.settings.production ] ||
    fail "DJANGO_SETTINGS_MODULE is $DJANGO_SETTINGS_MODULE; serve.sh runs tg.settings.production only"
case "${DATABASE_URL:-}" in
    postgres://* | postgresql://*) ;;
    "") fail "DATABASE_URL is not set: production runs on PostgreSQL (postgres://user:password@host:5432/name)" ;;
    *) fail "DATABASE_URL must be a postgres:// URL: production runs on PostgreSQL" ;;
esac
[ -n "${REDIS_URL:-}" ] ||
    fail "REDIS_URL is not set: the instances share their cache and session cache in Redis (redis://host:6379/1)"

# gunicorn's own variables (TG_BIND, TG_WEB_*, TG_FORWARDED_ALLOW_IPS) are read by its
# configuration file, which manage.py never loads: read it once here, so that a bad value
# stops serve.sh with one line naming the variable, as the settings' variables do.
"$PY" -c '
import runpy, sys
from django.core.exceptions import ImproperlyConfigured
try:
    runpy.run_path(sys.argv[1])
except ImproperlyConfigured as error:
    sys.exit(f"serve.sh: {error}")
' "$ROOT/tg/gunicorn.conf.py" || exit 2

echo "==> manage.py check --deploy"
"$PY" manage.py check --deploy --fail-level WARNING ||
    fail "check --deploy failed (above); not starting"
echo "==> manage.py collectstatic"
"$PY" manage.py collectstatic --noinput -v 0
echo "==> gunicorn"
exec "$PY" -m gunicorn -c "$ROOT/tg/gunicorn.conf.py"
