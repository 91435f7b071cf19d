"""The same rules as the database constraints, through ``full_clean()``: what a user reads."""

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from characters.models import Human
from characters.tests.cases import TEMPORARY_LTE, boundary_cases, out_of_range_cases

pytestmark = pytest.mark.django_db


def expected_errors(case) -> dict:
    """The message a form would show for ``case``, built from the rule it breaks."""
    if case.constraint == TEMPORARY_LTE:
        return {NON_FIELD_ERRORS: ["Temporary willpower cannot exceed permanent willpower."]}
    name = case.constraint.removeprefix(f"{case.table}_").rsplit("_", 1)[0]
    value = case.values[name]
    if name == "status":
        return {"status": [f"Value {value!r} is not a valid choice."]}
    field = Human._meta.get_field(name)
    limits = {type(v).__name__: v.limit_value for v in field.validators}
    if value < limits["MinValueValidator"]:
        return {
            name: [f"Ensure this value is greater than or equal to {limits['MinValueValidator']}."]
        }
    return {name: [f"Ensure this value is less than or equal to {limits['MaxValueValidator']}."]}


@pytest.mark.parametrize("case", out_of_range_cases(), ids=lambda c: c.id)
def test_full_clean_refuses_out_of_range_with_a_readable_message(make_human, case):
    character = make_human()
    for name, value in case.values.items():
        setattr(character, name, value)

    with pytest.raises(ValidationError) as excinfo:
        character.full_clean()

    assert excinfo.value.message_dict == expected_errors(case)


@pytest.mark.parametrize("case", boundary_cases(), ids=lambda c: c.id)
def test_full_clean_accepts_the_boundaries(make_human, case):
    character = make_human(status=case.values.get("status", "App"))
    for name, value in case.values.items():
        setattr(character, name, value)

    character.full_clean()


def test_a_new_character_with_default_traits_is_valid(player):
    character = Human(name="Mina", owner=player)

    character.full_clean()

    assert (character.strength, character.brawl, character.willpower) == (1, 0, 3)
    assert character.temporary_willpower == 3


def test_range_constraints_carry_their_own_readable_message(make_human):
    """A constraint validated on its own (forms that skip the field) explains itself."""
    character = make_human()
    character.strength = 11

    with pytest.raises(ValidationError) as excinfo:
        character.validate_constraints()

    assert excinfo.value.messages == ["Strength must be between 1 and 10."]
