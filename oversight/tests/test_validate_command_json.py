"""--json: one JSON document on stdout and nothing else, in the documented schema."""

import json

import pytest

from characters.models import Character
from core.models import IntegrityFix
from tests.support import corrupt, validate

pytestmark = pytest.mark.django_db

CHECK_KEYS = {"name", "title", "count", "fixable", "fixed", "examples", "more", "skipped", "info"}
FIX_KEYS = {"check", "rows", "changes", "fields", "examples", "more", "skipped"}


@pytest.fixture
def drifted(make_human):
    """XP from before the ledger: a balance with no entry, which --fix records."""
    ada = make_human("Ada", xp=0)
    corrupt(Character, ada.pk, xp=12)
    return ada


def test_the_report_is_one_json_document_with_every_check(drifted):
    status, out, err = validate("--json")

    assert status == 1
    document = json.loads(out)
    assert set(document) == {"status", "total_issues", "checks"}
    assert (document["status"], document["total_issues"]) == ("issues", 1)
    assert all(set(check) == CHECK_KEYS for check in document["checks"])
    ledger = next(c for c in document["checks"] if c["name"] == "xp_ledger")
    assert ledger == {
        "name": "xp_ledger",
        "title": "Characters whose XP differs from the sum of their ledger entries",
        "count": 1,
        "fixable": True,
        "fixed": None,
        "examples": [
            {
                "model": "characters.Character",
                "id": drifted.pk,
                "name": "Ada",
                "field": "xp",
                "value": 12,
                "ledger": 0,
                "fix": "opening-balance entry of +12",
            }
        ],
        "more": 0,
        "skipped": None,
        "info": {"drifted_from_ledger": 0, "without_ledger": 1},
    }
    scene = next(c for c in document["checks"] if c["name"] == "scene_xp")
    assert scene["info"] == {"scenes_awaiting_xp": 0, "scenes_given_without_awards": 0}
    assert err == "CommandError: 1 integrity issue(s) in xp_ledger\n"


def test_the_document_is_one_line_for_a_cron_log_and_indented_on_request(drifted):
    _, one_line, _ = validate("--json")
    _, indented, _ = validate("--json", "--indent", "2")

    assert one_line.count("\n") == 1 and one_line.endswith("}\n")
    assert indented.count("\n") > 20 and indented.startswith('{\n  "status": "issues",')
    assert json.loads(indented) == json.loads(one_line)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--json", "--indent", "9"), "--indent must be a whole number of spaces from 0 to 8, "),
        (("--json", "--indent", "-1"), "--indent must be a whole number of spaces from 0 to 8, "),
        (("--json", "--indent", "²"), "--indent must be a whole number of spaces from 0 to 8, "),
        (("--indent", "2"), "--indent only applies to --json."),
    ],
)
def test_a_bad_indent_is_a_usage_error_and_checks_nothing(args, message, django_assert_num_queries):
    with django_assert_num_queries(0):
        status, out, err = validate(*args)

    assert (status, out) == (2, "")
    assert err.startswith(f"CommandError: {message}")


def test_fix_adds_what_was_fixed_and_the_run_id(drifted):
    status, out, _ = validate("--fix", "--json")

    assert status == 0
    document = json.loads(out)
    assert set(document) == {
        "status", "total_issues", "checks", "dry_run", "run_id", "remaining_after_fix", "fixes"
    }  # fmt: skip
    assert (document["status"], document["total_issues"], document["dry_run"]) == ("ok", 0, False)
    assert document["run_id"] == str(IntegrityFix.objects.get().run_id)
    ledger = next(c for c in document["checks"] if c["name"] == "xp_ledger")
    assert (ledger["count"], ledger["fixed"]) == (0, 1)
    [fix] = document["fixes"]
    assert set(fix) == FIX_KEYS
    assert (fix["check"], fix["rows"], fix["changes"], fix["fields"]) == (
        "xp_ledger",
        1,
        1,
        {"amount": 1},
    )
    assert fix["examples"][0]["new"] == 12


def test_a_dry_run_reports_the_current_state_and_what_would_remain(drifted):
    status, out, _ = validate("--fix", "--dry-run", "--json")

    assert status == 1
    document = json.loads(out)
    assert (document["status"], document["dry_run"], document["remaining_after_fix"]) == (
        "issues",
        True,
        0,
    )
    assert document["fixes"][0]["rows"] == 1
    assert not IntegrityFix.objects.exists()
