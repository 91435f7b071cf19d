"""The routine ledger check starts from checkpoints of the append-only ledger; --full
re-sums every entry and rewrites them. Both must give the same answer on the same data."""

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from characters.models import Character, Human
from core.models import LedgerCheckpoint
from game.models import XPLedgerEntry
from game.operations.ledger import ledger_repair
from oversight.integrity import full_scan, refresh_ledger_checkpoints, run_checks
from tests.support import corrupt, validate

pytestmark = pytest.mark.django_db


def drift(*, full: bool) -> tuple[int, dict]:
    with full_scan(full):
        [result] = run_checks(["xp_ledger"])
    return result.count, result.info


def test_checkpoints_plus_entries_since_agree_with_a_full_re_sum(make_human, storyteller):
    ada, bea = make_human("Ada", xp=20), make_human("Bea", xp=5)
    ada.spend_xp("brawl")
    assert refresh_ledger_checkpoints() == 2
    ada.add_xp(3, by=storyteller, note="after the checkpoint")
    bea.spend_xp("brawl")
    cy = make_human("Cy", xp=7)  # created after the checkpoint: only entries since

    assert (
        drift(full=False)
        == drift(full=True)
        == (
            0,
            {"drifted_from_ledger": 0, "without_ledger": 0},
        )
    )
    corrupt(Character, bea.pk, xp=40)
    corrupt(Character, cy.pk, xp=0)
    assert (
        drift(full=False)
        == drift(full=True)
        == (
            2,
            {"drifted_from_ledger": 2, "without_ledger": 0},
        )
    )


def test_without_checkpoints_the_routine_check_sums_everything(make_human):
    ada = make_human("Ada", xp=20)
    corrupt(Character, ada.pk, xp=21)
    assert not LedgerCheckpoint.objects.exists()
    assert drift(full=False) == (1, {"drifted_from_ledger": 1, "without_ledger": 0})


def test_full_rewrites_the_checkpoints_and_says_so(make_human):
    ada = make_human("Ada", xp=20)
    ada.spend_xp("brawl")

    status, out, _ = validate("--full")

    assert status == 0
    assert out.splitlines()[-1] == "Ledger checkpoints rewritten for 1 character(s)."
    checkpoint = LedgerCheckpoint.objects.get(character_id=ada.pk)
    assert (checkpoint.total, checkpoint.entries) == (17, 2)
    assert checkpoint.through_entry == XPLedgerEntry.objects.latest("pk").pk


def test_the_routine_report_costs_the_same_queries_with_checkpoints(
    make_human, django_assert_num_queries
):
    make_human("Ada", xp=20)
    refresh_ledger_checkpoints()
    with django_assert_num_queries(3):  # the table list, the checkpoint mark, one pass
        run_checks(["xp_ledger"])


@pytest.mark.postgres
def test_the_ledger_refuses_updates_and_deletes(make_human):
    ada = make_human("Ada", xp=20)
    entry = XPLedgerEntry.objects.get(character=ada)
    for change in (
        lambda: XPLedgerEntry.objects.filter(pk=entry.pk).update(amount=500),
        lambda: XPLedgerEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises((InternalError, IntegrityError)) as refused, transaction.atomic():
            change()
        assert "the XP ledger is append-only" in str(refused.value)
    assert XPLedgerEntry.objects.get(pk=entry.pk).amount == 20


@pytest.mark.postgres
def test_a_repair_by_hand_is_possible_and_only_full_sees_an_old_entry_changed(make_human):
    ada = make_human("Ada", xp=20)
    refresh_ledger_checkpoints()
    with transaction.atomic(), ledger_repair():
        XPLedgerEntry.objects.filter(character=ada).update(amount=25)
    with connection.cursor() as cursor:  # the setting ended with the transaction
        cursor.execute("SELECT current_setting('tg.ledger_repair', true)")
        assert cursor.fetchone()[0] in ("", "off", None)

    assert drift(full=False)[0] == 0  # the checkpoint still says 20: the hourly check trusts it
    assert drift(full=True)[0] == 1  # the daily --full re-sums and sees 25 ≠ 20
    assert Human.objects.get(pk=ada.pk).xp == 20
