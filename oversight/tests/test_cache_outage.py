"""A Redis outage: the site keeps serving, /health/ stays 200 (cache ``degraded``), the
monitoring report, /health/validation/ and /metrics show it, and the log gets one
one-line warning per minute instead of a traceback per cache call.

A port with nothing listening is a real dead Redis: these tests need no Redis server.
The test that stops a running Redis is in test_settings_and_cache.py (marked redis).
"""

import json
import logging
import time
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client

from core.log_filters import CacheOutageFilter
from tests.processes import free_port
from tg.settings.base import redis_cache

pytestmark = pytest.mark.django_db

TOKEN = "outage-token"


@pytest.fixture
def outage_filter():
    """The filter settings.LOGGING put on the "tg.cache" logger, with a fresh memory."""
    [found] = [f for f in logging.getLogger("tg.cache").filters if isinstance(f, CacheOutageFilter)]
    found.reset()
    yield found
    found.reset()


@pytest.fixture
def dead_redis(settings, outage_filter, tg_monitoring):
    """tg's own Redis cache configuration, pointed at a port where nothing listens."""
    port = free_port()
    settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{port}/1")}
    tg_monitoring(TOKEN=TOKEN)
    return port


def warnings_logged(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_one_health_check_one_login_and_one_admin_page_log_one_warning_and_no_traceback(
    dead_redis, caplog, django_user_model
):
    django_user_model.objects.create_superuser("helena", "helena@example.test", "pw-helena")
    browser = Client()

    health = browser.get("/health/")
    login = browser.post(
        "/admin/login/?next=/admin/", {"username": "helena", "password": "pw-helena"}
    )
    admin_page = browser.get("/admin/")

    assert (health.status_code, login.status_code, admin_page.status_code) == (200, 302, 200)
    [record] = warnings_logged(caplog)
    assert record.name == "tg.cache"
    assert record.levelname == "WARNING"
    assert record.exc_info is None
    assert record.getMessage() == (
        "cache unavailable, serving without it: ConnectionError: Error 111 connecting to "
        f"127.0.0.1:{dead_redis}. Connection refused. (at most one warning per 60 s)"
    )


def test_after_the_interval_the_next_warning_says_how_many_were_held_back(
    dead_redis, outage_filter, caplog
):
    outage_filter.interval_seconds = 0.2
    cache.get("first")  # logged
    for _ in range(4):
        cache.get("held back")
    time.sleep(0.3)
    cache.get("after the interval")  # logged, with the count

    first, second = (record.getMessage() for record in warnings_logged(caplog))
    assert first.endswith("(at most one warning per 0.2 s)")
    assert second.endswith(
        "(4 more cache error(s) since the last warning; at most one warning per 0.2 s)"
    )


def test_health_is_200_with_the_cache_degraded_whatever_the_cache_error(dead_redis, client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "components": {"database": "ok", "cache": "degraded"},
    }


def test_the_monitor_command_reports_the_outage_as_a_breach_and_exits_1(dead_redis):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("monitor_validation", "--json", stdout=out, stderr=err)

    data = json.loads(out.getvalue())
    assert failure.value.returncode == 1
    assert data["checks"]["cache"] == {"backend": "RedisCache", "available": False}
    cache_metric = data["metrics"]["cache_available"]
    assert (cache_metric["value"], cache_metric["state"]) == (0, "breach")
    assert (data["status"], data["health_score"]) == ("degraded", 85)
    assert [a["metric"] for a in data["alerts"]] == ["health_score", "cache_available"]


def test_the_text_report_says_the_cache_is_not_answering(dead_redis):
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("monitor_validation", stdout=out, stderr=StringIO())

    assert "Cache: RedisCache, NOT ANSWERING (pages served without it)" in out.getvalue()
    assert "  ! Cache reachable (1 yes, 0 no): 0 (alert when < 1)" in out.getvalue()


def test_health_validation_is_503_and_names_the_cache(dead_redis, client):
    response = client.get("/health/validation/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 503
    assert "cache_available" in [a["metric"] for a in response.json()["alerts"]]


def test_metrics_expose_the_cache_as_a_gauge(dead_redis, client):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    lines = response.content.decode().splitlines()

    assert response.status_code == 200
    assert "# TYPE tg_cache_up gauge" in lines
    assert "tg_cache_up 0.0" in lines
    assert 'tg_metric_breached{metric="cache_available"} 1.0' in lines


def test_with_the_cache_answering_the_gauge_is_1(client, settings, tg_monitoring):
    tg_monitoring(TOKEN=TOKEN)
    cache.clear()
    lines = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert "tg_cache_up 1.0" in lines.splitlines()
