"""Building the monitoring report once, as plain data that every output renders.

``build_report`` collects the sections, judges the metrics and returns a ``Report``
whose ``data`` is the JSON document (see docs/deployment/monitoring.md for its schema).
The command, the alerts, the snapshots and the HTTP endpoints all start from it.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from core.models import MonitorSnapshot
from oversight.monitoring import collect
from oversight.monitoring.config import metric_specs, option
from oversight.monitoring.health import HEALTHY, judge


@dataclass
class Report:
    """``data``: the JSON document. ``integrity``: the registry's results (titles,
    fixability, examples) for the text report. ``slowest``: filled by ``verbose``."""

    data: dict
    integrity: list = field(default_factory=list)
    slowest: list | None = None

    @property
    def status(self) -> str:
        return self.data["status"]

    @property
    def healthy(self) -> bool:
        return self.data["status"] == HEALTHY


def _judged(operation: dict) -> int:
    """Operations a success rate is computed over: successes and failures, not refusals."""
    return operation["total"] - operation["rejected"]


def metric_samples(checks: dict) -> dict:
    """How many operations each rate and percentile was measured over."""
    ops = checks["xp_operations"]
    return {
        "xp_spend_success_rate": _judged(ops["xp_spend"]),
        "xp_spend_time_p95_ms": ops["xp_spend"]["total"],
        "scene_xp_award_success_rate": _judged(ops["scene_award"]),
        "transaction_rollback_rate": ops["all"]["total"],
    }


def metric_values(checks: dict) -> dict:
    """The judged figures, taken from the collected sections (None: no data)."""
    ops = checks["xp_operations"]
    any_operation = ops["all"]["total"] > 0
    return {
        "data_integrity_issues": checks["data_integrity"]["total"],
        "xp_spend_success_rate": ops["xp_spend"]["success_rate"],
        "xp_spend_time_p95_ms": ops["xp_spend"]["time_ms"]["p95"],
        "scene_xp_award_success_rate": ops["scene_award"]["success_rate"],
        "constraint_violations_per_day": (
            ops["all"]["constraint_violations_per_day"] if any_operation else None
        ),
        "transaction_rollback_rate": ops["all"]["rollback_rate"],
        "database_deadlocks_per_day": ops["all"]["deadlocks_per_day"] if any_operation else None,
        "cache_available": 1 if checks["cache"]["available"] else 0,
    }


def build_report(
    *,
    period_hours: int,
    verbose: bool = False,
    with_staleness: bool = False,
    now: datetime | None = None,
) -> Report:
    """Measure the last ``period_hours`` and judge them.

    ``with_staleness`` (the HTTP endpoints) adds the age of the last snapshot as the
    ``monitor_stale`` metric: a cron job that silently stopped is itself an alert.
    """
    end = now or timezone.now()
    start = collect.period_start(end, period_hours)
    examples = option("VERBOSE_EXAMPLES") if verbose else 0
    integrity, results = collect.collect_data_integrity(examples=examples)
    operations = collect.collect_xp_operations(start, end, period_hours)
    checks = {
        "data_integrity": integrity,
        "xp_activity": collect.collect_xp_activity(start, end),
        "xp_operations": operations,
        "scene_xp_awards": collect.collect_scene_xp_awards(
            start, end, operations["scene_award"]["success_rate"]
        ),
        "character_stats": collect.collect_character_stats(),
        "database": collect.collect_database(),
        "cache": collect.collect_cache(),
    }
    values = metric_values(checks)
    forced = set()
    data = {"timestamp": end.isoformat(), "period_hours": period_hours}
    if with_staleness:
        last = (
            MonitorSnapshot.objects.order_by("-created_at", "-pk")
            .values_list("created_at", flat=True)
            .first()
        )
        data["last_snapshot"] = last.isoformat() if last else None
        if last is None:
            values["monitor_stale"] = None
            forced.add("monitor_stale")
        else:
            values["monitor_stale"] = round((end - last).total_seconds() / 60, 1)
    verdict = judge(
        metric_specs(with_staleness=with_staleness),
        values,
        samples=metric_samples(checks),
        forced=forced,
    )
    data.update(
        status=verdict["status"],
        health_score=verdict["health_score"],
        checks=checks,
        metrics=verdict["metrics"],
        alerts=verdict["alerts"],
    )
    report = Report(data=data, integrity=results)
    if verbose:
        report.slowest = collect.slowest_operations(start, end, option("VERBOSE_EXAMPLES"))
        data["details"] = {
            "integrity": [r.as_dict() for r in results],
            "slowest_operations": report.slowest,
        }
    # Examples may hold dates or decimals: make the document plain JSON once, here.
    report.data = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return report
