"""A status change racing an XP decision or a scene award, on PostgreSQL with real
threads: both take their locks in the documented order (``characters.locks``), so
neither deadlocks, and exactly one coherent outcome is left behind.

``change_status`` once locked the ``characters_human`` row and the character row in one
statement, human row first, while an approval locks the character row and then the human
row: started together they deadlocked, and PostgreSQL aborted one of them.
"""

import time

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from characters.models import Human, Status
from game.models import Scene, SpendStatus, XPSpendingRequest
from game.operations import lifecycle
from game.operations.xp import LEFT_PLAY_REASON, approve_xp_spend, award_scene_xp
from game.tests.threads import run_together
from tests.support import ledger_sum

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 60
START_XP = 10
BRAWL_COST = 3  # 0 → 1


def fresh(character) -> Human:
    return Human.objects.get(pk=character.pk)


def staggered(round_: int, first, second):
    """The two calls, one of them started up to 0.9 ms after the barrier: the rounds sweep
    the moments at which one transaction can take its first lock between two statements of
    the other (the window of the old deadlock is about one round trip wide)."""
    delay = (round_ % 10) * 0.0001
    late = (round_ // 10) % 2

    def later(call):
        def run():
            time.sleep(delay)
            return call()

        return run

    return (later(first), second) if late == 0 else (first, later(second))


def refused(exc, *codes) -> bool:
    """A refusal the race allows, never a database error (a deadlock surfaces as one)."""
    return isinstance(exc, ValidationError) and exc.code in codes


def assert_settled(character) -> None:
    """The invariants either order must leave: balance = ledger, nothing Pending out of play."""
    character = fresh(character)
    assert character.xp == ledger_sum(character) >= 0
    assert character.status in (Status.RETIRED, Status.DECEASED)
    assert not XPSpendingRequest.objects.filter(
        character_id=character.pk, status=SpendStatus.PENDING
    ).exists()


def test_a_status_change_racing_an_approval_never_deadlocks(make_human, storyteller):
    """Retire or decease an Approved character while its Pending request is approved:
    either the approval wins (dot raised, cost kept, then the character leaves play) or
    the status change wins (request denied and refunded, the approval refused)."""
    outcomes_seen = set()
    for round_ in range(ROUNDS):
        ada = make_human(name=f"Ada {round_}", xp=START_XP)
        request = ada.spend_xp("brawl")
        assert request.cost == BRAWL_COST
        leaving = Status.RETIRED if round_ % 2 else Status.DECEASED

        copy = fresh(ada)  # loaded here: a query in the thread would shift its start

        (moved, move_error), (_, approve_error) = run_together(
            *staggered(
                round_,
                lambda ada=ada, leaving=leaving: lifecycle.change_status(
                    character_id=ada.pk, status=leaving, by=storyteller
                ),
                lambda copy=copy, pk=request.pk: approve_xp_spend(
                    character=copy,
                    request_id=pk,
                    trait_property_name="brawl",
                    new_value=1,
                    approver=storyteller,
                ),
            )
        )

        assert move_error is None, repr(move_error)
        assert moved.status == leaving
        assert approve_error is None or refused(approve_error, "already_processed"), repr(
            approve_error
        )
        request.refresh_from_db()
        ada = fresh(ada)
        if approve_error is None:
            outcomes_seen.add("approved first")
            assert request.status == SpendStatus.APPROVED
            assert (ada.brawl, ada.xp) == (1, START_XP - BRAWL_COST)
        else:
            outcomes_seen.add("status first")
            assert request.status == SpendStatus.DENIED
            assert request.note == LEFT_PLAY_REASON[leaving]
            assert (ada.brawl, ada.xp) == (0, START_XP)
        assert ada.status == leaving
        assert_settled(ada)
    assert outcomes_seen  # at least one order happened; which ones is up to the scheduler


def test_a_status_change_racing_a_scene_award_never_deadlocks(make_human, chronicle, storyteller):
    """Retire an Approved character with a Pending request while a scene award gives it
    XP: either the award wins (XP kept, then the request refunded as the character
    leaves) or the retirement wins (the whole award refused, nobody receives XP)."""
    outcomes_seen = set()
    for round_ in range(ROUNDS):
        ada = make_human(name=f"Ada {round_}", xp=START_XP)
        bea = make_human(name=f"Bea {round_}", xp=0)
        request = ada.spend_xp("brawl")
        scene = Scene.objects.create(
            chronicle=chronicle,
            name=f"Scene {round_}",
            finished=True,
            finished_at=timezone.now(),
        )
        scene.participants.set([ada, bea])
        # Both orders of the two characters' ids: the retiring one first, then last.
        awards = {ada.pk: 2, bea.pk: 1} if round_ % 2 else {bea.pk: 1, ada.pk: 2}

        (moved, move_error), (given, award_error) = run_together(
            *staggered(
                round_,
                lambda ada=ada: lifecycle.change_status(
                    character_id=ada.pk, status=Status.RETIRED, by=storyteller
                ),
                lambda scene=scene, awards=awards: award_scene_xp(
                    scene=scene, character_awards=awards, by=storyteller
                ),
            )
        )

        assert move_error is None, repr(move_error)
        assert moved.status == Status.RETIRED
        assert award_error is None or refused(award_error, "character_not_active"), repr(
            award_error
        )
        request.refresh_from_db()
        scene.refresh_from_db()
        ada, bea = fresh(ada), fresh(bea)
        assert request.status == SpendStatus.DENIED
        assert request.note == LEFT_PLAY_REASON[Status.RETIRED]
        if award_error is None:
            outcomes_seen.add("award first")
            assert given == 2 and scene.xp_given
            assert (ada.xp, bea.xp) == (START_XP + 2, 1)
        else:
            outcomes_seen.add("status first")
            assert not scene.xp_given
            assert (ada.xp, bea.xp) == (START_XP, 0)
        assert_settled(ada)
        assert bea.xp == ledger_sum(bea)
    assert outcomes_seen
