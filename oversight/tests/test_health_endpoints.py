"""``/health/`` (public liveness), ``/health/validation/`` and ``/metrics`` (protected)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from core.models import MonitorSnapshot, OperationRecord
from tests.processes import free_port
from tg.settings.base import redis_cache

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

TOKEN = "s3cret-monitor-token"


@pytest.fixture(autouse=True)
def monitoring(settings, tg_monitoring):
    # A few failed operations are enough to make the report unhealthy here.
    tg_monitoring(TOKEN=TOKEN, ENDPOINT_CACHE_SECONDS=0, STALE_AFTER_MINUTES=120, MIN_SAMPLE=1)
    cache.clear()


@pytest.fixture
def staff(make_user):
    return make_user("olga_ops", is_staff=True)


def bearer(token=TOKEN):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def cron_run():
    call_command("monitor_validation", "--json", stdout=StringIO(), stderr=StringIO())


# --- /health/ ---------------------------------------------------------------------


def test_health_says_ok_when_database_and_cache_answer(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "components": {"database": "ok", "cache": "ok"}}


def test_health_stays_200_and_reports_the_cache_degraded_when_redis_is_unreachable(
    client, settings
):
    """Liveness: a cache outage must not take the instance out of the load balancer."""
    settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{free_port()}/0")}
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "components": {"database": "ok", "cache": "degraded"},
    }


def test_health_refuses_other_methods(client):
    assert client.post("/health/").status_code == 405


# --- who may read the monitoring endpoints ------------------------------------------


@pytest.mark.parametrize("path", ["/health/validation/", "/metrics"])
def test_anonymous_requests_are_refused(client, path):
    response = client.get(path)
    assert response.status_code == 403
    assert response.json() == {
        "error": "Log in as staff or send Authorization: Bearer <TG_MONITOR_TOKEN>."
    }


@pytest.mark.parametrize("path", ["/health/validation/", "/metrics"])
def test_a_wrong_token_is_refused(client, path):
    assert client.get(path, **bearer("s3cret-monitor-tokeX")).status_code == 403


@pytest.mark.parametrize("path", ["/health/validation/", "/metrics"])
def test_a_player_is_refused(client, player, path):
    client.force_login(player)
    assert client.get(path).status_code == 403


def test_no_token_configured_means_no_token_is_accepted(client, settings, tg_monitoring):
    tg_monitoring(TOKEN="")
    assert client.get("/health/validation/", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_staff_users_can_read_the_report(client, staff):
    cron_run()
    client.force_login(staff)
    response = client.get("/health/validation/")
    assert response.status_code == 200
    assert response.json()["status"] == "healthy"


# --- /health/validation/ ----------------------------------------------------------------


def test_the_report_has_the_command_schema_and_the_last_snapshot_time(client):
    cron_run()
    snapshot = MonitorSnapshot.objects.get()

    response = client.get("/health/validation/", **bearer())
    data = response.json()

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert data["status"] == "healthy" and data["health_score"] == 100
    assert data["last_snapshot"] == snapshot.created_at.isoformat()
    assert data["metrics"]["monitor_stale"]["state"] == "ok"
    assert set(data["checks"]) >= {"data_integrity", "xp_activity", "scene_xp_awards"}
    assert data["alerts"] == []


def test_no_snapshot_at_all_is_a_stale_monitor(client):
    response = client.get("/health/validation/", **bearer())
    data = response.json()

    assert response.status_code == 503
    assert (data["status"], data["health_score"], data["last_snapshot"]) == ("degraded", 85, None)
    stale = next(a for a in data["alerts"] if a["metric"] == "monitor_stale")
    assert stale["value"] is None and stale["threshold"] == 120
    assert "cron" in stale["action"]


def test_a_snapshot_older_than_the_setting_is_a_stale_monitor(client):
    cron_run()
    MonitorSnapshot.objects.update(created_at=timezone.now() - timedelta(hours=3))

    data = client.get("/health/validation/", **bearer()).json()

    stale = data["metrics"]["monitor_stale"]
    assert stale["state"] == "breach"
    assert 179 <= stale["value"] <= 181
    assert data["status"] == "degraded"


def test_unhealthy_data_is_served_with_503(client):
    cron_run()
    OperationRecord.objects.bulk_create(
        OperationRecord(operation="scene_award", outcome="error", duration_ms=3) for _ in range(3)
    )
    response = client.get("/health/validation/", **bearer())
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"


def test_the_report_is_cached_for_the_configured_time(client, settings, tg_monitoring):
    tg_monitoring(ENDPOINT_CACHE_SECONDS=60)
    cron_run()
    first = client.get("/health/validation/", **bearer()).json()
    OperationRecord.objects.create(operation="scene_award", outcome="error", duration_ms=3)
    second = client.get("/health/validation/", **bearer()).json()

    assert second["timestamp"] == first["timestamp"]
    assert second["status"] == "healthy"
    cache.clear()
    assert client.get("/health/validation/", **bearer()).json()["status"] == "degraded"


# --- /metrics -----------------------------------------------------------------------


def test_metrics_are_in_prometheus_text_format(client):
    cron_run()
    OperationRecord.objects.create(operation="xp_spend", outcome="success", duration_ms=40)
    OperationRecord.objects.create(operation="xp_spend", outcome="rejected", duration_ms=2)

    response = client.get("/metrics", **bearer())
    lines = response.content.decode().splitlines()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "# TYPE tg_health_score gauge" in lines
    assert "tg_health_score 100.0" in lines
    assert 'tg_health_status{status="healthy"} 1.0' in lines
    assert 'tg_health_status{status="critical"} 0.0' in lines
    assert 'tg_metric_value{metric="xp_spend_success_rate"} 100.0' in lines
    assert 'tg_metric_threshold{metric="xp_spend_time_p95_ms"} 500.0' in lines
    assert 'tg_metric_breached{metric="monitor_stale"} 0.0' in lines
    assert 'tg_metric_no_data{metric="scene_xp_award_success_rate"} 1.0' in lines
    assert 'tg_xp_operations{operation="xp_spend",outcome="rejected"} 1.0' in lines
    assert 'tg_xp_operation_duration_max_seconds{operation="xp_spend"} 0.04' in lines
    assert 'tg_integrity_issues{check="xp_ledger"} 0.0' in lines
    assert any(line.startswith("tg_monitor_last_snapshot_timestamp_seconds ") for line in lines)


def test_metrics_show_a_stale_monitor_as_breached(client, staff):
    client.force_login(staff)
    lines = client.get("/metrics").content.decode().splitlines()
    assert 'tg_metric_breached{metric="monitor_stale"} 1.0' in lines
    assert 'tg_health_status{status="degraded"} 1.0' in lines
