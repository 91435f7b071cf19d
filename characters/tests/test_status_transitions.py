"""The status state machine, over all 25 (from, to) pairs, through every write path."""

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value

from characters.models import Character, Status, status_repair

pytestmark = pytest.mark.django_db

# Written out here, not imported: the test states the rule the issue gives.
ALLOWED = {
    "Un": {"Sub", "Ret"},
    "Sub": {"Un", "App", "Ret"},
    "App": {"Ret", "Dec"},
    "Ret": {"App"},
    "Dec": set(),
}
LABELS = {s.value: s.label for s in Status}
PAIRS = list(itertools.product(LABELS, repeat=2))
FORBIDDEN = [(a, b) for a, b in PAIRS if a != b and b not in ALLOWED[a]]
PERMITTED = [(a, b) for a, b in PAIRS if (a, b) not in FORBIDDEN]


def expected_message(current: str, new: str) -> str:
    if not ALLOWED[current]:
        return (
            f"A character cannot go from {LABELS[current]} to {LABELS[new]}: "
            f"{LABELS[current]} is final, no status change is allowed."
        )
    targets = ", ".join(LABELS[s] for s in LABELS if s in ALLOWED[current])
    return (
        f"A character cannot go from {LABELS[current]} to {LABELS[new]}. "
        f"Allowed from {LABELS[current]}: {targets}."
    )


def stored_status(character) -> str:
    return Character.objects.values_list("status", flat=True).get(pk=character.pk)


def test_the_pairs_cover_all_twenty_five_moves():
    assert len(PAIRS) == 25
    assert len(PERMITTED) == 5 + 8
    assert len(FORBIDDEN) == 12


@pytest.mark.parametrize(("current", "new"), PERMITTED)
def test_allowed_move_saves(make_human, current, new):
    character = make_human(status=current)
    character.status = new

    character.full_clean()
    character.save()

    assert stored_status(character) == new


@pytest.mark.parametrize(("current", "new"), FORBIDDEN)
def test_forbidden_move_is_refused_by_save(make_human, current, new):
    character = make_human(status=current)
    character.status = new

    with pytest.raises(ValidationError) as excinfo:
        character.save()

    assert excinfo.value.message_dict == {"status": [expected_message(current, new)]}
    assert stored_status(character) == current


@pytest.mark.parametrize(("current", "new"), FORBIDDEN)
def test_forbidden_move_is_refused_by_clean_and_full_clean(make_human, current, new):
    character = make_human(status=current)
    character.status = new

    with pytest.raises(ValidationError) as from_clean:
        character.clean()
    with pytest.raises(ValidationError) as from_full_clean:
        character.full_clean()

    assert from_clean.value.message_dict == {"status": [expected_message(current, new)]}
    assert from_full_clean.value.message_dict == {"status": [expected_message(current, new)]}


def test_forbidden_message_names_both_states_and_the_allowed_targets(make_human):
    character = make_human(status="Un")
    character.status = "App"

    with pytest.raises(ValidationError) as excinfo:
        character.save()

    assert excinfo.value.messages == [
        "A character cannot go from Unfinished to Approved. "
        "Allowed from Unfinished: Submitted, Retired."
    ]


def test_a_deceased_character_cannot_come_back_through_the_parent_model(make_human):
    human = make_human(status="Dec")
    character = Character.objects.get(pk=human.pk)
    character.status = "App"

    with pytest.raises(ValidationError):
        character.save()

    assert stored_status(human) == "Dec"


def test_saving_other_fields_does_not_check_the_status(make_human):
    character = make_human(status="Dec")
    character.concept = "Ghost story"

    character.save(update_fields=["concept"])

    assert Character.objects.get(pk=character.pk).concept == "Ghost story"


def test_queryset_update_refuses_a_forbidden_move(make_human):
    alive = make_human("Ada", status="Ret")
    dead = make_human("Bram", status="Dec")

    with pytest.raises(ValidationError) as excinfo:
        Character.objects.filter(pk__in=[alive.pk, dead.pk]).update(status="App")

    assert excinfo.value.message_dict == {"status": [expected_message("Dec", "App")]}
    assert (stored_status(alive), stored_status(dead)) == ("Ret", "Dec")


def test_queryset_update_allows_a_permitted_move(make_human):
    first = make_human("Ada", status="App")
    second = make_human("Bram", status="App")

    updated = Character.objects.filter(pk__in=[first.pk, second.pk]).update(status="Ret")

    assert updated == 2
    assert (stored_status(first), stored_status(second)) == ("Ret", "Ret")


def test_status_repair_allows_any_move_through_save_and_update(make_human):
    first = make_human("Ada", status="Dec")
    second = make_human("Bram", status="Dec")

    with status_repair():
        first.status = "App"
        first.save()
        Character.objects.filter(pk=second.pk).update(status="Un")

    assert (stored_status(first), stored_status(second)) == ("App", "Un")


def test_status_repair_ends_with_its_block(make_human):
    character = make_human(status="Dec")
    with status_repair():
        pass
    character.status = "App"

    with pytest.raises(ValidationError):
        character.save()


@pytest.mark.postgres
def test_status_repair_does_not_bypass_the_database_constraint(make_human):
    character = make_human(status="App")
    character.status = "XX"

    with status_repair(), pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        character.save()

    assert "characters_character_status_valid" in str(excinfo.value)
    assert stored_status(character) == "App"


def test_bulk_update_refuses_a_forbidden_move_and_writes_nothing(make_human):
    alive = make_human(name="Alive", status="App")
    dead = make_human(name="Dead", status="Dec")
    alive.status, dead.status = "Ret", "App"
    with pytest.raises(ValidationError) as info:
        Character.objects.bulk_update([alive, dead], ["status"])
    assert info.value.message_dict["status"] == [
        "A character cannot go from Deceased to Approved: Deceased is final, "
        "no status change is allowed."
    ]
    assert dict(Character.objects.values_list("name", "status")) == {"Alive": "App", "Dead": "Dec"}


def test_bulk_update_applies_allowed_moves(make_human):
    one = make_human(name="One", status="Un")
    two = make_human(name="Two", status="App")
    one.status, two.status = "Sub", "Ret"
    Character.objects.bulk_update([one, two], ["status"])
    assert dict(Character.objects.values_list("name", "status")) == {"One": "Sub", "Two": "Ret"}


def test_an_expression_status_update_is_refused_outside_repair(make_human):
    make_human(name="Dead", status="Dec")
    with pytest.raises(ValidationError):
        Character.objects.update(status=Value("App"))
    assert Character.objects.get().status == "Dec"
    with status_repair():
        Character.objects.update(status=Value("App"))
    assert Character.objects.get().status == "App"
