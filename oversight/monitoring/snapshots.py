"""Each run's snapshot (for trends and for the alert memory), their pruning, and the
reads of the operator health page: the latest run, the trend, the notices sent.

The reads stay bounded whatever the number of snapshots kept: the trend is one
``GROUP BY`` per hour or day of its window (a week of hours, or a month of days), the
notices a ``LIMIT``, the latest run one row.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Avg, Count, IntegerField, Max, Min, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncDay, TruncHour
from django.utils import timezone

from core.models import MonitorSnapshot
from oversight.monitoring.alerting import ALERT, RECOVERY, Notification
from oversight.monitoring.config import option


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


def latest_snapshot() -> MonitorSnapshot | None:
    """The last monitor run, or None when there has been none."""
    return MonitorSnapshot.objects.order_by("-created_at", "-pk").first()


# The integrity issue count each run stored in its report.
INTEGRITY_TOTAL = Cast(KT("report__checks__data_integrity__total"), IntegerField())

# The trend's step: hours over a week, days beyond (a month of hours is 720 points).
HOURLY_UP_TO_DAYS = 7


@dataclass(frozen=True)
class TrendPoint:
    """The monitor runs of one hour or day: the lowest score is what the hour was worth
    at its worst; the most integrity issues, the same."""

    start: datetime
    runs: int
    lowest_score: float
    average_score: float
    integrity_issues: int | None
    alerts: int
    recoveries: int


def trend_step(days: int) -> timedelta:
    return timedelta(hours=1) if days <= HOURLY_UP_TO_DAYS else timedelta(days=1)


def trend_window(days: int, *, now: datetime) -> tuple[datetime, datetime, timedelta]:
    """(start, end, step) of a ``days`` trend: whole hours or days, the current one
    last, so that a week holds 168 hours and a month 30 days."""
    step = trend_step(days)
    current = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    if step >= timedelta(days=1):
        current = current.replace(hour=0)
    steps = int(timedelta(days=days) / step)
    return current - step * (steps - 1), current + step, step


def trend(days: int, *, now: datetime | None = None) -> list[TrendPoint]:
    """One point per hour (a week or less) or per day that had a monitor run in the
    ``trend_window``, oldest first: one aggregate query, at most 168 or ``days`` rows."""
    start, end, step = trend_window(days, now=now or timezone.now())
    trunc = TruncHour if step < timedelta(days=1) else TruncDay
    rows = (
        MonitorSnapshot.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(bucket=trunc("created_at"))
        .values("bucket")
        .annotate(
            runs=Count("pk"),
            lowest=Min("health_score"),
            average=Avg("health_score"),
            issues=Max(INTEGRITY_TOTAL),
            alerts=Count("pk", filter=Q(alert_sent=ALERT)),
            recoveries=Count("pk", filter=Q(alert_sent=RECOVERY)),
        )
        .order_by("bucket")
    )
    return [
        TrendPoint(
            start=row["bucket"],
            runs=row["runs"],
            lowest_score=row["lowest"],
            average_score=round(row["average"], 1),
            integrity_issues=row["issues"],
            alerts=row["alerts"],
            recoveries=row["recoveries"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Notice:
    """A run that sent an alert or a recovery notice."""

    created_at: datetime
    kind: str
    status: str
    health_score: float
    reason: str
    signature: str


def notices(*, since: datetime, limit: int) -> list[Notice]:
    """The alerts and recoveries sent since ``since``, newest first, at most ``limit``."""
    rows = (
        MonitorSnapshot.objects.exclude(alert_sent="")
        .filter(created_at__gte=since)
        .order_by("-created_at", "-pk")
        .values(
            "created_at",
            "alert_sent",
            "status",
            "health_score",
            reason=KT("report__notification__reason"),
            signature=KT("report__notification__signature"),
        )[:limit]
    )
    return [
        Notice(
            created_at=row["created_at"],
            kind=row["alert_sent"],
            status=row["status"],
            health_score=row["health_score"],
            reason=row["reason"] or "",
            signature=row["signature"] or "",
        )
        for row in rows
    ]
