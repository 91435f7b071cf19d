"""Each figure of the monitoring report, measured on data built to give a known answer."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from characters.models import Character, status_repair
from game.models import Scene, SpendStatus, XPSpendingRequest
from oversight.integrity import REGISTRY
from oversight.monitoring import build_report
from tests.support import operation_records

pytestmark = [pytest.mark.django_db, pytest.mark.dates]


def checks(**kwargs):
    return build_report(period_hours=kwargs.pop("period_hours", 24), **kwargs).data["checks"]


def test_spend_times_are_median_p95_and_max_of_the_period():
    """Ten spends of 10..100 ms: PostgreSQL's percentile_cont gives 55 and 95.5."""
    operation_records("xp_spend", "success", durations=[10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    operation_records(
        "xp_spend", "success", durations=[5000], ago=timedelta(hours=30)
    )  # before the period

    spend = checks()["xp_operations"]["xp_spend"]

    assert spend["time_ms"] == {"median": 55.0, "p95": 95.5, "max": 100.0}
    assert spend["total"] == 10


def test_a_single_operation_is_its_own_median_and_p95():
    operation_records("scene_award", "success", durations=[42.0])
    assert checks()["xp_operations"]["scene_award"]["time_ms"] == {
        "median": 42.0,
        "p95": 42.0,
        "max": 42.0,
    }


def test_refusals_are_counted_apart_and_do_not_lower_the_success_rate():
    """Success rate = successes / (successes + errors + violations + deadlocks)."""
    operation_records("xp_spend", "success", durations=[10] * 18)
    operation_records("xp_spend", "error", durations=[10], code="OperationalError")
    operation_records("xp_spend", "deadlock", durations=[10], code="deadlock_detected")
    operation_records("xp_spend", "rejected", durations=[1] * 30, code="insufficient_xp")

    spend = checks()["xp_operations"]["xp_spend"]

    assert spend["success"] == 18
    assert spend["rejected"] == 30
    assert (spend["errors"], spend["deadlocks"], spend["constraint_violations"]) == (1, 1, 0)
    assert spend["success_rate"] == 90.0
    assert spend["rollback_rate"] == 4.0  # 2 failures among 50 operations


def test_constraint_violations_and_deadlocks_are_counted_per_day():
    """48 hours with 6 violations is 3 a day; shorter periods are not extrapolated."""
    operation_records(
        "xp_approve",
        "constraint_violation",
        durations=[5] * 6,
        ago=timedelta(hours=30),
        code="x_range",
    )
    operation_records("xp_approve", "deadlock", durations=[5] * 2, ago=timedelta(hours=1))

    two_days = checks(period_hours=48)["xp_operations"]
    one_hour = checks(period_hours=2)["xp_operations"]

    assert two_days["all"]["constraint_violations"] == 6
    assert two_days["all"]["constraint_violations_per_day"] == 3.0
    assert two_days["xp_approve"]["deadlocks_per_day"] == 1.0
    assert one_hour["all"]["constraint_violations_per_day"] == 0.0
    assert one_hour["all"]["deadlocks_per_day"] == 2.0


def test_operations_without_records_report_no_data():
    deny = checks()["xp_operations"]["xp_deny"]
    assert deny["total"] == 0
    assert deny["success_rate"] is None and deny["rollback_rate"] is None
    assert deny["time_ms"] == {"median": None, "p95": None, "max": None}


def test_real_xp_operations_appear_in_the_report(make_human, storyteller):
    """Spends and decisions through the model methods record themselves."""
    ada = make_human(xp=20, strength=2)
    first = ada.spend_xp("strength", "Strength", 8, "attribute")
    second = ada.spend_xp("alertness", "Alertness", 3, "ability")
    with pytest.raises(ValidationError):
        ada.spend_xp("brawl", "Brawl", 50, "ability")
    ada.approve_xp_spend(first.pk, "strength", 3, storyteller)
    ada.deny_xp_spend(second.pk, storyteller, reason="not yet")

    report = checks()
    ops = report["xp_operations"]

    assert (ops["xp_spend"]["total"], ops["xp_spend"]["success"]) == (3, 2)
    assert ops["xp_spend"]["rejected"] == 1
    assert ops["xp_spend"]["success_rate"] == 100.0
    assert ops["xp_approve"]["success"] == ops["xp_deny"]["success"] == 1
    assert ops["xp_spend"]["time_ms"]["max"] >= ops["xp_spend"]["time_ms"]["median"] > 0
    activity = report["xp_activity"]
    assert activity == {
        "total_requests": 2,
        "pending": 0,
        "approved": 1,
        "denied": 1,
        "approval_rate": 50.0,
        "all_time_pending": 0,
        "total_spending_records": 2,
        "pending_approval": 0,
    }


def test_xp_activity_counts_requests_created_in_the_period(make_human, storyteller):
    ada = make_human(xp=30)
    for trait in ("alertness", "athletics", "brawl", "empathy"):
        ada.spend_xp(trait, trait.title(), 3, "ability")
    old = ada.spend_xp("expression", "Expression", 3, "ability")
    XPSpendingRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    XPSpendingRequest.objects.filter(trait_name="alertness").update(
        status=SpendStatus.APPROVED, decided_at=timezone.now(), decided_by=storyteller
    )

    activity = checks()["xp_activity"]

    assert activity["total_requests"] == 4
    assert (activity["pending"], activity["approved"], activity["denied"]) == (3, 1, 0)
    assert activity["approval_rate"] == 100.0, "approved among the decided ones"
    assert activity["all_time_pending"] == 4


def test_scene_awards_count_finished_awarded_and_waiting_scenes(chronicle, make_human):
    now = timezone.now()
    ada = make_human()
    for name, finished_at in (("a", now), ("b", now), ("c", now), ("old", now - timedelta(days=5))):
        Scene.objects.create(chronicle=chronicle, name=name, finished=True, finished_at=finished_at)
    Scene.objects.create(chronicle=chronicle, name="running")
    scene = Scene.objects.get(name="a")
    scene.participants.add(ada)
    scene.award_xp({ada: 2})
    Scene.objects.filter(name="old").update(xp_given=True, xp_awarded_at=now)

    awards = checks()["scene_xp_awards"]

    assert awards == {
        "scenes_finished": 3,
        "scenes_awarded": 1,
        "scenes_awaiting_xp": 2,
        "award_rate": 33.33,
        "award_success_rate": 100.0,
        "total_scenes": 5,  # created in the period
        "finished_scenes": 3,
        "scenes_with_xp_awarded": 1,
        "xp_award_rate": 33.33,
    }


def test_character_stats_count_every_status_and_average_the_xp(make_human):
    make_human("Ada", xp=10)
    make_human("Bo", xp=20, status="Un")
    ret = make_human("Cy", xp=3)
    with status_repair():
        Character.objects.filter(pk=ret.pk).update(status="Ret")

    stats = checks()["character_stats"]

    assert stats == {
        "total": 3,
        "by_status": {"Un": 1, "Sub": 0, "App": 1, "Ret": 1, "Dec": 0},
        "average_xp": 11.0,
        "total_characters": 3,
        "status_breakdown": {
            "unfinished": 1,
            "submitted": 0,
            "approved": 1,
            "retired": 1,
            "deceased": 0,
        },
    }


def test_data_integrity_lists_every_registry_check_with_total_and_healthy():
    integrity = checks()["data_integrity"]

    assert set(REGISTRY) <= set(integrity)
    counted = [v for k, v in integrity.items() if k in REGISTRY and v is not None]
    assert integrity["total"] == sum(counted) == 0
    assert integrity["healthy"] is True


def test_database_section_names_the_vendor():
    database = checks()["database"]
    assert database["vendor"] == connection.vendor
    if connection.vendor == "postgresql":
        assert isinstance(database["deadlocks"], int)
    else:
        assert database["deadlocks"] is None
