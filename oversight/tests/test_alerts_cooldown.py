"""The same unhealthy state is not re-sent within the cooldown; a change is sent at
once; the first healthy run after an alert sends one recovery notice."""

import contextlib
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.models import MonitorSnapshot, OperationRecord

pytestmark = [pytest.mark.django_db, pytest.mark.dates]


@pytest.fixture(autouse=True)
def email_only(settings, tg_monitoring):
    # These tests are about what is sent: every operation is judged, however few.
    tg_monitoring(
        ALERT_EMAILS=["oncall@example.test"], WEBHOOK_URL="", ALERT_COOLDOWN_HOURS=6, MIN_SAMPLE=1
    )


def spends(outcome, count, *, minutes_ago=10):
    when = timezone.now() - timedelta(minutes=minutes_ago)
    OperationRecord.objects.bulk_create(
        OperationRecord(operation="xp_spend", outcome=outcome, duration_ms=5, created_at=when)
        for _ in range(count)
    )


def monitor():
    """The JSON ``notification`` of one ``--alert --json`` run."""
    out = StringIO()
    with contextlib.suppress(CommandError):
        call_command("monitor_validation", "--alert", "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())["notification"]


def age_last_alert(hours):
    snapshot = MonitorSnapshot.objects.filter(alert_sent="alert").latest("created_at")
    MonitorSnapshot.objects.filter(pk=snapshot.pk).update(
        created_at=snapshot.created_at - timedelta(hours=hours)
    )


def test_the_same_state_is_not_resent_within_the_cooldown(mailoutbox):
    spends("error", 10)
    assert monitor()["kind"] == "alert"

    second = monitor()

    assert second["kind"] is None
    assert second["reason"].startswith("same state already alerted at ")
    assert "next reminder after " in second["reason"]
    assert len(mailoutbox) == 1
    assert list(MonitorSnapshot.objects.order_by("pk").values_list("alert_sent", flat=True)) == [
        "alert",
        "",
    ]


def test_the_same_state_is_sent_again_after_the_cooldown(mailoutbox):
    spends("error", 10)
    monitor()
    age_last_alert(7)

    assert monitor()["kind"] == "alert"
    assert len(mailoutbox) == 2


def test_a_new_breach_is_sent_at_once_despite_the_cooldown(mailoutbox):
    spends("error", 10)
    monitor()
    OperationRecord.objects.create(operation="scene_award", outcome="error", duration_ms=9)

    third = monitor()

    assert third["kind"] == "alert"
    assert third["signature"] == (
        "critical:health_score,scene_xp_award_success_rate,transaction_rollback_rate,"
        "xp_spend_success_rate"
    )
    assert mailoutbox[1].subject == "[tg] CRITICAL: health score 35/100"


def test_recovery_is_sent_once_when_healthy_again(mailoutbox):
    spends("error", 10)
    monitor()
    OperationRecord.objects.update(created_at=timezone.now() - timedelta(days=2))

    recovery = monitor()
    quiet = monitor()

    assert recovery["kind"] == "recovery"
    assert mailoutbox[1].subject == "[tg] recovered: healthy, score 100/100"
    assert quiet["kind"] is None and quiet["reason"] == "healthy: nothing to send"
    assert len(mailoutbox) == 2


def test_an_unhealthy_state_after_recovery_alerts_again_at_once(mailoutbox):
    spends("error", 10)
    monitor()
    OperationRecord.objects.update(created_at=timezone.now() - timedelta(days=2))
    monitor()
    spends("error", 10)

    assert monitor()["kind"] == "alert"
    assert [m.subject for m in mailoutbox] == [
        "[tg] DEGRADED: health score 65/100",
        "[tg] recovered: healthy, score 100/100",
        "[tg] DEGRADED: health score 65/100",
    ]


def test_runs_without_alert_do_not_touch_the_alert_memory(mailoutbox):
    spends("error", 10)
    monitor()
    for _ in range(3):
        with pytest.raises(CommandError):
            call_command("monitor_validation", "--json", stdout=StringIO(), stderr=StringIO())
    age_last_alert(1)

    assert monitor()["kind"] is None, "still within the cooldown of the first alert"
    assert MonitorSnapshot.objects.count() == 5
