"""The report's query count does not grow with the data."""

import contextlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import Operation, OperationRecord, Outcome
from game.models import Scene
from oversight.monitoring import build_report

pytestmark = [pytest.mark.django_db, pytest.mark.dates]


def grow(make_human, chronicle, size):
    """``size`` characters, finished scenes and pending requests, 10×``size`` records."""
    now = timezone.now()
    for i in range(size):
        human = make_human(f"H{i}", xp=10 + i)
        human.spend_xp("alertness", "Alertness", 3, "ability")
        Scene.objects.create(chronicle=chronicle, name=f"S{i}", finished=True, finished_at=now)
    OperationRecord.objects.bulk_create(
        OperationRecord(
            operation=Operation.values[i % 5],
            outcome=Outcome.values[i % 5],
            duration_ms=i % 97,
            created_at=now - timedelta(minutes=i),
        )
        for i in range(10 * size)
    )


def queries(**options) -> int:
    with CaptureQueriesContext(connection) as captured:
        build_report(period_hours=24, **options)
    return len(captured)


@pytest.mark.parametrize("verbose", [False, True])
def test_report_queries_are_the_same_for_small_and_larger_data(
    make_human, chronicle, django_assert_num_queries, verbose
):
    grow(make_human, chronicle, 2)
    small = queries(verbose=verbose)
    grow(make_human, chronicle, 40)

    with django_assert_num_queries(small):
        build_report(period_hours=24, verbose=verbose)


def test_command_with_alert_queries_are_the_same_for_small_and_larger_data(
    make_human, chronicle, django_assert_num_queries, settings, tg_monitoring
):
    tg_monitoring(ALERT_EMAILS=["ops@example.test"])

    def command():
        with contextlib.suppress(CommandError):
            call_command("monitor_validation", "--alert", stdout=StringIO(), stderr=StringIO())

    grow(make_human, chronicle, 2)
    with CaptureQueriesContext(connection) as small:
        command()
    grow(make_human, chronicle, 40)

    with django_assert_num_queries(len(small)):
        command()


# Beside the integrity checks, per section, on each database.
SECTION_QUERIES = {
    "postgresql": {
        "operations: outcomes, maximum and percentile_cont per operation": 1,
        "XP requests": 1,
        "scenes": 1,
        "characters": 1,
        "table sizes (records, snapshots)": 2,
        "deadlocks (pg_stat_database)": 1,
    },
    "sqlite": {
        # No percentile_cont: a second query ranks the durations with a window function.
        "operations: outcomes and maximum, then ranked durations": 2,
        "XP requests": 1,
        "scenes": 1,
        "characters": 1,
        "table sizes (records, snapshots)": 2,
        # No pg_stat_database: deadlocks are read from the operation records alone.
    },
}


def test_the_monitoring_sections_take_a_fixed_number_of_queries_on_each_database():
    from oversight.integrity import run_checks

    with CaptureQueriesContext(connection) as integrity:
        run_checks()
    assert queries() == len(integrity) + sum(SECTION_QUERIES[connection.vendor].values())
