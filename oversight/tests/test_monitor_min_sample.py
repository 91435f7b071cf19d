"""Rates and percentiles are judged only over a minimum sample (``MIN_SAMPLE``, 20 by
default): below it they are reported with their value and count as
``insufficient_data`` and do not move the score. Counts per day are not rates: they are
judged whatever the sample."""

from io import StringIO

import pytest
from django.core.management import call_command

from oversight.monitoring import build_report
from oversight.monitoring.render import render_prometheus
from tests.support import operation_records

pytestmark = [pytest.mark.django_db, pytest.mark.dates]


def report():
    return build_report(period_hours=24).data


def test_one_slow_spend_in_a_quiet_night_is_reported_but_not_judged():
    operation_records("xp_spend", "success", 1, ms=710)

    data = report()

    p95 = data["metrics"]["xp_spend_time_p95_ms"]
    assert (p95["value"], p95["state"], p95["sample"], p95["min_sample"]) == (
        710.0,
        "insufficient_data",
        1,
        20,
    )
    assert p95["target_met"] is None
    assert (data["status"], data["health_score"], data["alerts"]) == ("healthy", 100, [])


def test_one_failed_spend_does_not_read_as_zero_percent_success():
    operation_records("xp_spend", "error", 1)

    data = report()

    metrics = data["metrics"]
    assert (
        metrics["xp_spend_success_rate"]["value"],
        metrics["xp_spend_success_rate"]["state"],
    ) == (
        0.0,
        "insufficient_data",
    )
    assert metrics["transaction_rollback_rate"]["value"] == 100.0
    assert metrics["transaction_rollback_rate"]["state"] == "insufficient_data"
    assert (data["status"], data["health_score"]) == ("healthy", 100)


@pytest.mark.parametrize(("failures", "state"), [(19, "insufficient_data"), (20, "breach")])
def test_the_minimum_sample_is_20_operations(failures, state):
    operation_records("xp_spend", "error", failures)

    metric = report()["metrics"]["xp_spend_success_rate"]

    assert (metric["sample"], metric["state"]) == (failures, state)


def test_refusals_are_not_part_of_a_success_rate_sample_but_are_of_the_rollback_rate():
    operation_records("xp_spend", "rejected", 30)
    operation_records("xp_spend", "error", 1)

    metrics = report()["metrics"]

    assert metrics["xp_spend_success_rate"]["sample"] == 1
    assert metrics["xp_spend_success_rate"]["state"] == "insufficient_data"
    assert metrics["xp_spend_time_p95_ms"]["sample"] == 31
    rollback = metrics["transaction_rollback_rate"]
    assert (rollback["sample"], rollback["value"], rollback["state"]) == (31, 3.23, "ok")


def test_counts_per_day_are_judged_whatever_the_sample():
    operation_records("xp_approve", "deadlock", 2)

    metrics = report()["metrics"]

    assert metrics["database_deadlocks_per_day"]["state"] == "breach"
    assert metrics["database_deadlocks_per_day"]["sample"] is None
    assert metrics["transaction_rollback_rate"]["state"] == "insufficient_data"


def test_the_minimum_is_a_setting(settings, tg_monitoring):
    tg_monitoring(MIN_SAMPLE=5)
    operation_records("scene_award", "error", 5)

    data = report()

    assert data["metrics"]["scene_xp_award_success_rate"]["state"] == "breach"
    assert data["metrics"]["scene_xp_award_success_rate"]["min_sample"] == 5
    assert data["status"] == "degraded"


def test_the_text_report_shows_value_and_sample():
    operation_records("xp_spend", "success", 3, ms=900)
    out = StringIO()

    call_command("monitor_validation", stdout=out, stderr=StringIO())

    [row] = [line for line in out.getvalue().splitlines() if line.startswith("XP spend time")]
    assert row.split() == [
        "XP",
        "spend",
        "time",
        "(p95)",
        "900",
        "ms",
        "200",
        "ms",
        ">",
        "500",
        "ms",
        "insufficient",
        "data",
        "(3",
        "<",
        "20",
        "operations)",
    ]


def test_prometheus_shows_the_sample_and_the_insufficient_state():
    operation_records("xp_spend", "error", 2)

    lines = render_prometheus(report()).decode().splitlines()

    assert 'tg_metric_insufficient_data{metric="xp_spend_success_rate"} 1.0' in lines
    assert 'tg_metric_sample{metric="xp_spend_success_rate"} 2.0' in lines
    assert 'tg_metric_breached{metric="xp_spend_success_rate"} 0.0' in lines
