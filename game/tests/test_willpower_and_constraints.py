"""Willpower as storytellers handle it, and the constraints an operation can meet.

- Reversing a willpower raise after the pool was restored to the new rating lowers the
  pool with it (it was a CHECK violation and a 500, nothing reversed).
- Restoring willpower is a storyteller decision: never on one's own character.
- An operation that meets a database constraint answers with a message, never a 500,
  and the operators still see a constraint violation on /ops/operations/.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from characters.models import Human
from core.models import OperationRecord, Outcome
from game.models import LedgerKind, Scene, SpendStatus, STRelationship, XPLedgerEntry
from tests.support import ledger_sum

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def assistant(make_user, chronicle, vtm):
    """An assistant storyteller of ``chronicle`` (who approves; the head reverses)."""
    user = make_user("ash_st")
    STRelationship.objects.create(user=user, chronicle=chronicle, gameline=vtm)
    return user


@pytest.fixture
def vtm():
    from game.models import Gameline

    line, _ = Gameline.objects.get_or_create(
        short_name="vtm", defaults={"name": "Vampire: the Masquerade"}
    )
    return line


def test_reversing_a_willpower_raise_after_a_restore_lowers_the_pool_too(
    client, make_human, storyteller, assistant
):
    ada = make_human(xp=20, willpower=3, temporary_willpower=3)
    request = ada.spend_xp("willpower")
    Human.objects.get(pk=ada.pk).approve_xp_spend(request.pk, "willpower", 4, assistant)
    client.force_login(assistant)
    restored = client.post(
        reverse("willpower-restore", args=[ada.pk]),
        {"version": Human.objects.get(pk=ada.pk).version},
        follow=True,
    )
    assert "Ada's temporary willpower was restored." in messages_of(restored)
    assert Human.objects.values_list("willpower", "temporary_willpower").get(pk=ada.pk) == (4, 4)

    client.force_login(storyteller)  # the head storyteller reverses
    response = client.post(
        reverse("st-request", args=[request.pk]),
        {"action": "reverse", "reason": "Approved by mistake"},
        follow=True,
    )

    assert response.status_code == 200
    assert "The approval was reversed and its XP refunded." in messages_of(response)
    ada = Human.objects.get(pk=ada.pk)
    assert (ada.willpower, ada.temporary_willpower) == (3, 3)
    assert ada.xp == 20 == ledger_sum(ada)
    request.refresh_from_db()
    assert request.status == SpendStatus.REVERSED
    lowered = dict(ada.changes.filter(reason__contains="reversed").values_list("field", "new"))
    assert lowered == {"willpower": "3", "temporary_willpower": "3"}


def test_a_reversal_leaves_a_lower_pool_as_it_was(make_human, storyteller, assistant):
    ada = make_human(xp=20, willpower=3, temporary_willpower=1)
    request = ada.spend_xp("willpower")
    Human.objects.get(pk=ada.pk).approve_xp_spend(request.pk, "willpower", 4, assistant)
    Human.objects.get(pk=ada.pk).reverse_approval(request.pk, storyteller, "Mistake")
    ada = Human.objects.get(pk=ada.pk)
    assert (ada.willpower, ada.temporary_willpower, ada.xp) == (3, 1, 20)


def test_a_storyteller_cannot_restore_their_own_characters_willpower(
    client, make_human, storyteller, assistant
):
    own = make_human(name="Ash's own", owner=assistant, willpower=5, temporary_willpower=1)
    client.force_login(assistant)
    sheet = client.get(own.get_absolute_url())
    assert "Restore temporary willpower" not in sheet.content.decode()

    response = client.post(reverse("willpower-restore", args=[own.pk]), {"version": own.version})

    assert response.status_code == 403
    assert "cannot restore the willpower of your own character" in response.content.decode()
    assert Human.objects.get(pk=own.pk).temporary_willpower == 1

    client.force_login(storyteller)  # another storyteller of the chronicle may
    assert "Restore temporary willpower" in client.get(own.get_absolute_url()).content.decode()
    client.post(reverse("willpower-restore", args=[own.pk]), {"version": own.version})
    assert Human.objects.get(pk=own.pk).temporary_willpower == 5


@pytest.mark.postgres
def test_an_award_meeting_a_constraint_answers_with_a_message(
    client, make_human, chronicle, storyteller
):
    """A ledger line for this scene and character written around tg (the state an
    integrity check reports) makes the award meet the one-award-per-scene constraint:
    the page says so, nothing is awarded, and the operators see a constraint violation."""
    ada = make_human(xp=5)
    scene = Scene.objects.create(chronicle=chronicle, name="Rooftops", finished=True)
    scene.participants.set([ada])
    XPLedgerEntry.objects.create(character=ada, amount=1, kind=LedgerKind.AWARD, scene=scene)
    client.force_login(storyteller)

    response = client.post(
        reverse("st-scene-award", args=[scene.pk]),
        {f"xp_{ada.pk}": "2", "confirm": "1"},
        follow=True,
    )

    assert response.status_code == 200
    shown = " ".join(messages_of(response))
    assert "Nothing was changed." in shown, shown
    scene.refresh_from_db()
    assert not scene.xp_given
    assert Human.objects.get(pk=ada.pk).xp == 5
    record = OperationRecord.objects.get(operation="scene_award")
    assert (record.outcome, record.code) == (
        Outcome.CONSTRAINT_VIOLATION,
        "game_xpledgerentry_award_once_per_scene",
    )


def test_a_reversal_under_a_pending_request_is_refused_and_changes_nothing(
    make_human, storyteller, assistant
):
    """Found by the property test: reversing an approval while a newer request for the
    same trait was Pending left that request unapprovable (and reported as a lost dot)."""
    ada = make_human(xp=30, brawl=1)
    first = ada.spend_xp("brawl")
    Human.objects.get(pk=ada.pk).approve_xp_spend(first.pk, "brawl", 2, assistant)
    second = Human.objects.get(pk=ada.pk).spend_xp("brawl")
    before = Human.objects.values_list("brawl", "xp").get(pk=ada.pk)

    with pytest.raises(ValidationError, match="builds on this approval") as refused:
        Human.objects.get(pk=ada.pk).reverse_approval(first.pk, storyteller, "Mistake")

    assert refused.value.code == "pending_on_top"
    assert Human.objects.values_list("brawl", "xp").get(pk=ada.pk) == before
    assert before[1] == 30 - first.cost - second.cost
    second.refresh_from_db()
    first.refresh_from_db()
    assert (first.status, second.status) == (SpendStatus.APPROVED, SpendStatus.PENDING)
