"""Storytellers approve (the trait rises) or deny (the XP comes back) a request, once."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import OperationRecord
from game.models import (
    Gameline,
    LedgerKind,
    SpendStatus,
    STRelationship,
    XPLedgerEntry,
    XPSpendingRequest,
)
from tests.support import ledger_sum, refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(make_human):
    return make_human(xp=20, alertness=1)


@pytest.fixture
def pending(ada):
    return ada.spend_xp("alertness", "Alertness", 2, "ability")


def test_approval_raises_the_trait_and_keeps_the_cost(ada, pending, storyteller):
    request = ada.approve_xp_spend(pending.pk, "alertness", 2, storyteller)
    ada.refresh_from_db()
    assert (ada.alertness, ada.xp) == (2, 18)
    assert request.status == SpendStatus.APPROVED
    assert request.decided_by == storyteller and request.decided_at is not None
    assert ledger_sum(ada) == 18


def test_denial_refunds_the_cost_with_a_refund_entry(ada, pending, storyteller):
    request = ada.deny_xp_spend(pending.pk, storyteller, reason="Not in character")
    ada.refresh_from_db()
    assert (ada.alertness, ada.xp) == (1, 20)
    assert (request.status, request.note) == (SpendStatus.DENIED, "Not in character")
    refund = XPLedgerEntry.objects.get(spend_request=pending, kind=LedgerKind.REFUND)
    assert (refund.amount, refund.created_by, refund.note) == (2, storyteller, "Not in character")
    assert ledger_sum(ada) == 20


@pytest.mark.parametrize("second", ["approve", "deny"])
@pytest.mark.parametrize("first", ["approve", "deny"])
def test_a_decided_request_cannot_be_decided_again(ada, pending, storyteller, first, second):
    decide = {
        "approve": lambda: ada.approve_xp_spend(pending.pk, "alertness", 2, storyteller),
        "deny": lambda: ada.deny_xp_spend(pending.pk, storyteller),
    }
    decide[first]()
    ada.refresh_from_db()
    before = (ada.xp, ada.alertness)
    error = refused(decide[second])
    assert error.code == "already_processed"
    past = "approved" if first == "approve" else "denied"
    assert error.messages[0].startswith(f"This XP request was already {past} by sophia_st on ")
    ada.refresh_from_db()
    assert (ada.xp, ada.alertness) == before
    assert XPLedgerEntry.objects.filter(kind=LedgerKind.REFUND).count() == (first == "deny")


def test_a_request_of_another_character_is_invalid(ada, pending, make_human, storyteller):
    bea = make_human(name="Bea", xp=5)
    for call in (
        lambda: bea.approve_xp_spend(pending.pk, "alertness", 2, storyteller),
        lambda: bea.deny_xp_spend(pending.pk, storyteller),
        lambda: ada.approve_xp_spend(999_999, "alertness", 2, storyteller),
    ):
        assert refused(call).code == "invalid_request"
    pending.refresh_from_db()
    assert pending.status == SpendStatus.PENDING


@pytest.mark.parametrize(
    ("trait", "value", "text"),
    [
        ("alertness", 3, "This request raises Alertness from 1 to 2, not to 3."),
        ("brawl", 2, "This request raises Alertness, not Brawl."),
    ],
)
def test_approval_with_the_wrong_trait_or_value_is_refused(
    ada, pending, storyteller, trait, value, text
):
    error = refused(lambda: ada.approve_xp_spend(pending.pk, trait, value, storyteller))
    assert error.code == "invalid_value"
    assert error.messages == [text]
    ada.refresh_from_db()
    assert (ada.alertness, ada.brawl) == (1, 0)


def test_a_request_made_before_the_trait_changed_can_only_be_denied(ada, pending, storyteller):
    """The sheet moved on (a storyteller set the trait by hand): approving would not raise
    it by one dot, so the request is stale; denying refunds it."""
    ada.refresh_from_db()
    ada.alertness = 2
    ada.save()
    error = refused(lambda: ada.approve_xp_spend(pending.pk, "alertness", 2, storyteller))
    assert error.code == "stale_request"
    assert error.messages == [
        "Alertness is now 2, but this request was made when it was 1: it can no longer be "
        "approved. Deny it to refund its cost."
    ]
    ada.deny_xp_spend(pending.pk, storyteller, reason="Already raised")
    ada.refresh_from_db()
    assert (ada.alertness, ada.xp) == (2, 20)


def test_players_cannot_decide_their_own_requests(ada, pending, player):
    with pytest.raises(PermissionDenied, match="Only a storyteller"):
        ada.approve_xp_spend(pending.pk, "alertness", 2, player)
    with pytest.raises(PermissionDenied):
        ada.deny_xp_spend(pending.pk, player)
    pending.refresh_from_db()
    assert pending.status == SpendStatus.PENDING
    assert list(OperationRecord.objects.filter(operation="xp_approve").values_list("code")) == [
        ("permission_denied",)
    ]


def test_assistant_storytellers_may_decide_and_staff_alone_may_not(ada, make_user, chronicle):
    assistant = make_user("ash_assistant")
    STRelationship.objects.create(
        user=assistant, chronicle=chronicle, gameline=Gameline.objects.get(short_name="vtm")
    )
    staff = make_user("sam_staff", is_staff=True)
    one = ada.spend_xp("alertness", "Alertness", 2, "ability")
    two = ada.spend_xp("brawl", "Brawl", 3, "ability")
    assert ada.approve_xp_spend(one.pk, "alertness", 2, assistant).status == "Approved"
    with pytest.raises(PermissionDenied, match="Only a storyteller of the character's chronicle"):
        ada.deny_xp_spend(two.pk, staff)
    two.refresh_from_db()
    assert two.status == SpendStatus.PENDING
    superuser = make_user("root_admin", is_staff=True, is_superuser=True)
    assert ada.deny_xp_spend(two.pk, superuser).status == "Denied"


def test_a_storyteller_of_another_chronicle_may_not_decide(ada, pending, make_user):
    from game.models import Chronicle

    outsider = make_user("olga_other")
    Chronicle.objects.create(name="Elsewhere", head_st=outsider)
    with pytest.raises(PermissionDenied):
        ada.approve_xp_spend(pending.pk, "alertness", 2, outsider)


def test_storyteller_adjustments_are_ledgered(ada, storyteller):
    assert ada.add_xp(5, by=storyteller, note="Good roleplay") == 25
    assert ada.add_xp(-25, by=storyteller, note="Correction") == 0
    ada.refresh_from_db()
    assert ada.xp == 0
    assert ledger_sum(ada) == 0
    notes = list(
        XPLedgerEntry.objects.filter(kind=LedgerKind.ADJUSTMENT, created_by=storyteller)
        .order_by("pk")
        .values_list("amount", "note")
    )
    assert notes == [(5, "Good roleplay"), (-25, "Correction")]


def test_an_adjustment_may_not_take_xp_below_zero(ada, storyteller):
    with pytest.raises(ValidationError) as info:
        ada.add_xp(-21, by=storyteller)
    assert info.value.code == "insufficient_xp"
    assert info.value.messages == ["Cannot take 21 XP from Ada, who has 20."]
    ada.refresh_from_db()
    assert ada.xp == 20


@pytest.mark.parametrize("amount", [0, 1.5, "3", True])
def test_an_adjustment_must_be_a_nonzero_whole_number(ada, amount):
    with pytest.raises(ValidationError) as info:
        ada.add_xp(amount)
    assert info.value.code == "invalid_amount"


def test_players_may_not_adjust_xp(ada, player):
    with pytest.raises(PermissionDenied):
        ada.add_xp(5, by=player)
    ada.refresh_from_db()
    assert ada.xp == 20


def test_requests_are_listed_newest_first(ada):
    ada.spend_xp("alertness", "Alertness", 2, "ability")
    ada.spend_xp("brawl", "Brawl", 3, "ability")
    assert [r.trait_name for r in XPSpendingRequest.objects.all()] == ["brawl", "alertness"]
