"""Spending XP: the cost leaves the pool at once and a Pending request waits."""

import pytest

from characters.models import Human
from characters.traits import ABILITIES, ATTRIBUTES
from core.models import OperationRecord
from game.models import LedgerKind, SpendStatus, XPLedgerEntry, XPSpendingRequest
from tests.support import ledger_sum, refused

pytestmark = pytest.mark.django_db


def test_spend_deducts_at_once_and_opens_a_pending_request(make_human):
    ada = make_human(xp=10)
    request = ada.spend_xp("alertness", "Alertness", 3, "ability")

    ada.refresh_from_db()
    assert ada.xp == 7
    assert ada.alertness == 0, "the trait rises only when a storyteller approves"
    assert request.status == SpendStatus.PENDING
    assert (request.current_value, request.new_value, request.cost) == (0, 1, 3)
    assert request.decided_at is None and request.decided_by is None
    entry = XPLedgerEntry.objects.get(spend_request=request)
    assert (entry.kind, entry.amount) == (LedgerKind.SPEND, -3)
    assert ledger_sum(ada) == ada.xp == 7


def test_starting_xp_is_written_to_the_ledger(make_human):
    ada = make_human(xp=12)
    entry = XPLedgerEntry.objects.get(character=ada)
    assert (entry.kind, entry.amount, entry.note) == (LedgerKind.ADJUSTMENT, 12, "Starting XP")


def test_character_without_starting_xp_has_an_empty_ledger(make_human):
    assert not XPLedgerEntry.objects.filter(character=make_human(xp=0)).exists()


def test_spending_every_last_point_is_allowed(make_human):
    ada = make_human(xp=4, strength=1)
    ada.spend_xp("strength", "Strength", 4, "attribute")
    ada.refresh_from_db()
    assert ada.xp == 0


def test_spending_more_than_the_pool_names_need_and_have(make_human):
    ada = make_human(xp=4, strength=2)
    error = refused(lambda: ada.spend_xp("strength", "Strength", 8, "attribute"))
    assert error.code == "insufficient_xp"
    assert error.messages == ["Raising Strength needs 8 XP; Ada has 4."]
    ada.refresh_from_db()
    assert ada.xp == 4
    assert not XPSpendingRequest.objects.exists()


@pytest.mark.parametrize("cost", [0, -3, 2.5, "3", True])
def test_a_cost_that_is_not_a_positive_whole_number_is_refused(make_human, cost):
    ada = make_human(xp=10)
    error = refused(lambda: ada.spend_xp("alertness", "Alertness", cost, "ability"))
    assert error.code == "invalid_cost"
    assert "positive whole number" in error.messages[0]
    ada.refresh_from_db()
    assert ada.xp == 10


@pytest.mark.parametrize(
    ("trait", "category"),
    [
        ("flying", "ability"),
        ("xp", "ability"),
        ("temporary_willpower", "willpower"),
        ("strength", "ability"),
    ],
)
def test_unknown_or_miscategorised_traits_are_refused(make_human, trait, category):
    ada = make_human(xp=10)
    error = refused(lambda: ada.spend_xp(trait, trait.title(), 3, category))
    assert error.code == "unknown_trait"
    ada.refresh_from_db()
    assert ada.xp == 10


@pytest.mark.parametrize("status", ["Un", "Sub", "Ret", "Dec"])
def test_only_approved_characters_spend(make_human, status):
    ada = make_human(xp=10, status=status)
    error = refused(lambda: ada.spend_xp("alertness", "Alertness", 3, "ability"))
    assert error.code == "character_not_active"
    assert "Only approved characters can spend XP" in error.messages[0]
    ada.refresh_from_db()
    assert ada.xp == 10


def test_new_value_must_be_exactly_one_above_current(make_human):
    ada = make_human(xp=30, brawl=2)
    error = refused(lambda: ada.spend_xp("brawl", "Brawl", 4, "ability", new_value=4))
    assert error.code == "invalid_value"
    assert error.messages == ["Brawl is 2: a request can only raise it to 3, not 4."]
    assert ada.spend_xp("brawl", "Brawl", 4, "ability", new_value=3).new_value == 3


@pytest.mark.parametrize("spec", [ATTRIBUTES[0], ABILITIES[0]], ids=lambda s: s.name)
def test_a_trait_at_its_maximum_cannot_be_raised(make_human, spec):
    ada = make_human(xp=100, **{spec.name: spec.maximum})
    error = refused(lambda: ada.spend_xp(spec.name, spec.label, 20, spec.category))
    assert error.code == "invalid_value"
    assert error.messages == [f"{spec.label} is already at its maximum of {spec.maximum}."]


def test_one_below_the_maximum_can_be_raised(make_human):
    ada = make_human(xp=100, willpower=9, temporary_willpower=9)
    request = ada.spend_xp("willpower", "Willpower", 9, "willpower")
    assert (request.current_value, request.new_value) == (9, 10)


def test_every_spend_leaves_an_outcome_record(make_human):
    ada = make_human(xp=3)
    ada.spend_xp("alertness", "Alertness", 3, "ability")
    refused(lambda: ada.spend_xp("brawl", "Brawl", 3, "ability"))
    records = list(
        OperationRecord.objects.order_by("pk").values_list("operation", "outcome", "code")
    )
    assert records == [
        ("xp_spend", "success", ""),
        ("xp_spend", "rejected", "insufficient_xp"),
    ]
    assert all(r.character_id == ada.pk for r in OperationRecord.objects.all())


def test_spend_updates_the_callers_instance(make_human):
    ada = make_human(xp=9)
    ada.spend_xp("alertness", "Alertness", 3, "ability")
    assert ada.xp == 6


def test_a_spend_on_a_deleted_character_is_refused_not_an_error(make_human):
    ada = make_human(xp=0)
    Human.objects.filter(pk=ada.pk).delete()
    error = refused(lambda: ada.spend_xp("alertness"))
    assert error.code == "unknown_character"
    assert error.messages == [f"Character {ada.pk} does not exist."]
    assert list(OperationRecord.objects.values_list("outcome", "code")) == [
        ("rejected", "unknown_character")
    ]
