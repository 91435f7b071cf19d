"""Alerts that reach someone: email and webhook, a cooldown, and a recovery notice.

``notify(report)`` decides whether this run must speak, then tries every configured
channel; a channel that fails is reported and never stops the others. What was sent
is remembered in the run's ``MonitorSnapshot`` (``alert_sent`` plus the
``notification`` entry of its report), which is how the next run knows that:

* the same unhealthy state (same status, same breached metrics) was already sent less
  than ``ALERT_COOLDOWN_HOURS`` ago: stay quiet;
* the state changed (another metric breached, degraded became critical): send now;
* the system is healthy again after an alert: send one recovery notice.

A run whose every channel failed records nothing as sent, so the next run tries again.
"""

import json
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models.fields.json import KT
from django.utils import timezone

from core.models import MonitorSnapshot
from oversight.monitoring.config import is_http_url, option
from oversight.monitoring.health import HEALTHY
from oversight.monitoring.render import render_alert_text

ALERT = "alert"
RECOVERY = "recovery"


@dataclass
class Delivery:
    channel: str
    ok: bool
    detail: str


@dataclass
class Notification:
    """What ``--alert`` did: ``kind`` is ``alert``, ``recovery`` or None (nothing due)."""

    kind: str | None
    reason: str
    signature: str
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def sent(self) -> bool:
        return any(delivery.ok for delivery in self.deliveries)

    @property
    def failures(self) -> list[Delivery]:
        return [delivery for delivery in self.deliveries if not delivery.ok]

    def as_dict(self) -> dict:
        return asdict(self) | {"sent": self.sent}


def signature(data: dict) -> str:
    """The unhealthy state an alert is about: status and the breached metrics."""
    return data["status"] + ":" + ",".join(sorted(a["metric"] for a in data["alerts"]))


def last_notice() -> Any:
    """The most recent snapshot whose run notified someone (alert or recovery)."""
    return (
        MonitorSnapshot.objects.exclude(alert_sent="")
        .order_by("-created_at", "-pk")
        .values("created_at", "alert_sent", signature=KT("report__notification__signature"))
        .first()
    )


def decide(data: dict, now: datetime) -> tuple[str | None, str]:
    """(kind of message due or None, why) for the report ``data``."""
    previous = last_notice()
    open_alert = previous is not None and previous["alert_sent"] == ALERT
    if data["status"] == HEALTHY:
        if open_alert:
            return RECOVERY, "healthy again after the alert of " + _when(previous["created_at"])
        return None, "healthy: nothing to send"
    if open_alert and previous["signature"] == signature(data):
        quiet_until = previous["created_at"] + timedelta(hours=option("ALERT_COOLDOWN_HOURS"))
        if now < quiet_until:
            return None, (
                f"same state already alerted at {_when(previous['created_at'])}; "
                f"next reminder after {_when(quiet_until)}"
            )
    return ALERT, f"{data['status']} (score {data['health_score']})"


def notify(data: dict, now: datetime | None = None) -> Notification:
    """Send the alert or recovery notice that is due, through every channel."""
    now = now or timezone.now()
    kind, reason = decide(data, now)
    notification = Notification(kind=kind, reason=reason, signature=signature(data))
    if kind is None:
        return notification
    subject, text = render_alert_text(data, kind)
    # The webhook first: it has its own short timeout, and a slow mail server must not
    # delay it.
    for delivery in (send_webhook(text, data, kind), send_email(subject, text)):
        if delivery is not None:
            notification.deliveries.append(delivery)
    if not notification.deliveries:
        notification.deliveries.append(
            Delivery(
                "none",
                False,
                "no alert channel configured: set TG_ALERT_EMAILS (or TG_ADMINS) "
                "or TG_ALERT_WEBHOOK_URL",
            )
        )
    return notification


def alert_recipients() -> list[str]:
    return list(option("ALERT_EMAILS")) or [address for _name, address in settings.ADMINS]


def send_email(subject: str, text: str) -> Delivery | None:
    """Email through Django's mail settings; None when no recipient is configured."""
    recipients = alert_recipients()
    if not recipients:
        return None
    try:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any mail failure is reported, not raised
        return Delivery("email", False, f"could not send to {len(recipients)} recipient(s): {exc}")
    return Delivery("email", True, f"sent to {', '.join(recipients)}")


def send_webhook(text: str, data: dict, kind: str) -> Delivery | None:
    """POST ``{"text", "kind", "report"}`` as JSON; None when no URL is configured.

    ``text`` makes it a valid Slack (or Mattermost, Rocket.Chat) incoming-webhook
    message; other receivers can read the full report. Messages name only the host:
    webhook URLs often carry their secret in the path.
    """
    url = option("WEBHOOK_URL")
    if not url:
        return None
    parts = urlsplit(url)
    if not is_http_url(url):  # refused at start-up too; settings may change in a shell
        return Delivery("webhook", False, "TG_ALERT_WEBHOOK_URL must be an http(s) URL")
    host = parts.netloc.rpartition("@")[2]
    timeout = float(option("WEBHOOK_TIMEOUT_SECONDS"))
    body = json.dumps({"text": text, "kind": kind, "report": data}, cls=DjangoJSONEncoder)
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "tg-monitor"},
    )
    try:
        # The URL is the operator's own setting, and checked to be http(s) just above.
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Delivery("webhook", True, f"{host} answered HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        return Delivery("webhook", False, f"{host} answered HTTP {exc.code}")
    except TimeoutError:
        return Delivery("webhook", False, f"{host} did not answer within {timeout:g} s")
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return Delivery("webhook", False, f"{host} did not answer within {timeout:g} s")
        return Delivery("webhook", False, f"cannot reach {host}: {exc.reason}")
    except OSError as exc:
        return Delivery("webhook", False, f"cannot reach {host}: {exc}")


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")
