#!/usr/bin/env bash
# Install everything, migrate the SQLite database, load the demo chronicle and serve
# the site on http://127.0.0.1:8000 (Ctrl-C stops it).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_venv
PY="$VENV/bin/python"
export DJANGO_SETTINGS_MODULE=tg.settings.development

echo "==> migrating the database"
"$PY" manage.py migrate --no-input -v 0
echo "==> loading demo data"
"$PY" manage.py load_demo_data
echo "==> serving http://127.0.0.1:8000/ (sign in with a login printed above; admin at /admin/)"
exec "$PY" manage.py runserver 127.0.0.1:8000
