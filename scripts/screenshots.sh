#!/usr/bin/env bash
# Regenerate the README's pictures in docs/screenshots/: run the screenshot tests
# (browser tests named *screenshots*, on SQLite, from fixed data and dates) and copy the
# shots the README shows from screenshots/ (git-ignored) to docs/screenshots/.
# The same data gives the same PNGs, byte for byte: a diff means a page changed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_venv
ensure_chromium

echo "==> taking the screenshots"
rm -f screenshots/readme-*.png  # a skipped test must not leave an old picture to copy
env -u DATABASE_URL -u REDIS_URL TG_REQUIRE_SERVICES=0 \
    "$VENV/bin/python" -m pytest -q -m browser -k screenshots

mkdir -p docs/screenshots
for name in sheet spend history sheet-phone queue award queue-phone award-phone; do
    cp "screenshots/readme-$name.png" "docs/screenshots/$name.png"
done
echo "==> docs/screenshots/ updated:"
ls -l docs/screenshots/
