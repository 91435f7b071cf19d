"""A failure after the XP moved rolls the whole operation back.

A PostgreSQL trigger makes the database itself refuse the later write (the ledger
entry, the request's decision, the scene's mark), exactly as a real fault would.
"""

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from characters.models import Human
from core.models import OperationRecord
from game.models import Scene, SpendStatus, XPLedgerEntry, XPSpendingRequest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def failing_writes():
    """``failing_writes("game_xpledgerentry", "INSERT")`` — that write raises until teardown."""
    installed = []

    def install(table, event):
        name = f"tg_test_fail_{table}_{event.lower()}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
                f"RAISE EXCEPTION 'injected fault on {table}'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        installed.append((name, table))

    yield install
    with connection.cursor() as cursor:
        for name, table in installed:
            cursor.execute(f"DROP TRIGGER {name} ON {table}")
            cursor.execute(f"DROP FUNCTION {name}()")


def snapshot(character):
    human = Human.objects.get(pk=character.pk)
    return (
        human.xp,
        human.alertness,
        list(XPSpendingRequest.objects.values_list("pk", "status")),
        XPLedgerEntry.objects.count(),
    )


def test_a_failing_ledger_write_undoes_the_deduction(make_human, failing_writes):
    ada = make_human(xp=10)
    before = snapshot(ada)
    failing_writes("game_xpledgerentry", "INSERT")
    with pytest.raises(DatabaseError, match="injected fault"):
        ada.spend_xp("alertness", "Alertness", 3, "ability")
    assert snapshot(ada) == before
    record = OperationRecord.objects.get()
    assert (record.operation, record.outcome) == ("xp_spend", "error")


def test_a_failing_decision_write_undoes_the_trait_increase(
    make_human, storyteller, failing_writes
):
    ada = make_human(xp=10)
    request = ada.spend_xp("alertness", "Alertness", 3, "ability")
    before = snapshot(ada)
    failing_writes("game_xpspendingrequest", "UPDATE")
    with pytest.raises(DatabaseError):
        ada.approve_xp_spend(request.pk, "alertness", 1, storyteller)
    assert snapshot(ada) == before
    assert XPSpendingRequest.objects.get().status == SpendStatus.PENDING


def test_a_failing_refund_entry_undoes_the_refund(make_human, storyteller, failing_writes):
    ada = make_human(xp=10)
    request = ada.spend_xp("alertness", "Alertness", 3, "ability")
    before = snapshot(ada)
    failing_writes("game_xpledgerentry", "INSERT")
    with pytest.raises(DatabaseError):
        ada.deny_xp_spend(request.pk, storyteller)
    assert snapshot(ada) == before


def test_a_failing_scene_mark_undoes_every_award(make_human, chronicle, failing_writes):
    cast = [make_human(name=n, xp=0) for n in ("Ada", "Bea")]
    scene = Scene.objects.create(
        chronicle=chronicle, name="Docks", finished=True, finished_at=timezone.now()
    )
    scene.participants.set(cast)
    failing_writes("game_scene", "UPDATE")
    with pytest.raises(DatabaseError):
        scene.award_xp(dict.fromkeys(cast, 2))
    assert [Human.objects.get(pk=c.pk).xp for c in cast] == [0, 0]
    assert not XPLedgerEntry.objects.exists()
    assert not Scene.objects.get(pk=scene.pk).xp_given
