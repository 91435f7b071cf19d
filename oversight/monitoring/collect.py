"""The figures of the report, each read with a fixed number of aggregate queries.

Nothing here loops over rows: every section is one ``aggregate``/``GROUP BY`` query
(on SQLite the duration percentiles need one more), so the query count does not grow
with the data and the database does the counting. Rates are percentages rounded to two decimals, or
``None`` when there was nothing to divide (no data is not a failure).
"""

import secrets
from datetime import datetime, timedelta

from django.core.cache import cache, caches
from django.db import connection
from django.db.models import Avg, Count, Max, Q

from characters.models import Character, Status
from core.models import MonitorSnapshot, Operation, OperationRecord, Outcome
from core.records import RECORD_FIELDS
from game.models import Scene, SpendStatus, XPSpendingRequest
from oversight.monitoring.config import option

CACHE_PROBE_KEY = "tg:health:probe"

# Outcomes that mean the operation itself went wrong. ``rejected`` is not one of them:
# a refusal (not enough XP, a request already decided, a non-storyteller) is the
# operation doing its job and is reported separately.
FAILURE_OUTCOMES = (Outcome.CONSTRAINT_VIOLATION, Outcome.DEADLOCK, Outcome.ERROR)
PERCENTILES = (0.5, 0.95)


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def per_day(count: int, period_hours: int) -> float:
    """A count expressed per day. Periods shorter than a day are not extrapolated:
    one constraint violation in the last hour is one, not 24, per day."""
    return round(count / max(period_hours / 24, 1), 2)


# Keys of the data_integrity section that are not check names.
SUMMARY_KEYS = frozenset({"total", "healthy", "skipped"})


def check_counts(section: dict) -> dict[str, int | None]:
    """The per-check counts of a report's ``data_integrity`` section, without its summary
    keys (the JSON keeps both side by side, as the original report did)."""
    return {name: count for name, count in section.items() if name not in SUMMARY_KEYS}


def collect_data_integrity(examples: int = 0) -> tuple[dict, list]:
    """Each registry check's count by name, ``total`` and ``healthy``; the raw results."""
    from oversight.integrity import run_checks

    results = run_checks(examples=examples)
    section: dict = {}
    skipped = {}
    for result in results:
        section[result.name] = result.count
        if result.skipped:
            skipped[result.name] = result.skipped
    section["total"] = sum(r.count for r in results if r.count is not None)
    section["healthy"] = section["total"] == 0
    if skipped:
        section["skipped"] = skipped
    return section, results


def collect_xp_activity(start: datetime, end: datetime) -> dict:
    """Spending requests created in the period by status, and all pending ones."""
    in_period = Q(created_at__gte=start, created_at__lt=end)
    figures = XPSpendingRequest.objects.aggregate(
        total_requests=Count("pk", filter=in_period),
        pending=Count("pk", filter=in_period & Q(status=SpendStatus.PENDING)),
        approved=Count("pk", filter=in_period & Q(status=SpendStatus.APPROVED)),
        denied=Count("pk", filter=in_period & Q(status=SpendStatus.DENIED)),
        all_time_pending=Count("pk", filter=Q(status=SpendStatus.PENDING)),
    )
    decided = figures["approved"] + figures["denied"]
    return {
        "total_requests": figures["total_requests"],
        "pending": figures["pending"],
        "approved": figures["approved"],
        "denied": figures["denied"],
        "approval_rate": percent(figures["approved"], decided),
        "all_time_pending": figures["all_time_pending"],
        # The original report's names for the same figures, still read from cron logs.
        "total_spending_records": figures["total_requests"],
        "pending_approval": figures["pending"],
    }


def _operation_rows(records) -> dict[str, dict]:
    """Outcome counts, maximum, median and p95 per operation, in one query on PostgreSQL
    (two on SQLite)."""
    figures = {outcome: Count("pk", filter=Q(outcome=outcome)) for outcome in Outcome.values}
    grouped = (
        records.values("operation")
        .annotate(total=Count("pk"), max_ms=Max("duration_ms"), **figures)
        .order_by()
    )
    if connection.vendor == "postgresql":
        rows = _with_percentile_cont(grouped, ["operation", "total", "max_ms", *figures])
    else:
        rows = list(grouped)
        ranked = _ranked_percentiles(records)
        for row in rows:
            row["quantiles"] = ranked.get(row["operation"], {})
    return {row["operation"]: row for row in rows}


def _with_percentile_cont(grouped, columns: list[str]) -> list[dict]:
    """``grouped``'s rows, each with ``quantiles``: PostgreSQL's ``percentile_cont``.

    ``percentile_cont(...) GROUP BY operation`` would sort every record of the period
    by operation first (a GroupAggregate), then each operation's durations again. Here
    the grouping is a hash aggregate that collects each operation's durations into an
    array, and only those arrays are sorted: a third less time on a million records
    (bench/bench_monitor.py --profile). The arrays live in memory for the length of the
    query: 8 bytes a record of the period, bounded by the records' retention.
    """
    from django.contrib.postgres.aggregates import ArrayAgg

    inner, params = grouped.annotate(durations=ArrayAgg("duration_ms")).query.sql_with_params()
    names = ", ".join(f"s.{connection.ops.quote_name(column)}" for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {names}, (SELECT percentile_cont(%s::float8[]) WITHIN GROUP (ORDER BY d)"
            f" FROM unnest(s.durations) AS d) FROM ({inner}) AS s",
            [list(PERCENTILES), *params],
        )
        rows = []
        for *values, quantiles in cursor.fetchall():
            row = dict(zip(columns, values, strict=True))
            row["quantiles"] = dict(zip(PERCENTILES, quantiles, strict=True))
            rows.append(row)
    return rows


def _interpolate(values: dict[int, float], n: int, fraction: float) -> float:
    """``percentile_cont``: linear interpolation between the two closest ranks."""
    position = fraction * (n - 1)
    low = int(position)
    high = min(low + 1, n - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def _ranked_percentiles(records) -> dict[str, dict[float, float]]:
    """Median and p95 per operation where ``percentile_cont`` does not exist (SQLite).

    One window query numbers each operation's durations in order and returns only the
    rows on either side of each percentile; interpolating between them gives the
    values PostgreSQL's ``percentile_cont`` would.
    """
    inner, params = records.order_by().values("operation", "duration_ms").query.sql_with_params()
    ranks = " OR ".join(
        f"rn IN (CAST({p} * (n - 1) AS INTEGER), CAST({p} * (n - 1) AS INTEGER) + 1)"
        for p in PERCENTILES
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT operation, rn, n, duration_ms FROM ("
            " SELECT operation, duration_ms,"
            "  ROW_NUMBER() OVER (PARTITION BY operation ORDER BY duration_ms) - 1 AS rn,"
            "  COUNT(*) OVER (PARTITION BY operation) AS n"
            f" FROM ({inner}) AS r) AS ranked WHERE {ranks}",
            params,
        )
        ranked: dict[str, tuple[int, dict[int, float]]] = {}
        for operation, rank, n, duration in cursor.fetchall():
            ranked.setdefault(operation, (n, {}))[1][rank] = duration
    return {
        operation: {p: _interpolate(values, n, p) for p in PERCENTILES}
        for operation, (n, values) in ranked.items()
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _operation_section(row: dict | None, period_hours: int) -> dict:
    row = row or {"total": 0, "max_ms": None}
    total = row["total"]
    success = row.get(Outcome.SUCCESS, 0)
    violations = row.get(Outcome.CONSTRAINT_VIOLATION, 0)
    deadlocks = row.get(Outcome.DEADLOCK, 0)
    rejected = row.get(Outcome.REJECTED, 0)
    # An outcome tg does not know would be a bug in the recorder: count it as an error.
    errors = total - success - violations - deadlocks - rejected
    failures = violations + deadlocks + errors
    quantiles = row.get("quantiles", {})
    return {
        "total": total,
        "success": success,
        "rejected": rejected,
        "constraint_violations": violations,
        "deadlocks": deadlocks,
        "errors": errors,
        "success_rate": percent(success, success + failures),
        "rollback_rate": percent(failures, total),
        "constraint_violations_per_day": per_day(violations, period_hours),
        "deadlocks_per_day": per_day(deadlocks, period_hours),
        "time_ms": {
            "median": _ms(quantiles.get(0.5)),
            "p95": _ms(quantiles.get(0.95)),
            "max": _ms(row["max_ms"]),
        },
    }


def collect_xp_operations(start: datetime, end: datetime, period_hours: int) -> dict:
    """Per operation (and ``all``): outcomes, success and rollback rates, times in ms."""
    records = OperationRecord.objects.filter(created_at__gte=start, created_at__lt=end)
    rows = _operation_rows(records)
    section = {
        operation: _operation_section(rows.get(operation), period_hours)
        for operation in Operation.values
    }
    overall = {"total": 0, "max_ms": None}
    for row in rows.values():
        for key, value in row.items():
            if key not in ("operation", "quantiles", "max_ms"):
                overall[key] = overall.get(key, 0) + value
    all_ops = _operation_section(overall, period_hours)
    del all_ops["time_ms"]  # times across different operations mean nothing
    section["all"] = all_ops
    return section


def collect_scene_xp_awards(start: datetime, end: datetime, award_success_rate) -> dict:
    """Scenes finished in the period and how many got their XP; all scenes still waiting;
    scenes created in the period."""
    finished = Q(finished=True, finished_at__gte=start, finished_at__lt=end)
    figures = Scene.objects.aggregate(
        scenes_finished=Count("pk", filter=finished),
        scenes_awarded=Count("pk", filter=finished & Q(xp_given=True)),
        scenes_awaiting_xp=Count("pk", filter=Q(finished=True, xp_given=False)),
        scenes_created=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
    )
    award_rate = percent(figures["scenes_awarded"], figures["scenes_finished"])
    return {
        "scenes_finished": figures["scenes_finished"],
        "scenes_awarded": figures["scenes_awarded"],
        "scenes_awaiting_xp": figures["scenes_awaiting_xp"],
        "award_rate": award_rate,
        "award_success_rate": award_success_rate,
        # The original report's names, still read from cron logs.
        "total_scenes": figures["scenes_created"],
        "finished_scenes": figures["scenes_finished"],
        "scenes_with_xp_awarded": figures["scenes_awarded"],
        "xp_award_rate": award_rate,
    }


def collect_character_stats() -> dict:
    """All characters: total, count per status (``invalid`` for unknown ones), mean XP."""
    by_status = {status: Count("pk", filter=Q(status=status)) for status in Status.values}
    figures = Character.objects.aggregate(total=Count("pk"), average_xp=Avg("xp"), **by_status)
    counts = {status: figures[status] for status in Status.values}
    invalid = figures["total"] - sum(counts.values())
    if invalid:
        counts["invalid"] = invalid
    average = figures["average_xp"]
    return {
        "total": figures["total"],
        "by_status": counts,
        "average_xp": None if average is None else round(float(average), 2),
        # The original report's names: the total, and the count per status by its label.
        "total_characters": figures["total"],
        "status_breakdown": {
            Status(status).label.lower(): counts[status] for status in Status.values
        },
    }


def collect_database() -> dict:
    """The vendor, the rows and retention of the monitoring tables and, on PostgreSQL,
    the server's deadlock counter for tg's database."""
    section = {
        "vendor": connection.vendor,
        "deadlocks": None,
        "table_rows": {
            "operation_records": OperationRecord.objects.count(),
            "monitor_snapshots": MonitorSnapshot.objects.count(),
        },
        "retention_days": {
            "operation_records": option("OPERATION_RETENTION_DAYS"),
            "monitor_snapshots": option("SNAPSHOT_RETENTION_DAYS"),
        },
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT deadlocks, stats_reset FROM pg_stat_database "
                "WHERE datname = current_database()"
            )
            deadlocks, stats_reset = cursor.fetchone()
        section["deadlocks"] = deadlocks
        section["deadlocks_since"] = stats_reset.isoformat() if stats_reset else None
    return section


def cache_answers() -> bool:
    """Whether the default cache stores and returns a value right now.

    A real round trip: with ``IGNORE_EXCEPTIONS`` an unreachable Redis raises nothing,
    it just forgets, so only reading back what was written tells.
    """
    token = secrets.token_hex(8)
    try:
        cache.set(CACHE_PROBE_KEY, token, 30)
        return cache.get(CACHE_PROBE_KEY) == token
    except Exception:  # noqa: BLE001 - any cache failure means "not answering"
        return False


def collect_cache() -> dict:
    """The cache backend in use and whether it answers now."""
    return {"backend": type(caches["default"]).__name__, "available": cache_answers()}


def slowest_operations(start: datetime, end: datetime, limit: int) -> list[dict]:
    """The ``limit`` slowest XP operations of the period, slowest first."""
    rows = (
        OperationRecord.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by("-duration_ms", "-pk")
        .values(*RECORD_FIELDS)[:limit]
    )
    return [
        {**row, "duration_ms": _ms(row["duration_ms"]), "created_at": row["created_at"].isoformat()}
        for row in rows
    ]


def period_start(end: datetime, period_hours: int) -> datetime:
    return end - timedelta(hours=period_hours)


def outcome_codes(start: datetime, end: datetime, limit: int) -> list[dict]:
    """Refusal codes and error classes of the period: ``{operation, outcome, code, count}``
    for every outcome but success, most frequent first, at most ``limit`` rows."""
    rows = (
        OperationRecord.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(outcome=Outcome.SUCCESS)
        .values("operation", "outcome", "code")
        .annotate(count=Count("pk"))
        .order_by("-count", "operation", "outcome", "code")[:limit]
    )
    return [dict(row) for row in rows]
