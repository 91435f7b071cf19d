"""The health score rule: thresholds, weights, no-data, status boundaries, settings."""

import pytest

from oversight.monitoring import build_report
from oversight.monitoring.config import metric_specs
from oversight.monitoring.health import judge
from tests.support import operation_records

pytestmark = [pytest.mark.django_db, pytest.mark.dates]


def report():
    return build_report(period_hours=24).data


def states(data):
    return {key: metric["state"] for key, metric in data["metrics"].items()}


def test_no_activity_at_all_is_healthy_with_no_data():
    data = report()

    assert (data["status"], data["health_score"], data["alerts"]) == ("healthy", 100, [])
    assert states(data) == {
        "health_score": "ok",
        "data_integrity_issues": "ok",
        "xp_spend_success_rate": "no_data",
        "xp_spend_time_p95_ms": "no_data",
        "scene_xp_award_success_rate": "no_data",
        "constraint_violations_per_day": "no_data",
        "transaction_rollback_rate": "no_data",
        "database_deadlocks_per_day": "no_data",
        "cache_available": "ok",
    }


def test_spend_success_exactly_at_the_threshold_does_not_alert():
    """90 % is the alert line: below it alerts, at it does not."""
    operation_records("xp_spend", "success", 90)
    operation_records("xp_spend", "error", 10)
    data = report()
    assert data["metrics"]["xp_spend_success_rate"]["value"] == 90.0
    assert data["metrics"]["xp_spend_success_rate"]["state"] == "ok"
    assert data["metrics"]["xp_spend_success_rate"]["target_met"] is False


def test_spend_success_below_the_threshold_costs_its_weight():
    operation_records("xp_spend", "success", 89)
    operation_records("xp_spend", "error", 11)
    data = report()

    spend = data["metrics"]["xp_spend_success_rate"]
    assert (spend["value"], spend["state"]) == (89.0, "breach")
    # 11 % of all operations rolled back: the rollback threshold (5 %) is crossed too.
    assert data["health_score"] == 100 - 20 - 15
    assert data["status"] == "degraded"
    assert [a["metric"] for a in data["alerts"]] == [
        "health_score",
        "xp_spend_success_rate",
        "transaction_rollback_rate",
    ]
    alert = data["alerts"][1]
    assert (alert["value"], alert["threshold"]) == (89.0, 90)
    assert alert["action"].startswith("Review errors")


def test_many_refusals_and_denials_leave_the_system_healthy():
    """Players asking for too much and storytellers saying no are not faults."""
    operation_records("xp_spend", "success", 5)
    operation_records("xp_spend", "rejected", 200, code="insufficient_xp")
    operation_records("xp_deny", "success", 40)
    operation_records("xp_approve", "rejected", 15, code="already_processed")

    data = report()

    assert (data["status"], data["health_score"], data["alerts"]) == ("healthy", 100, [])


def test_slow_spends_breach_the_p95_threshold_only():
    operation_records("xp_spend", "success", 90, ms=100)
    operation_records("xp_spend", "success", 10, ms=900)
    data = report()
    assert data["metrics"]["xp_spend_time_p95_ms"]["value"] == 900.0
    assert [a["metric"] for a in data["alerts"]] == ["health_score", "xp_spend_time_p95_ms"]
    assert (data["health_score"], data["status"]) == (85, "degraded")


def test_a_failed_scene_award_makes_the_system_degraded():
    operation_records("scene_award", "success", 99)
    operation_records("scene_award", "error", 1)
    data = report()
    assert data["metrics"]["scene_xp_award_success_rate"]["value"] == 99.0
    assert data["metrics"]["scene_xp_award_success_rate"]["state"] == "ok"

    operation_records("scene_award", "error", 1)
    data = report()
    assert data["metrics"]["scene_xp_award_success_rate"]["state"] == "breach"
    assert data["status"] == "degraded"


def test_deadlocks_above_one_a_day_alert():
    operation_records("xp_approve", "success", 200)
    operation_records("xp_approve", "deadlock", 1)
    assert report()["metrics"]["database_deadlocks_per_day"]["state"] == "ok"
    operation_records("xp_approve", "deadlock", 1)
    data = report()
    assert data["metrics"]["database_deadlocks_per_day"]["state"] == "breach"
    assert data["metrics"]["transaction_rollback_rate"]["state"] == "ok"


def test_constraint_violations_above_ten_a_day_alert():
    operation_records("xp_spend", "success", 1000)
    operation_records(
        "xp_spend", "constraint_violation", 10, code="characters_character_xp_nonnegative"
    )
    assert report()["metrics"]["constraint_violations_per_day"]["state"] == "ok"
    operation_records(
        "xp_spend", "constraint_violation", 1, code="characters_character_xp_nonnegative"
    )
    assert report()["metrics"]["constraint_violations_per_day"]["state"] == "breach"


def test_the_gravest_breaches_together_are_critical():
    values = {
        "data_integrity_issues": 3,
        "xp_spend_success_rate": 100,
        "xp_spend_time_p95_ms": 20,
        "scene_xp_award_success_rate": 50,
        "constraint_violations_per_day": 0,
        "transaction_rollback_rate": 0,
        "database_deadlocks_per_day": 0,
    }
    verdict = judge(metric_specs(), values)
    assert (verdict["health_score"], verdict["status"]) == (40, "critical")


def test_the_score_never_goes_below_zero():
    values = {
        "data_integrity_issues": 9,
        "xp_spend_success_rate": 0,
        "xp_spend_time_p95_ms": 9000,
        "scene_xp_award_success_rate": 0,
        "constraint_violations_per_day": 99,
        "transaction_rollback_rate": 99,
        "database_deadlocks_per_day": 9,
    }
    verdict = judge(metric_specs(), values)
    assert (verdict["health_score"], verdict["status"]) == (0, "critical")
    assert len(verdict["alerts"]) == 8


def test_thresholds_and_weights_can_be_changed_in_settings(settings, tg_monitoring):
    tg_monitoring(THRESHOLDS={"xp_spend_time_p95_ms": 1000}, WEIGHTS={"xp_spend_time_p95_ms": 60})
    operation_records("xp_spend", "success", 100, ms=900)
    data = report()
    assert data["metrics"]["xp_spend_time_p95_ms"]["threshold"] == 1000
    assert data["metrics"]["xp_spend_time_p95_ms"]["state"] == "ok"

    operation_records("xp_spend", "success", 100, ms=1500)
    data = report()
    assert data["metrics"]["xp_spend_time_p95_ms"]["value"] == 1500.0
    assert (data["health_score"], data["status"]) == (40, "critical")
