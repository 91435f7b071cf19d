"""XP under real concurrency: threads with their own PostgreSQL connections.

SQLite ignores ``SELECT ... FOR UPDATE``, so these run on PostgreSQL only.
"""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from characters.models import Human
from characters.traits import ABILITIES
from core.models import OperationRecord
from game.models import LedgerKind, Scene, SpendStatus, XPLedgerEntry, XPSpendingRequest
from game.operations.costs import trait_cost
from game.tests.threads import codes, run_together
from tests.support import ledger_sum, wait_for_backend

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def fresh(character):
    return Human.objects.get(pk=character.pk)


def test_twenty_simultaneous_spends_never_overdraw(make_human):
    """Twenty different traits at 3 XP each from a pool of 30: ten succeed."""
    ada = make_human(xp=30, willpower=3, temporary_willpower=3)
    traits = [spec.name for spec in ABILITIES] + ["willpower"]
    assert len(traits) == 20 and {trait_cost(t, 0 if t != "willpower" else 3) for t in traits} == {
        3
    }
    outcomes = run_together(*[lambda t=t: Human.objects.get(pk=ada.pk).spend_xp(t) for t in traits])

    assert codes(outcomes) == ["insufficient_xp"] * 10 + ["ok"] * 10
    assert fresh(ada).xp == 0
    assert ledger_sum(ada) == 0
    assert XPSpendingRequest.objects.filter(character=ada, status="Pending").count() == 10
    assert OperationRecord.objects.filter(operation="xp_spend").count() == 20


def test_twenty_simultaneous_clicks_on_one_trait_open_one_request(make_human):
    """A double click (or twenty): one Pending request, charged once."""
    ada = make_human(xp=30)
    outcomes = run_together(*[lambda: Human.objects.get(pk=ada.pk).spend_xp("brawl")] * 20)

    assert codes(outcomes) == ["already_pending"] * 19 + ["ok"]
    assert fresh(ada).xp == 27
    assert ledger_sum(ada) == 27
    assert XPSpendingRequest.objects.filter(character=ada).count() == 1


def test_two_storytellers_approving_at_once_raise_the_trait_once(make_human, storyteller):
    ada = make_human(xp=10, brawl=1)
    request = ada.spend_xp("brawl", "Brawl", 2, "ability")
    approve = lambda: Human.objects.get(pk=ada.pk).approve_xp_spend(  # noqa: E731
        request.pk, "brawl", 2, storyteller
    )
    outcomes = run_together(approve, approve)

    assert codes(outcomes) == ["already_processed", "ok"]
    ada = fresh(ada)
    assert (ada.brawl, ada.xp) == (2, 8)
    assert ledger_sum(ada) == 8


@pytest.mark.parametrize("round_", range(5))
def test_approve_and_deny_racing_leave_one_consistent_winner(make_human, storyteller, round_):
    ada = make_human(xp=10, brawl=1)
    request = ada.spend_xp("brawl", "Brawl", 2, "ability")
    outcomes = run_together(
        lambda: Human.objects.get(pk=ada.pk).approve_xp_spend(request.pk, "brawl", 2, storyteller),
        lambda: Human.objects.get(pk=ada.pk).deny_xp_spend(request.pk, storyteller),
    )
    assert codes(outcomes) == ["already_processed", "ok"]
    request.refresh_from_db()
    ada = fresh(ada)
    if request.status == SpendStatus.APPROVED:
        assert (ada.brawl, ada.xp) == (2, 8)
        assert not XPLedgerEntry.objects.filter(kind=LedgerKind.REFUND).exists()
    else:
        assert request.status == SpendStatus.DENIED
        assert (ada.brawl, ada.xp) == (1, 10)
        assert XPLedgerEntry.objects.filter(kind=LedgerKind.REFUND).count() == 1
    assert ledger_sum(ada) == ada.xp


def _finished_scene(chronicle, name, cast):
    scene = Scene.objects.create(
        chronicle=chronicle, name=name, finished=True, finished_at=timezone.now()
    )
    scene.participants.set(cast)
    return scene


def test_two_storytellers_awarding_one_scene_award_it_once(make_human, chronicle):
    cast = [make_human(name=f"P{i}", xp=0) for i in range(5)]
    scene = _finished_scene(chronicle, "Rooftops", cast)
    award = lambda: Scene.objects.get(pk=scene.pk).award_xp({c.pk: 2 for c in cast})  # noqa: E731
    outcomes = run_together(award, award)

    assert codes(outcomes) == ["ok", "xp_already_given"]
    assert sorted(r for r, _ in outcomes if r is not None) == [5]
    assert [fresh(c).xp for c in cast] == [2] * 5
    assert XPLedgerEntry.objects.filter(scene=scene).count() == 5


def test_overlapping_awards_in_opposite_orders_never_deadlock(make_human, chronicle):
    cast = [make_human(name=f"P{i}", xp=0) for i in range(10)]
    forward = {c.pk: 1 for c in cast}
    backward = dict(reversed(list(forward.items())))
    for round_ in range(50):
        one = _finished_scene(chronicle, f"A{round_}", cast)
        two = _finished_scene(chronicle, f"B{round_}", cast)
        outcomes = run_together(
            lambda one=one: one.award_xp(forward), lambda two=two: two.award_xp(backward)
        )
        assert codes(outcomes) == ["ok", "ok"], [exc for _, exc in outcomes]
    assert [fresh(c).xp for c in cast] == [100] * 10
    assert not OperationRecord.objects.exclude(outcome="success").exists()


@pytest.fixture
def slow_ledger_insert():
    """A trigger that stalls the insert of a 7 XP spend entry inside its transaction
    (raising willpower from 7 costs 7)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION tg_test_stall() RETURNS trigger AS $$ BEGIN "
            "IF NEW.amount = -7 THEN PERFORM pg_sleep(60); END IF; RETURN NEW; END $$ "
            "LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER tg_test_stall BEFORE INSERT ON game_xpledgerentry "
            "FOR EACH ROW EXECUTE FUNCTION tg_test_stall()"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER tg_test_stall ON game_xpledgerentry")
        cursor.execute("DROP FUNCTION tg_test_stall()")


def _stalled_backend(timeout=30):
    """The pid of the backend sleeping in the trigger (polls pg_stat_activity)."""
    return wait_for_backend(
        "SELECT pid FROM pg_stat_activity "
        "WHERE wait_event = 'PgSleep' AND query LIKE '%%game_xpledgerentry%%'",
        failure="the spend never reached its ledger write",
        timeout=timeout,
    )


def test_a_killed_connection_loses_its_operation_and_others_carry_on(
    make_human, slow_ledger_insert
):
    """pg_terminate_backend while a spend holds the character lock mid-transaction."""
    ada = make_human(xp=20, willpower=7, temporary_willpower=7)
    errors = []

    def spend():
        try:
            Human.objects.get(pk=ada.pk).spend_xp("willpower")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=spend)
    thread.start()
    pid = _stalled_backend()
    # The deduction is written but not committed, and the row lock is held.
    assert fresh(ada).xp == 20
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    thread.join(30)

    assert len(errors) == 1, "the killed spend must fail"
    ada = fresh(ada)
    assert ada.xp == 20
    assert not XPSpendingRequest.objects.exists()
    assert ledger_sum(ada) == 20
    # The lock died with the connection: another connection spends at once.
    ada.spend_xp("alertness")
    assert fresh(ada).xp == 17
    outcomes = list(OperationRecord.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["error", "success"]
