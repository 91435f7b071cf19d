"""``/metrics`` parses with the official client's parser and follows Prometheus' naming
conventions (what ``promtool check metrics`` checks): base units, ``_total`` only on
counters, quantiles only on summaries; the renamed series are mapped in the docs."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from core.models import Operation, OperationRecord, Outcome
from tests.processes import ROOT

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

TOKEN = "scrape-token"
# Units Prometheus wants as their base unit (seconds), and the abbreviations promtool flags.
NON_BASE_UNITS = {
    "ms",
    "us",
    "ns",
    "msec",
    "sec",
    "secs",
    "min",
    "mins",
    "minutes",
    "hours",
    "hrs",
    "days",
    "weeks",
    "milliseconds",
    "microseconds",
    "nanoseconds",
}
SUMMARY_SUFFIXES = ("_sum", "_count")
HISTOGRAM_SUFFIXES = ("_sum", "_count", "_bucket")


@pytest.fixture
def exposition(client, settings, tg_monitoring):
    """/metrics after a cron run, with every operation and outcome recorded."""
    tg_monitoring(TOKEN=TOKEN, ENDPOINT_CACHE_SECONDS=0)
    cache.clear()
    call_command("monitor_validation", "--json", stdout=StringIO(), stderr=StringIO())
    when = timezone.now() - timedelta(minutes=5)
    OperationRecord.objects.bulk_create(
        OperationRecord(operation=operation, outcome=outcome, duration_ms=40.0 + i, created_at=when)
        for operation in Operation.values
        for i, outcome in enumerate(Outcome.values)
    )
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return response.content.decode()


def families(text):
    return list(text_string_to_metric_families(text))


def test_the_exposition_parses_with_prometheus_clients_parser(exposition):
    parsed = {family.name: family for family in families(exposition)}

    assert parsed["tg_health_score"].type == "gauge"
    assert parsed["tg_monitor_period_seconds"].samples[0].value == 24 * 3600
    [spend_max] = [
        s
        for s in parsed["tg_xp_operation_duration_max_seconds"].samples
        if s.labels == {"operation": "xp_spend"}
    ]
    assert spend_max.value == pytest.approx(0.044)


def test_every_name_follows_the_naming_conventions(exposition):
    problems = []
    for family in families(exposition):
        name = family.name
        if not re.fullmatch(r"tg_[a-z0-9_]+", name):
            problems.append(f"{name}: not a snake_case tg_ name")
        if not family.documentation:
            problems.append(f"{name}: no HELP")
        if NON_BASE_UNITS & set(name.split("_")):
            problems.append(f"{name}: not in base units")
        for sample in family.samples:
            if family.type == "counter":
                if not sample.name.endswith("_total") and not sample.name.endswith("_created"):
                    problems.append(f"{sample.name}: a counter without _total")
            elif sample.name.endswith("_total"):
                problems.append(f"{sample.name}: _total on a {family.type}")
            if family.type != "summary" and "quantile" in sample.labels:
                problems.append(f"{sample.name}: quantile label on a {family.type}")
            if family.type != "histogram" and "le" in sample.labels:
                problems.append(f"{sample.name}: le label on a {family.type}")
            if family.type not in ("summary", "histogram") and sample.name.endswith(
                HISTOGRAM_SUFFIXES
            ):
                problems.append(f"{sample.name}: summary/histogram suffix on a {family.type}")
    assert problems == []


@pytest.mark.postgres
def test_the_database_deadlock_counter_is_a_counter(exposition):
    [family] = [f for f in families(exposition) if f.name == "tg_database_deadlocks"]

    assert family.type == "counter"
    assert [s.name for s in family.samples] == ["tg_database_deadlocks_total"]
    assert connection.vendor == "postgresql"


def renamed_series() -> list[tuple[str, str]]:
    """(before, now) rows of the renaming table in docs/deployment/monitoring.md."""
    doc = (ROOT / "docs" / "deployment" / "monitoring.md").read_text()
    section = doc.split("### Series renamed", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([^`]+)` \| (.+) \|$", section, flags=re.MULTILINE)


POSTGRESQL_ONLY = {"tg_database_deadlocks_total"}


def test_the_docs_map_every_old_name_to_one_the_endpoint_serves(exposition):
    served = {sample.name for family in families(exposition) for sample in family.samples}
    if connection.vendor != "postgresql":
        served |= POSTGRESQL_ONLY
    rows = renamed_series()

    assert {old.split("{")[0] for old, _ in rows} >= {
        "tg_monitor_period_hours",
        "tg_integrity_issues_total",
        "tg_xp_operation_duration_ms",
        "tg_database_deadlocks",
    }
    for old, new in rows:
        assert old.split("{")[0] not in served, old
        names = re.findall(r"tg_[a-z0-9_]+", new)
        assert names and all(name in served for name in names), (old, new)
