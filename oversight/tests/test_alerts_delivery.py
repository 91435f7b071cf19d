"""``--alert`` reaches people by email and webhook; a failing channel spares the other.

The webhook is a real HTTP server on 127.0.0.1 started by the test; email goes through
Django's locmem backend (``mailoutbox``) or, to make it fail, real SMTP to a closed port.
"""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.models import MonitorSnapshot, OperationRecord
from tests.processes import free_port
from tests.support import Webhook

pytestmark = [pytest.mark.django_db, pytest.mark.dates]


@pytest.fixture
def webhook(settings, tg_monitoring):
    hook = Webhook()
    tg_monitoring(WEBHOOK_URL=hook.url, WEBHOOK_TIMEOUT_SECONDS=0.5)
    yield hook
    hook.close()


@pytest.fixture
def alert_emails(settings, tg_monitoring):
    tg_monitoring(ALERT_EMAILS=["oncall@example.test"])


def failing_spends(count=20):
    when = timezone.now() - timedelta(minutes=10)
    OperationRecord.objects.bulk_create(
        OperationRecord(operation="xp_spend", outcome="error", duration_ms=5, created_at=when)
        for _ in range(count)
    )


def alert(*args):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as info:
        call_command("monitor_validation", "--alert", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), info.value.returncode


def test_alert_is_emailed_and_posted_when_degraded(webhook, alert_emails, mailoutbox):
    failing_spends()
    out, err, code = alert("--json")

    assert code == 1 and err == ""
    [mail] = mailoutbox
    assert mail.to == ["oncall@example.test"]
    assert mail.subject == "[tg] DEGRADED: health score 65/100"
    assert "- XP spend success: 0% (alert when < 90%)" in mail.body
    assert "  Review errors:" in mail.body

    [post] = webhook.received
    assert post["content_type"] == "application/json"
    assert post["body"]["kind"] == "alert"
    assert post["body"]["text"] == mail.body, "Slack shows the same message"
    assert post["body"]["report"]["status"] == "degraded"

    notification = json.loads(out)["notification"]
    assert notification["kind"] == "alert" and notification["sent"] is True
    assert [d["ok"] for d in notification["deliveries"]] == [True, True]
    assert MonitorSnapshot.objects.get().alert_sent == "alert"


def test_email_falls_back_to_admins(settings, mailoutbox):
    settings.ADMINS = [("Ops", "ops@example.test")]
    failing_spends()
    alert()
    assert mailoutbox[0].to == ["ops@example.test"]


def test_a_healthy_system_sends_nothing(webhook, alert_emails, mailoutbox):
    out = StringIO()
    call_command("monitor_validation", "--alert", stdout=out, stderr=StringIO())
    assert mailoutbox == [] and webhook.received == []
    assert "Notification: nothing sent (healthy: nothing to send)" in out.getvalue()


def test_a_webhook_answering_500_is_reported_and_email_still_goes(
    webhook, alert_emails, mailoutbox
):
    webhook.status = 500
    failing_spends()
    out, err, code = alert()

    assert code == 1
    assert len(mailoutbox) == 1
    host = webhook.url.split("/")[2]
    assert err == f"alert webhook failed: {host} answered HTTP 500\n"
    assert f"  webhook: FAILED - {host} answered HTTP 500" in out
    assert "secret-path" not in out + err, "the webhook URL's secret stays out of logs"
    assert MonitorSnapshot.objects.get().alert_sent == "alert", "the email reached someone"


def test_a_webhook_that_does_not_answer_times_out(webhook, alert_emails, mailoutbox):
    webhook.delay = 5
    failing_spends()
    _out, err, code = alert()

    assert code == 1
    host = webhook.url.split("/")[2]
    assert err == f"alert webhook failed: {host} did not answer within 0.5 s\n"
    assert len(mailoutbox) == 1


def test_a_failing_mail_server_does_not_stop_the_webhook(webhook, alert_emails, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2
    failing_spends()
    _out, err, code = alert()

    assert code == 1
    assert err.startswith("alert email failed: could not send to 1 recipient(s): ")
    assert len(webhook.received) == 1


def test_no_reachable_channel_records_no_alert_so_the_next_run_retries(settings, tg_monitoring):
    tg_monitoring(ALERT_EMAILS=[], WEBHOOK_URL=f"http://127.0.0.1:{free_port()}/hook")
    settings.ADMINS = []
    failing_spends()
    _out, err, code = alert()

    assert code == 1
    assert err.startswith("alert webhook failed: cannot reach 127.0.0.1:")
    assert MonitorSnapshot.objects.get().alert_sent == ""


def test_no_channel_configured_is_reported(settings, tg_monitoring):
    tg_monitoring(ALERT_EMAILS=[], WEBHOOK_URL="")
    settings.ADMINS = []
    failing_spends()
    _out, err, _code = alert()
    assert err == (
        "alert not sent: no alert channel configured: set TG_ALERT_EMAILS (or TG_ADMINS) "
        "or TG_ALERT_WEBHOOK_URL\n"
    )
