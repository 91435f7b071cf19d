"""``monitor_validation --json``: one line per run, valid against the published JSON
Schema (docs/deployment/monitor_report.schema.json), with every key of the original
report beside tg's own; the documented cron line appends exactly one parseable line."""

import copy
import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone
from jsonschema import Draft202012Validator

from characters.models import Character
from core.models import OperationRecord
from game.models import Scene
from tests.support import corrupt

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

SCHEMA_PATH = Path(settings.BASE_DIR) / "docs" / "deployment" / "monitor_report.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = Draft202012Validator(SCHEMA)

# The keys the original report's consumers read from the cron log (section: keys).
ORIGINAL_KEYS = {
    "xp_activity": [
        "total_spending_records",
        "pending_approval",
        "approved",
        "denied",
        "approval_rate",
    ],
    "scene_xp_awards": [
        "total_scenes",
        "finished_scenes",
        "scenes_with_xp_awarded",
        "scenes_awaiting_xp",
        "xp_award_rate",
    ],
    "character_stats": ["total_characters", "status_breakdown", "average_xp"],
    "data_integrity": ["total", "healthy"],
}


def run(*args) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("monitor_validation", *args, stdout=out, stderr=StringIO())
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


@pytest.fixture
def busy_period(make_human, storyteller, chronicle):
    """A period with every section filled: requests, decisions, a scene award, refusals,
    failures, and one integrity issue."""
    ada = make_human("Ada", xp=30)
    first = ada.spend_xp("strength", "Strength", 4, "attribute")
    second = ada.spend_xp("alertness", "Alertness", 3, "ability")
    ada.spend_xp("brawl", "Brawl", 3, "ability")
    ada.approve_xp_spend(first.pk, "strength", 2, storyteller)
    ada.deny_xp_spend(second.pk, storyteller, reason="not yet")
    scene = Scene.objects.create(
        chronicle=chronicle, name="Elysium", finished=True, finished_at=timezone.now()
    )
    scene.participants.add(ada)
    scene.award_xp({ada: 2})
    Scene.objects.create(chronicle=chronicle, name="Later")
    make_human("Bo", status="Un")
    when = timezone.now() - timedelta(hours=1)
    OperationRecord.objects.bulk_create(
        OperationRecord(operation="xp_spend", outcome=outcome, duration_ms=12, created_at=when)
        for outcome in ["rejected"] * 5 + ["error"] * 2 + ["deadlock"]
    )
    corrupt(Character, ada.pk, xp=99)  # XP the ledger never saw
    return ada


def test_the_schema_is_a_valid_json_schema():
    Draft202012Validator.check_schema(SCHEMA)


def test_a_busy_period_validates_against_the_schema(busy_period):
    out, code = run("--json")
    data = json.loads(out)

    assert code == 1  # the integrity issue
    assert list(VALIDATOR.iter_errors(data)) == []


def test_verbose_alert_output_validates_against_the_schema(
    busy_period, settings, mailoutbox, tg_monitoring
):
    tg_monitoring(ALERT_EMAILS=["ops@example.test"])

    out, _code = run("--json", "--verbose", "--alert")
    data = json.loads(out)

    assert {"details", "notification"} <= set(data)
    assert list(VALIDATOR.iter_errors(data)) == []


def test_the_endpoint_document_validates_against_the_schema(
    busy_period, client, settings, tg_monitoring
):
    tg_monitoring(TOKEN="t", ENDPOINT_CACHE_SECONDS=0)
    run("--json")

    data = client.get("/health/validation/", HTTP_AUTHORIZATION="Bearer t").json()

    assert "last_snapshot" in data
    assert list(VALIDATOR.iter_errors(data)) == []


def test_the_original_keys_carry_the_same_figures_as_tgs_own(busy_period):
    checks = json.loads(run("--json")[0])["checks"]

    activity, scenes, stats = (
        checks["xp_activity"],
        checks["scene_xp_awards"],
        checks["character_stats"],
    )
    assert (activity["total_spending_records"], activity["pending_approval"]) == (3, 1)
    assert (activity["approved"], activity["denied"], activity["approval_rate"]) == (1, 1, 50.0)
    assert scenes["total_scenes"] == 2
    assert (scenes["finished_scenes"], scenes["scenes_with_xp_awarded"]) == (1, 1)
    assert (scenes["scenes_awaiting_xp"], scenes["xp_award_rate"]) == (0, 100.0)
    assert stats["total_characters"] == stats["total"] == 2
    assert stats["status_breakdown"] == {
        "unfinished": 1,
        "submitted": 0,
        "approved": 1,
        "retired": 0,
        "deceased": 0,
    }
    assert (checks["data_integrity"]["total"], checks["data_integrity"]["healthy"]) == (1, False)


@pytest.mark.parametrize(
    ("section", "key"), [(s, k) for s, keys in ORIGINAL_KEYS.items() for k in keys]
)
def test_the_schema_refuses_a_document_without_an_original_key(section, key):
    data = json.loads(run("--json")[0])
    broken = copy.deepcopy(data)
    del broken["checks"][section][key]

    assert VALIDATOR.is_valid(data)
    assert not VALIDATOR.is_valid(broken)


def test_json_is_one_line():
    out, code = run("--json")

    assert code == 0
    assert out.count("\n") == 1 and out.endswith("}\n")


def test_indent_prints_the_same_document_over_many_lines_for_people():
    out, _ = run("--json", "--indent", "2")

    assert out.startswith('{\n  "timestamp": ')
    assert VALIDATOR.is_valid(json.loads(out))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--json", "--indent", "9"), "--indent must be a whole number of spaces from 0 to 8, "),
        (("--json", "--indent", "two"), "--indent must be a whole number of spaces from 0 to 8, "),
        (("--indent", "2"), "--indent only applies to --json."),
    ],
)
def test_a_bad_indent_is_a_usage_error(args, message):
    with pytest.raises(CommandError) as error:
        call_command("monitor_validation", *args, stdout=StringIO(), stderr=StringIO())
    assert error.value.returncode == 2
    assert str(error.value).startswith(message)
