"""What the operator pages show, read through oversight.monitoring and oversight.integrity.

Each function returns plain records for one part of a page; ``oversight.pages`` renders
them. Nothing here leaves a write behind: the integrity preview is
``apply_fixes(dry_run=True)``, which does the work of ``--fix`` inside a transaction and
rolls it back. Every read is bounded
(a ``GROUP BY`` over the period, a ``LIMIT``, one query per registry check), so a page
costs the same queries whatever the size of the data.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from core.charts import LineChart, time_chart
from core.models import MonitorSnapshot, Operation, Outcome
from oversight.integrity import (
    CheckResult,
    FixInProgress,
    FixUnavailable,
    apply_fixes,
    run_checks,
)
from oversight.integrity.render import INFO_LABELS, change_lines, describe, remaining_line, total
from oversight.monitoring import collect, snapshots
from oversight.monitoring.config import METRICS, health_spec, option, stale_spec
from oversight.monitoring.render import fmt, metric_row
from oversight.monitoring.snapshots import Notice, TrendPoint

TREND_DAYS = (7, 30)
NOTICES_SHOWN = 20
MAX_HOURS = 720  # 30 days: the operation records are kept 90 by default
SLOWEST_SHOWN = 20
CODES_SHOWN = 50


def admin_change_url(label: str, pk) -> str | None:
    """The admin page of the row ``label`` (``"characters.Human"``) ``pk``, if the admin
    has one for that model."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return None
    if pk is None or not admin.site.is_registered(model):
        return None
    meta = model._meta
    try:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        return None


# --- Health -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricRow:
    key: str
    label: str
    value: str
    target: str
    alert_when: str
    state: str  # ok, breach, no_data, insufficient_data
    state_text: str


@dataclass(frozen=True)
class AlertRow:
    label: str
    value: str
    alert_when: str
    action: str


@dataclass
class LastRun:
    """The latest monitor snapshot as the page shows it, and how old it is."""

    snapshot: MonitorSnapshot
    age: timedelta
    stale_after_minutes: float
    metrics: list[MetricRow]
    alerts: list[AlertRow]
    integrity_issues: int | None
    period_hours: int | None

    @property
    def stale(self) -> bool:
        return self.age > timedelta(minutes=self.stale_after_minutes)

    @property
    def age_minutes(self) -> int:
        return int(self.age.total_seconds() // 60)


def last_run(*, now: datetime) -> LastRun | None:
    """The latest snapshot, judged for staleness as ``/health/validation/`` judges it
    (``STALE_AFTER_MINUTES``); None when the monitor never ran."""
    snapshot = snapshots.latest_snapshot()
    if snapshot is None:
        return None
    report = snapshot.report or {}
    metrics = []
    for key, metric in report.get("metrics", {}).items():
        label, value, target, alert_when, state_text = metric_row(metric)
        metrics.append(
            MetricRow(
                key, label, value, target, alert_when, metric["state"], state_text.replace("_", " ")
            )
        )
    alerts = [
        AlertRow(
            label=alert["label"],
            value=fmt(alert["value"], alert["unit"]),
            alert_when=("< " if alert["alert_when"] == "below" else "> ")
            + fmt(alert["threshold"], alert["unit"]),
            action=alert.get("action", ""),
        )
        for alert in report.get("alerts", [])
        if alert["metric"] != "health_score"
    ]
    return LastRun(
        snapshot=snapshot,
        age=max(now - snapshot.created_at, timedelta(0)),
        stale_after_minutes=stale_spec().threshold,
        metrics=metrics,
        alerts=alerts,
        integrity_issues=report.get("checks", {}).get("data_integrity", {}).get("total"),
        period_hours=report.get("period_hours"),
    )


@dataclass
class Trend:
    days: int
    step: str  # "hour" or "day"
    start: datetime
    end: datetime
    points: list[TrendPoint]
    steps_in_period: int
    score_chart: LineChart
    issues_chart: LineChart

    @property
    def newest_first(self) -> list[TrendPoint]:
        return list(reversed(self.points))


def health_trend(days: int, *, now: datetime) -> Trend:
    """The score and integrity issues per hour (7 days) or day (30 days), as charts."""
    start, end, step = snapshots.trend_window(days, now=now)
    points = snapshots.trend(days, now=now)
    unit = "hour" if step == timedelta(hours=1) else "day"
    period = f"the last {days} days"
    score = [(p.start, p.lowest_score) for p in points]
    issues = [(p.start, p.integrity_issues) for p in points if p.integrity_issues is not None]
    healthy = health_spec().threshold
    critical = option("CRITICAL_BELOW")
    return Trend(
        days=days,
        step=unit,
        start=start,
        end=end,
        points=points,
        steps_in_period=int(timedelta(days=days) / step),
        score_chart=time_chart(
            id="score-chart",
            title=f"Lowest health score per {unit}, {period}",
            summary=_summary(score, unit, "Lowest health score"),
            points=score,
            start=start,
            end=end,
            step=step,
            top=100,
            rules=((healthy, f"healthy ≥ {fmt(healthy)}"), (critical, f"critical < {critical}")),
        ),
        issues_chart=time_chart(
            id="issues-chart",
            title=f"Most integrity issues per {unit}, {period}",
            summary=_summary(issues, unit, "Most integrity issues"),
            points=issues,
            start=start,
            end=end,
            step=step,
            stroke="#b02a37",
        ),
    )


def _summary(points: Sequence[tuple[datetime, float]], unit: str, what: str) -> str:
    if not points:
        return "No monitor run in this period."
    values = [value for _, value in points]
    return (
        f"{what} per {unit}, {len(points)} {unit}(s) with a monitor run: from "
        f"{fmt(min(values))} to {fmt(max(values))}, {fmt(values[-1])} in the latest."
    )


@dataclass(frozen=True)
class NoticeRow:
    notice: Notice
    metrics: list[str]  # the labels of the thresholds the alert was about


def recent_notices(days: int, *, now: datetime) -> list[NoticeRow]:
    """The alerts and recoveries sent in the last ``days`` days, newest first."""
    labels = {spec.key: spec.label for spec in METRICS}
    rows = []
    since, _end, _step = snapshots.trend_window(days, now=now)
    for notice in snapshots.notices(since=since, limit=NOTICES_SHOWN):
        _status, _, breached = notice.signature.partition(":")
        keys = [key for key in breached.split(",") if key] if notice.kind == "alert" else []
        rows.append(NoticeRow(notice, [labels.get(key, key) for key in keys]))
    return rows


# --- Integrity ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExampleLine:
    text: str
    admin_url: str | None


@dataclass
class CheckRow:
    result: CheckResult
    examples: list[ExampleLine]
    info: list[tuple[str, int]]


def integrity_rows(examples: int) -> list[CheckRow]:
    """Every registry check computed now, with up to ``examples`` offending rows per
    failed check, each linked to its admin page where the admin has one."""
    rows = []
    for result in run_checks(examples=examples):
        lines = [
            ExampleLine(describe(example), admin_change_url(example["model"], example["id"]))
            for example in result.examples
        ]
        info = [(INFO_LABELS.get(key, key), value) for key, value in result.info.items() if value]
        rows.append(CheckRow(result, lines, info))
    return rows


@dataclass
class Preview:
    """The ``--fix --dry-run --verbose`` lines, or why they could not be computed."""

    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: str = ""


def fix_preview(examples: int) -> Preview:
    """What ``validate_data_integrity --fix`` would change now, computed by doing it in
    a transaction that is rolled back (``apply_fixes(dry_run=True)``): nothing is
    written. It takes the lock of ``--fix``: while one runs, the preview says so."""
    try:
        report = apply_fixes(dry_run=True, examples=examples)
    except (FixInProgress, FixUnavailable) as refusal:
        return Preview(refused=str(refusal))
    lines = change_lines(report.fixes, dry_run=True, run_id=report.run_id, verbose=True)
    lines.append(remaining_line(report.after))
    notes = [outcome.remaining_note for outcome in report.fixes if outcome.remaining_note]
    return Preview(lines=lines, notes=notes)


def issues_summary(rows: list[CheckRow]) -> dict:
    results = [row.result for row in rows]
    failed = [r for r in results if r.count]
    return {
        "total": total(results),
        "failed": len(failed),
        "repairable": sum(r.repairable for r in failed),
        "skipped": sum(1 for r in results if r.skipped),
    }


# --- Operations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OperationRow:
    key: str
    label: str
    figures: dict  # oversight.monitoring.collect's section for the operation


@dataclass(frozen=True)
class CodeRow:
    operation: str
    outcome: str
    code: str
    count: int


@dataclass(frozen=True)
class SlowRow:
    created_at: datetime
    operation: str
    outcome: str
    code: str
    duration_ms: float
    character_id: int | None
    character_url: str | None
    scene_id: int | None
    scene_url: str | None


@dataclass
class Operations:
    hours: int
    start: datetime
    end: datetime
    rows: list[OperationRow]
    overall: dict
    refusals: list[CodeRow]
    failures: list[CodeRow]
    slowest: list[SlowRow]


def choice_label(choices, value: str) -> str:
    """The label of a recorded choice; the raw value if tg no longer knows it."""
    return choices(value).label if value in choices.values else value


def operations(hours: int, *, now: datetime) -> Operations:
    """The XP operations of the last ``hours``: what ``monitor_validation`` measures
    (outcomes, rates, times), their refusal codes and error classes, the slowest ones."""
    start = collect.period_start(now, hours)
    section = collect.collect_xp_operations(start, now, hours)
    rows = [OperationRow(op.value, op.label, section[op.value]) for op in Operation]
    codes = [
        CodeRow(
            operation=choice_label(Operation, row["operation"]),
            outcome=choice_label(Outcome, row["outcome"]),
            code=row["code"],
            count=row["count"],
        )
        for row in collect.outcome_codes(start, now, CODES_SHOWN)
    ]
    refused = Outcome.REJECTED.label
    slowest = [
        SlowRow(
            created_at=datetime.fromisoformat(row["created_at"]),
            operation=choice_label(Operation, row["operation"]),
            outcome=choice_label(Outcome, row["outcome"]),
            code=row["code"],
            duration_ms=row["duration_ms"],
            character_id=row["character_id"],
            character_url=admin_change_url("characters.Character", row["character_id"]),
            scene_id=row["scene_id"],
            scene_url=admin_change_url("game.Scene", row["scene_id"]),
        )
        for row in collect.slowest_operations(start, now, SLOWEST_SHOWN)
    ]
    return Operations(
        hours=hours,
        start=start,
        end=now,
        rows=rows,
        overall=section["all"],
        refusals=[c for c in codes if c.outcome == refused],
        failures=[c for c in codes if c.outcome != refused],
        slowest=slowest,
    )
