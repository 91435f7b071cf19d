"""Two --fix runs never overlap: on PostgreSQL the second is refused while one holds the
lock (here a real second connection holds it), and nothing is changed."""

import pytest
from django.test import override_settings

from characters.models import Character
from core.models import IntegrityFix
from game.models import XPLedgerEntry
from oversight.integrity import FIX_LOCK_KEY, REGISTRY
from tests.support import corrupt, validate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_second_fix_is_refused_while_another_holds_the_lock(make_human, other_session):
    ada = make_human("Ada", xp=0)
    corrupt(Character, ada.pk, xp=5)  # XP from before the ledger: --fix records it
    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s), pg_backend_pid()", [FIX_LOCK_KEY])
        holder = cursor.fetchone()[1]

    status, _, err = validate("--fix")

    assert status == 2
    assert err == (
        "CommandError: "
        f"Another validate_data_integrity --fix is running (PostgreSQL backend pid {holder}); "
        "nothing was changed. Run it again once that one has finished.\n"
    )
    assert not IntegrityFix.objects.exists()
    assert not XPLedgerEntry.objects.filter(character=ada).exists()

    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [FIX_LOCK_KEY])
    status, _, _ = validate("--fix")
    assert status == 0
    assert IntegrityFix.objects.count() == 1


def test_the_report_alone_does_not_wait_for_the_lock(make_human, other_session):
    make_human("Ada")
    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [FIX_LOCK_KEY])

    status, out, _ = validate()

    assert status == 0
    assert out.endswith(f"No issues: {len(REGISTRY)} check(s) passed.\n")


@override_settings(TG_FIX_LOCK_TIMEOUT_SECONDS=1)
def test_a_fix_that_cannot_take_its_row_locks_stops_with_exit_2_and_applies_nothing(
    make_human, other_session
):
    """Another session holds the character row (an approval in progress, a psql): the fix
    waits its lock timeout, retries once, then says so — instead of waiting forever or
    half-applying."""
    ada = make_human("Ada", xp=0)
    corrupt(Character, ada.pk, xp=5)  # XP from before the ledger: --fix records it
    other_session.autocommit = False
    with other_session.cursor() as cursor:
        cursor.execute("SELECT id FROM characters_character WHERE id = %s FOR UPDATE", [ada.pk])

    status, _, err = validate("--fix")

    other_session.rollback()
    assert status == 2
    assert err == (
        "CommandError: "
        "--fix met a lock wait longer than the lock timeout with a concurrent XP operation "
        "twice in a row and stopped; nothing was applied. Run it again (quieter moments help).\n"
    )
    assert not IntegrityFix.objects.exists()
    assert not XPLedgerEntry.objects.filter(character=ada).exists()
    status, _, _ = validate("--fix")
    assert status == 0
