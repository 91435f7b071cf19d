"""validate_data_integrity as an operator sees it: report lines, --verbose, --limit,
--check, --fix, --dry-run and the exit status a deploy script gates on."""

import pytest
from django.core.management.base import CommandError

from characters.models import Character
from core.integrity import REGISTRY
from core.models import IntegrityFix
from game.models import XPLedgerEntry

from .test_integrity_support import corrupt, run

pytestmark = pytest.mark.django_db

LEDGER_TITLE = "Characters whose XP differs from the sum of their ledger entries"


@pytest.fixture
def drifted(make_human):
    """Three characters whose balance gained XP without a ledger entry."""
    characters = [make_human(name, xp=10) for name in ("Ada", "Bob", "Cy")]
    for extra, character in enumerate(characters, start=1):
        corrupt(Character, character.pk, xp=10 + extra)
    return characters


def test_a_clean_database_passes_every_check_and_exits_0(make_human):
    make_human("Ada", xp=4)

    status, out, err = run()

    assert status == 0
    lines = out.splitlines()
    assert len(lines) == len(REGISTRY) + 1
    assert lines[0] == "✓ negative_xp                 Characters with negative XP: 0"
    assert all(line.startswith("✓ ") for line in lines[:-1])
    assert lines[-1] == "No issues: 10 check(s) passed."
    assert err == ""


def test_an_empty_database_passes_every_check(db):
    status, out, _ = run()
    assert status == 0
    assert out.endswith("No issues: 10 check(s) passed.\n")


def test_issues_are_counted_per_check_and_exit_1(drifted):
    status, out, _ = run()

    assert status == 1
    assert f"✗ xp_ledger                   {LEDGER_TITLE}: 3\n" in out
    assert out.endswith(
        "3 issue(s) in 1 check(s); 3 can be fixed with --fix (try --fix --dry-run first).\n"
    )


def test_verbose_lists_offending_rows_up_to_the_limit_then_how_many_more(drifted):
    ada, bob, _cy = drifted

    status, out, _ = run("--verbose", "--limit", "2", "--check", "xp_ledger")

    assert status == 1
    assert out.splitlines() == [
        f"✗ xp_ledger  {LEDGER_TITLE}: 3",
        f"    Ada (#{ada.pk}) xp = 11, ledger 10 → adjustment entry of +1",
        f"    Bob (#{bob.pk}) xp = 12, ledger 10 → adjustment entry of +2",
        "    and 1 more",
        "3 issue(s) in 1 check(s); 3 can be fixed with --fix (try --fix --dry-run first).",
    ]


def test_check_runs_only_the_named_checks(drifted):
    status, out, _ = run("--check", "negative_xp", "age")

    assert status == 0
    assert [line.split()[1] for line in out.splitlines()[:-1]] == ["negative_xp", "age"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--check", "xp_ledger", "nope"],
            "Unknown check nope. Valid checks: negative_xp, invalid_status, attribute_range, "
            "ability_range, willpower, age, duplicate_st_relationships, scene_xp, xp_ledger, "
            "pending_spends_inactive.",
        ),
        (["--limit", "0"], "--limit must be a whole number from 1 to 10000, not 0."),
        (
            ["--limit", "99999999999999999999"],
            "--limit must be a whole number from 1 to 10000, not 99999999999999999999.",
        ),
        (["--dry-run"], "--dry-run only makes sense with --fix (the report alone never writes)."),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line_and_change_nothing(drifted, args, message):
    with pytest.raises(CommandError) as error:
        run(*args)

    assert (error.value.returncode, str(error.value)) == (2, message)
    assert not IntegrityFix.objects.exists()


def test_fix_prints_each_change_then_the_clean_report_and_exits_0(drifted):
    ada = drifted[0]

    status, out, _ = run("--fix", "--verbose", "--limit", "1")

    assert status == 0
    run_id = IntegrityFix.objects.values_list("run_id", flat=True).distinct().get()
    assert out.startswith(
        f"Fixing (run {run_id}):\n"
        "  xp_ledger: 3 row(s), 3 change(s) (amount ×3)\n"
        "      Ada: new ledger entry of +1\n"
        "      and 2 more\n"
        f"Recorded 3 change(s) in the integrity fix audit (run_id {run_id}).\n"
        "\n"
        "After fixing:\n"
    )
    assert out.endswith("No issues: 10 check(s) passed.\n")
    assert Character.objects.get(pk=ada.pk).xp == 11


def test_a_second_fix_changes_nothing(drifted):
    run("--fix")
    entries, fixes = XPLedgerEntry.objects.count(), IntegrityFix.objects.count()

    status, out, _ = run("--fix")

    assert status == 0
    assert out.splitlines()[1] == "  nothing to fix."
    assert (XPLedgerEntry.objects.count(), IntegrityFix.objects.count()) == (entries, fixes)


def test_dry_run_lists_exactly_what_fix_changes_and_writes_nothing(drifted, make_human):
    retired = make_human("Dee", xp=9)
    retired.spend_xp("wits", "Wits", 4, "attribute")
    retired.status = "Ret"
    retired.save()
    entries = XPLedgerEntry.objects.count()

    status, dry, _ = run("--fix", "--dry-run", "--verbose")

    assert status == 1
    assert XPLedgerEntry.objects.count() == entries
    assert not IntegrityFix.objects.exists()
    assert Character.objects.get(pk=retired.pk).xp == 5
    assert dry.splitlines()[0] == "Dry run: nothing is written. --fix would change:"
    assert "After --fix, no issue would remain.\n" in dry
    assert dry.endswith(
        "4 issue(s) in 2 check(s) now; run --fix without --dry-run to apply the changes above.\n"
    )

    status, real, _ = run("--fix", "--verbose")

    assert status == 0
    would = dry.split("\n\nNow:\n")[0].splitlines()[1:]
    did = real.split("\nRecorded ")[0].splitlines()[1:]
    assert would == did
    assert len(did) == 7  # two fix lines, three ledger entries, one request, one balance


def test_fix_with_check_repairs_only_the_named_checks(drifted, make_human):
    retired = make_human("Dee", xp=9)
    request = retired.spend_xp("wits", "Wits", 4, "attribute")
    retired.status = "Ret"
    retired.save()

    status, out, _ = run("--fix", "--check", "pending_spends_inactive")

    assert status == 0
    assert (
        out.splitlines()[1] == "  pending_spends_inactive: 1 row(s), 2 change(s) (status ×1, xp ×1)"
    )
    request.refresh_from_db()
    assert request.status == "Denied"
    assert set(IntegrityFix.objects.values_list("check_name", flat=True)) == {
        "pending_spends_inactive"
    }
    status, _, _ = run("--check", "xp_ledger")
    assert status == 1  # the drifted balances were left alone
