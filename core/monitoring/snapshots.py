"""Each run's snapshot (for trends and for the alert memory) and their pruning."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.models import MonitorSnapshot

from .alerting import Notification
from .config import option


@transaction.atomic
def save_snapshot(data: dict, notification: Notification | None = None) -> MonitorSnapshot:
    """Store this run and delete the snapshots older than the retention period."""
    report = dict(data)
    alert_sent = ""
    if notification is not None:
        report["notification"] = notification.as_dict()
        if notification.sent:
            alert_sent = notification.kind or ""
    snapshot = MonitorSnapshot.objects.create(
        health_score=data["health_score"],
        status=data["status"],
        report=report,
        alert_sent=alert_sent,
    )
    prune_snapshots(now=snapshot.created_at)
    return snapshot


def prune_snapshots(*, now=None) -> int:
    """Delete snapshots older than ``SNAPSHOT_RETENTION_DAYS``; how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=option("SNAPSHOT_RETENTION_DAYS"))
    deleted, _ = MonitorSnapshot.objects.filter(created_at__lt=cutoff).delete()
    return deleted
