"""tg served as production serves it: scripts/serve.sh with the env template's settings,
gunicorn on a loopback port, PostgreSQL and Redis of the test run, static files by
whitenoise — and what an operator and a browser see of it."""

import gzip
import json
import re
import subprocess

import pytest
from django.conf import settings

from tests.processes import ROOT, child_env
from tests.serving import SITE_HOST, Site, production_env, production_user

HASHED_CSS = re.compile(r'href="(/static/css/tg\.[0-9a-f]{12}\.css)"')
ACCESS_LINE = re.compile(r'"GET /health/ HTTP/1.1" 200 \d+ \d+ms \d+us ')


def policy(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


@pytest.mark.server
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_serve_sh_serves_tg_and_stops_gracefully_on_sigterm(start_server):
    production_user("pat")
    server = start_server(serve=True)
    site = server.site()

    health = site.get("/health/")
    assert health.status == 200
    assert json.loads(health.body) == {
        "status": "ok",
        "components": {"database": "ok", "cache": "ok"},
    }

    login = site.get("/accounts/login/")
    assert login.status == 200
    assert "Sign in to tg" in login.text
    assert (
        policy(login.header("Content-Security-Policy"))
        == settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    )
    assert login.header("Strict-Transport-Security") == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert login.header("X-Content-Type-Options") == "nosniff"
    assert login.header("X-Frame-Options") == "DENY"
    assert login.header("Referrer-Policy") == "same-origin"
    assert login.header("Cross-Origin-Opener-Policy") == "same-origin"
    assert "; Secure" in login.header("Set-Cookie")  # the CSRF cookie

    css = HASHED_CSS.search(login.text).group(1)  # the manifest's hashed name
    static = site.get(css, **{"Accept-Encoding": "gzip"})
    assert static.status == 200
    assert static.header("Cache-Control") == "max-age=315360000, public, immutable"
    assert static.header("Content-Encoding") == "gzip"
    assert b".dot-picker" in gzip.decompress(static.body)

    signed_in = site.post("/accounts/login/", {"username": "pat", "password": "pw-pat"})
    assert signed_in.status == 302
    session_cookie = next(
        line for line in signed_in.headers.get_all("Set-Cookie") if line.startswith("sessionid=")
    )
    assert {"HttpOnly", "Secure", "SameSite=Lax"} <= {
        part.strip() for part in session_cookie.split(";")
    }
    assert site.get("/").status == 200

    missing = site.get("/no-such-page/")  # DEBUG off: tg's own page, no traceback
    assert missing.status == 404
    assert "Nothing here" in missing.text
    assert "Traceback" not in missing.text and "DEBUG = True" not in missing.text

    plain = Site(server.port).get("/accounts/login/", **{"X-Forwarded-Proto": "http"})
    assert plain.status == 301
    assert plain.header("Location") == f"https://{SITE_HOST}/accounts/login/"

    assert server.stop() == 0
    output = server.output()
    assert "==> manage.py check --deploy\nSystem check identified no issues (0 silenced)." in output
    assert ACCESS_LINE.search(output), output
    assert "Handling signal: term" in output
    assert output.rstrip().endswith("Shutting down: Master")


# --- serve.sh refuses to start what production must not run ------------------------------


def serve(**env):
    return subprocess.run(
        [str(ROOT / "scripts" / "serve.sh")],
        cwd=ROOT,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.process
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"DATABASE_URL": ""},
            "serve.sh: DATABASE_URL is not set: production runs on PostgreSQL",
        ),
        (
            {"DATABASE_URL": "sqlite:////tmp/tg.sqlite3"},
            "serve.sh: DATABASE_URL must be a postgres:// URL: production runs on PostgreSQL",
        ),
        ({"REDIS_URL": ""}, "serve.sh: REDIS_URL is not set"),
        # gunicorn's own variables are checked before anything starts, like the settings'.
        (
            {"TG_WEB_WORKERS": "zero"},
            "serve.sh: TG_WEB_WORKERS must be a whole number from 1 to 64, got 'zero'.",
        ),
        (
            {"TG_WEB_LOG_LEVEL": "loud"},
            "serve.sh: TG_WEB_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, "
            "got 'LOUD'.",
        ),
        # No HSTS: check --deploy warns (security.W004), so nothing starts.
        ({"SECURE_HSTS_SECONDS": "0"}, "serve.sh: check --deploy failed (above); not starting"),
    ],
)
def test_serve_sh_refuses_to_start_without_what_production_needs(change, message):
    env = production_env(**{"REDIS_URL": "redis://127.0.0.1:6379/1", **change})

    ran = serve(**env)

    assert ran.returncode == 2
    assert message in ran.stderr
    assert "Traceback" not in ran.stderr
    assert "==> gunicorn" not in ran.stdout
