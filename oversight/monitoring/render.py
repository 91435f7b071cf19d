"""Rendering the report data: text for people, JSON for tools, Prometheus, alert text.

Every output is drawn from the same plain report document (``Report.data``), so the
outputs cannot disagree; the text report also shows the registry's check titles and
examples and, with ``--alert``, what was sent.
"""

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily

from core.models import Operation, Outcome
from oversight.monitoring.collect import check_counts
from oversight.monitoring.health import (
    BREACH,
    CRITICAL,
    DEGRADED,
    HEALTHY,
    INSUFFICIENT_DATA,
    NO_DATA,
)

# (key in the xp_operations section, column title, recorded outcome)
OUTCOME_COLUMNS = (
    ("success", "ok", Outcome.SUCCESS),
    ("rejected", "refused", Outcome.REJECTED),
    ("constraint_violations", "violations", Outcome.CONSTRAINT_VIOLATION),
    ("deadlocks", "deadlocks", Outcome.DEADLOCK),
    ("errors", "errors", Outcome.ERROR),
)


def fmt(value, unit: str = "", *, none: str = "no data") -> str:
    """A figure with its unit; ``none`` for a missing one."""
    if value is None:
        return none
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if unit == "%":
        return f"{value}%"
    if unit in ("ms", "min"):
        return f"{value} {unit}"
    if unit == "/day":
        return f"{value}/day"
    return str(value)


def render_json(data: dict, indent: int | None = None) -> str:
    """One line by default (the cron log is one document per line); ``indent`` for people."""
    return json.dumps(data, indent=indent or None, cls=DjangoJSONEncoder)


def _alert_line(alert: dict) -> str:
    sign = "<" if alert["alert_when"] == "below" else ">"
    return (
        f"{alert['label']}: {fmt(alert['value'], alert['unit'])} "
        f"(alert when {sign} {fmt(alert['threshold'], alert['unit'])})"
    )


def render_text(data: dict, *, integrity=(), slowest=None, notification=None) -> str:
    """The report for people: verdict first, then every section, then what to do."""
    checks = data["checks"]
    lines = [
        f"tg health: {data['status'].upper()}, score {fmt(data['health_score'])}/100",
        f"Period: the {data['period_hours']} h up to {data['timestamp']}",
    ]
    if "last_snapshot" in data:
        lines.append(f"Last monitor run: {data['last_snapshot'] or 'never'}")
    lines.append("")
    if data["alerts"]:
        lines.append("Alerts")
        lines += [f"  ! {_alert_line(alert)}" for alert in data["alerts"]]
    else:
        lines.append("Alerts: none")
    lines += ["", _metrics_table(data["metrics"]), ""]
    lines += _integrity_lines(checks["data_integrity"], integrity)
    lines += _activity_lines(checks)
    lines += _operations_lines(checks["xp_operations"])
    lines += _character_lines(checks["character_stats"], checks["database"])
    lines += _cache_lines(checks["cache"])
    if slowest is not None:
        lines += _slowest_lines(slowest)
    if notification is not None:
        lines += _notification_lines(notification)
    lines += ["", "What to do"] + [f"  - {todo}" for todo in what_to_do(data)]
    return "\n".join(lines)


def state_text(metric: dict) -> str:
    """A metric's state for people: ``insufficient data (3 < 20 operations)``."""
    if metric["state"] == INSUFFICIENT_DATA:
        return f"insufficient data ({metric['sample']} < {metric['min_sample']} operations)"
    return metric["state"]


def metric_row(metric: dict) -> tuple[str, str, str, str, str]:
    """(label, value, target, alert when, state) of one metric of the report, as text:
    the text report's metrics table and the operator health page show the same cells."""
    sign = "<" if metric["alert_when"] == "below" else ">"
    return (
        metric["label"],
        fmt(metric["value"], metric["unit"]),
        fmt(metric["target"], metric["unit"]),
        f"{sign} {fmt(metric['threshold'], metric['unit'])}",
        state_text(metric),
    )


def _metrics_table(metrics: dict) -> str:
    rows = [("Metric", "value", "target", "alert when", "state")]
    rows += [metric_row(metric) for metric in metrics.values()]
    return _table(rows)


def _table(rows, indent: str = "") -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        indent
        + "  ".join(
            str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    )


def _integrity_lines(section: dict, results) -> list[str]:
    lines = [f"Data integrity: {section['total']} issue(s)"]
    by_name = {result.name: result for result in results}
    for name, count in check_counts(section).items():
        result = by_name.get(name)
        title = result.title if result else name
        if count is None:
            lines.append(f"  {name}: skipped ({section['skipped'][name]})")
            continue
        fixable = " (fixable with --fix)" if count and result and result.repairable else ""
        lines.append(f"  {name}: {count} - {title}{fixable}")
        examples = result.examples if result else []
        for example in examples:
            lines.append("      " + ", ".join(f"{k}={v}" for k, v in example.items()))
        if examples and result is not None and result.more:
            lines.append(f"      ... and {result.more} more")
    return lines + [""]


def _activity_lines(checks: dict) -> list[str]:
    activity = checks["xp_activity"]
    scenes = checks["scene_xp_awards"]
    return [
        "XP spending requests created in the period: "
        f"{activity['total_requests']} (pending {activity['pending']}, approved "
        f"{activity['approved']}, denied {activity['denied']}; approval rate "
        f"{fmt(activity['approval_rate'], '%')}); pending in all: {activity['all_time_pending']}",
        f"Scenes finished in the period: {scenes['scenes_finished']}, awarded "
        f"{scenes['scenes_awarded']} (award rate {fmt(scenes['award_rate'], '%')}, award "
        f"success {fmt(scenes['award_success_rate'], '%')}); awaiting XP in all: "
        f"{scenes['scenes_awaiting_xp']}",
        "",
    ]


def _operations_lines(operations: dict) -> list[str]:
    header = ("XP operations", "total", *(label for _, label, _ in OUTCOME_COLUMNS))
    header += ("success", "rollback", "median", "p95", "max")
    rows = [header]
    for name in (*Operation.values, "all"):
        op = operations[name]
        times = op.get("time_ms", {})
        rows.append(
            (
                name,
                op["total"],
                *(op[key] for key, _, _ in OUTCOME_COLUMNS),
                fmt(op["success_rate"], "%", none="-"),
                fmt(op["rollback_rate"], "%", none="-"),
                *(fmt(times[q], "ms", none="-") if times else "" for q in ("median", "p95", "max")),
            )
        )
    return [_table(rows), ""]


def _character_lines(stats: dict, database: dict) -> list[str]:
    by_status = ", ".join(f"{status} {count}" for status, count in stats["by_status"].items())
    rows, retention = database["table_rows"], database["retention_days"]
    lines = [
        f"Characters: {stats['total']} ({by_status}); average XP {fmt(stats['average_xp'])}",
        f"Database: {database['vendor']}",
        f"Kept: {rows['operation_records']} operation record(s) "
        f"({retention['operation_records']} days), {rows['monitor_snapshots']} snapshot(s) "
        f"({retention['monitor_snapshots']} days)",
    ]
    if database["deadlocks"] is not None:
        since = database.get("deadlocks_since") or "the server started"
        lines[1] += f", {database['deadlocks']} deadlock(s) since {since}"
    return lines


def _cache_lines(section: dict) -> list[str]:
    state = "answering" if section["available"] else "NOT ANSWERING (pages served without it)"
    return [f"Cache: {section['backend']}, {state}"]


def _slowest_lines(slowest: list[dict]) -> list[str]:
    lines = ["", "Slowest XP operations of the period"]
    if not slowest:
        return lines + ["  none recorded"]
    rows = [("when", "operation", "outcome", "code", "ms", "character", "scene")]
    rows += [
        (
            row["created_at"],
            row["operation"],
            row["outcome"],
            row["code"] or "-",
            row["duration_ms"],
            row["character_id"] or "-",
            row["scene_id"] or "-",
        )
        for row in slowest
    ]
    return lines + [_table(rows, "  ")]


def _notification_lines(notification) -> list[str]:
    if notification.kind is None:
        return ["", f"Notification: nothing sent ({notification.reason})"]
    lines = ["", f"Notification: {notification.kind} ({notification.reason})"]
    lines += [
        f"  {delivery.channel}: {'ok' if delivery.ok else 'FAILED'} - {delivery.detail}"
        for delivery in notification.deliveries
    ]
    return lines


def what_to_do(data: dict) -> list[str]:
    """The actions of the breached metrics, then notes that need no alarm."""
    todo = [alert["action"] for alert in data["alerts"] if alert["metric"] != "health_score"]
    checks = data["checks"]
    if checks["data_integrity"].get("skipped"):
        todo.append(
            "Some integrity checks were skipped (see above): their tables or columns "
            "are missing, so run `manage.py migrate`."
        )
    if not todo:
        todo.append("Nothing: every measured figure is within its threshold.")
    awaiting = checks["scene_xp_awards"]["scenes_awaiting_xp"]
    if awaiting:
        todo.append(
            f"{awaiting} finished scene(s) wait for their XP: a storyteller's task, not a fault."
        )
    pending = checks["xp_activity"]["all_time_pending"]
    if pending:
        todo.append(f"{pending} XP request(s) wait for a storyteller's decision.")
    return todo


def render_alert_text(data: dict, kind: str) -> tuple[str, str]:
    """(email subject, message text) of an alert or a recovery notice."""
    score = fmt(data["health_score"])
    if kind == "recovery":
        subject = f"[tg] recovered: healthy, score {score}/100"
        text = (
            f"tg is healthy again: score {score}/100 over the last {data['period_hours']} h "
            f"({data['timestamp']}). No threshold is crossed."
        )
        return subject, text
    subject = f"[tg] {data['status'].upper()}: health score {score}/100"
    lines = [
        f"tg is {data['status'].upper()}: score {score}/100 over the last "
        f"{data['period_hours']} h ({data['timestamp']})."
    ]
    for alert in data["alerts"]:
        if alert["metric"] == "health_score":
            continue
        lines.append(f"- {_alert_line(alert)}")
        lines.append(f"  {alert['action']}")
    lines.append("Full report: python manage.py monitor_validation --verbose")
    return subject, "\n".join(lines)


# Seconds per unit of the report's durations (milliseconds in JSON, seconds in Prometheus).
MS = 1000
DURATION_GAUGES = (
    ("median", "tg_xp_operation_duration_median_seconds", "Median XP operation time"),
    ("p95", "tg_xp_operation_duration_p95_seconds", "95th percentile of XP operation time"),
    ("max", "tg_xp_operation_duration_max_seconds", "Longest XP operation"),
)


class _Families:
    """A collector that yields ready-made metric families (a counter read from the
    database cannot be a ``Counter`` object: those only count up in this process)."""

    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


def render_prometheus(data: dict) -> bytes:
    """The report as Prometheus text exposition, from a registry built for this call.

    Naming follows Prometheus' conventions (docs/deployment/monitoring.md maps the
    older names): base units (seconds), ``_total`` only on counters, no ``quantile``
    label outside summaries. Everything is a gauge over the report's period except
    the database's deadlock counter.
    """
    registry = CollectorRegistry(auto_describe=True)

    def gauge(name, doc, labels=()):
        return Gauge(name, doc, labelnames=labels, registry=registry)

    gauge("tg_health_score", "Health score 0-100").set(data["health_score"])
    status = gauge("tg_health_status", "1 for the current status", ("status",))
    for name in (HEALTHY, DEGRADED, CRITICAL):
        status.labels(name).set(1 if data["status"] == name else 0)
    gauge("tg_monitor_period_seconds", "Length of the measured period").set(
        data["period_hours"] * 3600
    )
    gauge("tg_monitor_alerts", "Thresholds crossed").set(len(data["alerts"]))
    if data.get("last_snapshot"):
        last = datetime.fromisoformat(data["last_snapshot"]).timestamp()
        gauge("tg_monitor_last_snapshot_timestamp_seconds", "Last cron run").set(last)

    value = gauge("tg_metric_value", "Judged metric value, in the metric's unit", ("metric",))
    threshold = gauge("tg_metric_threshold", "Alert threshold", ("metric",))
    breached = gauge("tg_metric_breached", "1 when the threshold is crossed", ("metric",))
    no_data = gauge("tg_metric_no_data", "1 when nothing was measured", ("metric",))
    insufficient = gauge(
        "tg_metric_insufficient_data",
        "1 when a rate or percentile has too small a sample to be judged",
        ("metric",),
    )
    sample = gauge("tg_metric_sample", "Operations a rate or percentile is over", ("metric",))
    for key, metric in data["metrics"].items():
        if metric["value"] is not None:
            value.labels(key).set(metric["value"])
        threshold.labels(key).set(metric["threshold"])
        breached.labels(key).set(1 if metric["state"] == BREACH else 0)
        no_data.labels(key).set(1 if metric["state"] == NO_DATA else 0)
        insufficient.labels(key).set(1 if metric["state"] == INSUFFICIENT_DATA else 0)
        if metric.get("sample") is not None:
            sample.labels(key).set(metric["sample"])

    checks = data["checks"]
    issues = gauge("tg_integrity_issues", "Violations per integrity check", ("check",))
    for name, count in check_counts(checks["data_integrity"]).items():
        if count is not None:
            issues.labels(name).set(count)

    outcomes = gauge("tg_xp_operations", "XP operations in the period", ("operation", "outcome"))
    durations = {
        key: gauge(name, doc + " in the period", ("operation",))
        for key, name, doc in DURATION_GAUGES
    }
    for name in Operation.values:
        op = checks["xp_operations"][name]
        for key, _, outcome in OUTCOME_COLUMNS:
            outcomes.labels(name, outcome).set(op[key])
        for key, metric in durations.items():
            if op["time_ms"][key] is not None:
                metric.labels(name).set(op["time_ms"][key] / MS)

    activity = checks["xp_activity"]
    requests = gauge("tg_xp_requests", "XP requests created in the period", ("status",))
    for key in ("pending", "approved", "denied"):
        requests.labels(key).set(activity[key])
    gauge("tg_xp_requests_pending_all", "XP requests pending").set(activity["all_time_pending"])

    scenes = checks["scene_xp_awards"]
    for key in ("scenes_finished", "scenes_awarded", "scenes_awaiting_xp"):
        gauge(f"tg_{key}", key.replace("_", " ")).set(scenes[key])

    stats = checks["character_stats"]
    characters = gauge("tg_characters", "Characters by status", ("status",))
    for key, count in stats["by_status"].items():
        characters.labels(key).set(count)
    if stats["average_xp"] is not None:
        gauge("tg_characters_average_xp", "Average XP").set(stats["average_xp"])

    database = checks["database"]
    rows = gauge("tg_database_table_rows", "Rows kept in a monitoring table", ("table",))
    for table, count in database["table_rows"].items():
        rows.labels(table).set(count)
    gauge("tg_cache_up", "1 when the cache (Redis) answers").set(
        1 if checks["cache"]["available"] else 0
    )
    if database["deadlocks"] is not None:
        deadlocks = CounterMetricFamily(
            "tg_database_deadlocks",
            "Deadlocks in tg's database since the server's statistics were reset",
            value=database["deadlocks"],
        )
        registry.register(_Families([deadlocks]))
    return generate_latest(registry)
