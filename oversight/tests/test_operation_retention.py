"""Operation records are pruned by each monitor run after ``OPERATION_RETENTION_DAYS``
(90 by default), in batches that each commit on their own; the report's ``database``
section tells how many rows the monitoring tables hold."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from core.models import MonitorSnapshot, OperationRecord
from oversight.monitoring.retention import prune_operation_records

pytestmark = pytest.mark.dates


def records_aged(*days: float) -> None:
    now = timezone.now()
    OperationRecord.objects.bulk_create(
        OperationRecord(
            operation="xp_spend",
            outcome="success",
            duration_ms=5,
            created_at=now - timedelta(days=age),
        )
        for age in days
    )


def monitor(*args) -> dict:
    out = StringIO()
    call_command("monitor_validation", "--json", *args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def ages() -> list[int]:
    now = timezone.now()
    return sorted(
        (now - r).days for r in OperationRecord.objects.values_list("created_at", flat=True)
    )


@pytest.mark.django_db
def test_the_monitor_run_deletes_records_older_than_90_days_by_default():
    records_aged(200, 91, 89, 1)

    monitor()

    assert ages() == [1, 89]


@pytest.mark.django_db
def test_the_retention_is_its_own_setting(settings, tg_monitoring):
    tg_monitoring(OPERATION_RETENTION_DAYS=30, SNAPSHOT_RETENTION_DAYS=365)
    records_aged(45, 31, 29)
    MonitorSnapshot.objects.create(
        created_at=timezone.now() - timedelta(days=45),
        health_score=100,
        status="healthy",
        report={},
    )

    monitor()

    assert ages() == [29]
    assert MonitorSnapshot.objects.count() == 2, "snapshots keep their own retention"


@pytest.mark.django_db(transaction=True)
def test_records_are_deleted_in_batches_each_committed_on_its_own():
    """A long backlog is never one long transaction: each batch is its own."""
    records_aged(*[100] * 25, 10)
    deletes = []

    def watch(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("DELETE"):
            # One atomic block open: the DELETE's own transaction, none around it.
            deletes.append(len(connection.atomic_blocks))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        deleted = prune_operation_records(batch_size=10)

    assert deleted == 25
    assert deletes == [1, 1, 1]
    assert ages() == [10]


@pytest.mark.django_db
def test_the_database_section_counts_the_rows_of_the_monitoring_tables():
    records_aged(3, 2, 1)
    MonitorSnapshot.objects.create(health_score=100, status="healthy", report={})

    database = monitor()["checks"]["database"]

    assert database["table_rows"] == {"operation_records": 3, "monitor_snapshots": 1}
    assert database["retention_days"] == {"operation_records": 90, "monitor_snapshots": 90}


@pytest.mark.django_db
def test_the_text_report_shows_what_is_kept():
    records_aged(1)
    out = StringIO()

    call_command("monitor_validation", stdout=out, stderr=StringIO())

    assert "Kept: 1 operation record(s) (90 days), 0 snapshot(s) (90 days)" in out.getvalue()
