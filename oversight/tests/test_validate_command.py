"""validate_data_integrity as an operator sees it: report lines, --verbose, --limit,
--check, --fix, --dry-run and the exit status a deploy script gates on."""

import pytest

from characters.models import Character
from core.models import IntegrityFix
from game.models import XPLedgerEntry
from oversight.integrity import REGISTRY
from tests.support import corrupt, validate

pytestmark = pytest.mark.django_db

LEDGER_TITLE = "Characters whose XP differs from the sum of their ledger entries"


CHECKS = len(REGISTRY)


@pytest.fixture
def drifted(make_human):
    """Three characters holding XP from before the ledger: balances with no entry at all."""
    characters = [make_human(name, xp=0) for name in ("Ada", "Bob", "Cy")]
    for extra, character in enumerate(characters, start=1):
        corrupt(Character, character.pk, xp=10 + extra)
    return characters


@pytest.fixture
def bulk_raised(make_human):
    """Two characters with ledger history whose balance a raw write raised by 100 (a bulk
    ``update(xp=…)`` through the ORM is refused now)."""
    characters = [make_human(name, xp=10) for name in ("Eve", "Fay")]
    for character in characters:
        corrupt(Character, character.pk, xp=110)
    return characters


def test_a_clean_database_passes_every_check_and_exits_0(make_human):
    make_human("Ada", xp=4)

    status, out, err = validate()

    assert status == 0
    lines = out.splitlines()
    assert len(lines) == len(REGISTRY) + 1
    assert lines[0] == "✓ negative_xp                 Characters with negative XP: 0"
    assert all(line.startswith("✓ ") for line in lines[:-1])
    assert lines[-1] == f"No issues: {CHECKS} check(s) passed."
    assert err == ""


def test_an_empty_database_passes_every_check(db):
    status, out, _ = validate()
    assert status == 0
    assert out.endswith(f"No issues: {CHECKS} check(s) passed.\n")


def test_issues_are_counted_per_check_and_exit_1(drifted):
    status, out, _ = validate()

    assert status == 1
    assert f"✗ xp_ledger                   {LEDGER_TITLE}: 3\n" in out
    assert out.endswith(
        "3 issue(s) in 1 check(s); 3 can be fixed with --fix (try --fix --dry-run first).\n"
    )


def test_verbose_lists_offending_rows_up_to_the_limit_then_how_many_more(drifted):
    ada, bob, _cy = drifted

    status, out, _ = validate("--verbose", "--limit", "2", "--check", "xp_ledger")

    assert status == 1
    assert out.splitlines() == [
        f"✗ xp_ledger  {LEDGER_TITLE}: 3",
        "             ℹ balances with no ledger entry yet (--fix records them): 3",
        f"    Ada (#{ada.pk}) xp = 11, ledger 0 → opening-balance entry of +11",
        f"    Bob (#{bob.pk}) xp = 12, ledger 0 → opening-balance entry of +12",
        "    and 1 more",
        "3 issue(s) in 1 check(s); 3 can be fixed with --fix (try --fix --dry-run first).",
    ]


def test_check_runs_only_the_named_checks(drifted):
    status, out, _ = validate("--check", "negative_xp", "age")

    assert status == 0
    assert [line.split()[1] for line in out.splitlines()[:-1]] == ["negative_xp", "age"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--check", "xp_ledger", "nope"],
            "Unknown check nope. Valid checks: negative_xp, invalid_status, attribute_range, "
            "ability_range, willpower, age, duplicate_st_relationships, scene_xp, xp_ledger, "
            "duplicate_pending, pending_spends_inactive, lost_dots.",
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
    status, _, err = validate(*args)

    assert (status, err) == (2, f"CommandError: {message}\n")
    assert not IntegrityFix.objects.exists()


def test_fix_prints_each_change_then_the_clean_report_and_exits_0(drifted):
    ada = drifted[0]

    status, out, _ = validate("--fix", "--verbose", "--limit", "1")

    assert status == 0
    run_id = IntegrityFix.objects.values_list("run_id", flat=True).distinct().get()
    assert out.startswith(
        f"Fixing (run {run_id}):\n"
        "  xp_ledger: 3 row(s), 3 change(s) (amount ×3)\n"
        "      Ada: new ledger entry of +11\n"
        "      and 2 more\n"
        f"Recorded 3 change(s) in the integrity fix audit (run_id {run_id}).\n"
        "\n"
        "After fixing:\n"
    )
    assert out.endswith(f"No issues: {CHECKS} check(s) passed.\n")
    assert Character.objects.get(pk=ada.pk).xp == 11


def test_a_second_fix_changes_nothing(drifted):
    validate("--fix")
    entries, fixes = XPLedgerEntry.objects.count(), IntegrityFix.objects.count()

    status, out, _ = validate("--fix")

    assert status == 0
    assert out.splitlines()[1] == "  nothing to fix."
    assert (XPLedgerEntry.objects.count(), IntegrityFix.objects.count()) == (entries, fixes)


def test_dry_run_lists_exactly_what_fix_changes_and_writes_nothing(drifted, make_human):
    retired = make_human("Dee", xp=9)
    retired.spend_xp("wits", "Wits", 4, "attribute")
    # A retirement written around tg's status change (which would refund the request).
    corrupt(Character, retired.pk, status="Ret")
    entries = XPLedgerEntry.objects.count()

    status, dry, _ = validate("--fix", "--dry-run", "--verbose")

    assert status == 1
    assert XPLedgerEntry.objects.count() == entries
    assert not IntegrityFix.objects.exists()
    assert Character.objects.get(pk=retired.pk).xp == 5
    assert dry.splitlines()[0] == "Dry run: nothing is written. --fix would change:"
    assert "After --fix, no issue would remain.\n" in dry
    assert dry.endswith(
        "4 issue(s) in 2 check(s) now; run --fix without --dry-run to apply the changes above.\n"
    )

    status, real, _ = validate("--fix", "--verbose")

    assert status == 0
    would = dry.split("\n\nNow:\n")[0].splitlines()[1:]
    did = real.split("\nRecorded ")[0].splitlines()[1:]
    assert would == did
    assert len(did) == 7  # two fix lines, three ledger entries, one request, one balance


def test_fix_with_check_repairs_only_the_named_checks(drifted, make_human):
    retired = make_human("Dee", xp=9)
    request = retired.spend_xp("wits", "Wits", 4, "attribute")
    corrupt(Character, retired.pk, status="Ret")

    status, out, _ = validate("--fix", "--check", "pending_spends_inactive")

    assert status == 0
    assert (
        out.splitlines()[1] == "  pending_spends_inactive: 1 row(s), 2 change(s) (status ×1, xp ×1)"
    )
    request.refresh_from_db()
    assert request.status == "Denied"
    assert set(IntegrityFix.objects.values_list("check_name", flat=True)) == {
        "pending_spends_inactive"
    }
    status, _, _ = validate("--check", "xp_ledger")
    assert status == 1  # the drifted balances were left alone


def test_fix_leaves_balances_that_drifted_from_their_history_to_an_operator(bulk_raised):
    """A bulk +100 is not made permanent by --fix: nobody decided it was right."""
    eve, fay = bulk_raised

    status, out, _ = validate("--fix")

    assert status == 1
    assert "nothing to fix." in out
    assert "ℹ balances that drifted from their ledger history" in out
    assert out.endswith(
        "2 issue(s) remain in 1 check(s): xp_ledger. They need a person to decide; see "
        "docs/deployment/validation_workflow.md.\n"
    )
    assert list(Character.objects.filter(pk__in=[eve.pk, fay.pk]).values_list("xp", flat=True)) == [
        110,
        110,
    ]
    assert not XPLedgerEntry.objects.filter(note__contains="integrity").exists()


def test_an_operator_restores_one_balance_and_accepts_another_with_a_reason(bulk_raised):
    eve, fay = bulk_raised

    status, out, _ = validate(
        "--restore-balances", str(eve.pk), "--reason", "bulk update by mistake"
    )

    assert status == 1  # Fay still drifts
    assert out.splitlines()[:2] == [
        "Balances restored to the ledger: 1 character(s).",
        f"    Character #{eve.pk} Eve: xp 110 → 10",
    ]
    assert Character.objects.get(pk=eve.pk).xp == 10
    fix = IntegrityFix.objects.get(object_id=eve.pk)
    assert (fix.field, fix.old_value, fix.new_value) == ("xp", "110", "10")
    assert "bulk update by mistake" in fix.note

    status, out, _ = validate(
        "--accept-balances", f"{fay.pk},{eve.pk}", "--reason", "storyteller gift, see #12"
    )

    assert status == 0
    assert out.splitlines()[0] == "Balances accepted: 1 character(s)."
    assert f"Not changed, their balance matches their ledger: #{eve.pk}." in out
    entry = XPLedgerEntry.objects.get(character=fay, kind="adjustment", amount=100)
    assert "Balance accepted by an operator: storyteller gift, see #12" in entry.note
    assert Character.objects.get(pk=fay.pk).xp == 110


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--accept-balances", "1"],
            "--accept-balances needs --reason: say why, it is kept with the change.",
        ),
        (
            ["--restore-balances", "a,b", "--reason", "x"],
            "--restore-balances takes character ids separated by commas, e.g. 12,31.",
        ),
        (
            ["--accept-balances", "1", "--restore-balances", "2", "--reason", "x"],
            "Use --accept-balances or --restore-balances, not both in one run.",
        ),
        (
            ["--accept-balances", "1", "--fix", "--reason", "x"],
            "--accept-balances/--restore-balances run on their own, without --fix or --check.",
        ),
    ],
)
def test_balance_decisions_refuse_bad_input_with_exit_2(bulk_raised, args, message):
    status, _, err = validate(*args)

    assert (status, err) == (2, f"CommandError: {message}\n")
    assert not IntegrityFix.objects.exists()
