"""Game rules through ``full_clean()``: the message a storyteller reads in a form."""

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from game.models import Gameline, Scene, STRelationship, XPLedgerEntry, XPSpendingRequest

pytestmark = pytest.mark.django_db


def errors(instance) -> dict:
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


def test_a_duplicate_storyteller_relationship_is_explained(storyteller, chronicle):
    vampire = Gameline.objects.get(short_name="vtm")
    STRelationship.objects.create(user=storyteller, chronicle=chronicle, gameline=vampire)

    duplicate = STRelationship(user=storyteller, chronicle=chronicle, gameline=vampire)

    assert errors(duplicate) == {
        NON_FIELD_ERRORS: [
            "This user is already a storyteller of that game line in this chronicle."
        ]
    }


def test_xp_given_on_an_unfinished_scene_is_explained(chronicle):
    scene = Scene(chronicle=chronicle, name="Elysium", xp_given=True)

    assert errors(scene) == {
        NON_FIELD_ERRORS: ["Scene XP can only be given once the scene is finished."]
    }


def test_a_finished_scene_may_have_its_xp_given(chronicle):
    Scene(chronicle=chronicle, name="Elysium", finished=True, xp_given=True).full_clean()


def test_a_request_with_no_cost_and_half_a_decision_is_explained(make_human):
    request = XPSpendingRequest(
        character=make_human(),
        trait_name="brawl",
        trait_display="Brawl",
        category="ability",
        current_value=1,
        new_value=2,
        cost=0,
        decided_at=timezone.now(),
    )

    assert errors(request) == {
        NON_FIELD_ERRORS: [
            "The XP cost must be positive.",
            "A decided request records when and by whom; a pending one records neither.",
        ]
    }


def test_an_award_without_a_scene_is_explained(make_human):
    entry = XPLedgerEntry(character=make_human(), amount=3, kind="award")

    assert errors(entry) == {
        NON_FIELD_ERRORS: [
            "Spends are negative and name their request, refunds are positive and name "
            "their request, awards are positive and name their scene."
        ]
    }


def test_an_empty_ledger_entry_is_explained(make_human):
    entry = XPLedgerEntry(character=make_human(), amount=0, kind="adjustment")

    assert errors(entry) == {NON_FIELD_ERRORS: ["A ledger entry must change XP."]}
