"""``/health/`` answers the load balancer whatever the Host header and scheme; every other
path keeps ALLOWED_HOSTS and the HTTPS redirect. Production names its hosts or refuses
to start, as the README says."""

import json
import secrets

import pytest

from tests.processes import ROOT, manage, python

pytestmark = pytest.mark.django_db

PROBE_HOST = "10.20.30.40:8000"  # how a load balancer addresses one instance


def test_the_probe_answers_an_instance_ip_as_host(client):
    response = client.get("/health/", HTTP_HOST=PROBE_HOST)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "components": {"database": "ok", "cache": "ok"}}


def test_the_probe_answers_head_requests_whatever_the_host(client):
    assert client.head("/health/", HTTP_HOST=PROBE_HOST).status_code == 200


def test_an_unknown_host_is_still_refused_everywhere_else(client):
    for path in ("/admin/login/", "/health/validation/", "/metrics", "/health/x"):
        assert client.get(path, HTTP_HOST=PROBE_HOST).status_code == 400, path


def production_env(tmp_path, **extra) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "tg.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "tg.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        **extra,
    }


PROBE_SCRIPT = """
import json, django
django.setup()
from django.test import Client
c = Client()
answers = {
    "probe over http by ip": c.get("/health/", HTTP_HOST="10.20.30.40").status_code,
    "probe body": c.get("/health/", HTTP_HOST="10.20.30.40").json(),
    "admin over http by ip": c.get("/admin/", HTTP_HOST="10.20.30.40").status_code,
    "admin over http by name": c.get("/admin/", HTTP_HOST="tg.example.org").status_code,
    "validation over http by name": c.get(
        "/health/validation/", HTTP_HOST="tg.example.org"
    ).status_code,
}
print(json.dumps(answers))
"""


@pytest.mark.process
def test_under_production_settings_only_the_probe_skips_host_check_and_https_redirect(tmp_path):
    result = python("-c", PROBE_SCRIPT, env=production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "probe over http by ip": 200,
        "probe body": {"status": "ok", "components": {"database": "ok", "cache": "ok"}},
        "admin over http by ip": 400,
        "admin over http by name": 301,  # to https://
        "validation over http by name": 301,
    }


@pytest.mark.process
def test_production_without_allowed_hosts_refuses_to_start_with_one_line(tmp_path):
    env = production_env(tmp_path)
    del env["ALLOWED_HOSTS"]

    result = manage("check", env=env)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "ImproperlyConfigured: The environment variable ALLOWED_HOSTS must be set "
        "(comma-separated values).\n"
    )


@pytest.mark.process
def test_the_readme_states_the_allowed_hosts_default_the_settings_have():
    readme = (ROOT / "README.md").read_text()
    [row] = [line for line in readme.splitlines() if line.startswith("| `ALLOWED_HOSTS` |")]
    development = python(
        "-c",
        "import django; django.setup(); from django.conf import settings; "
        "print(','.join(settings.ALLOWED_HOSTS))",
        env={"DJANGO_SETTINGS_MODULE": "tg.settings.development"},
    )

    assert row.endswith("| `127.0.0.1,localhost` in development; none in production: required |")
    assert development.stdout == "127.0.0.1,localhost\n"
