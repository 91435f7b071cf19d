"""A mortal: attributes, abilities, willpower and age, each range enforced three times."""

from django.db import models
from django.db.models import F, Q

from characters.models.ability_block import AbilityBlock
from characters.models.attribute_block import AttributeBlock
from characters.models.character import Character
from characters.traits import (
    ABILITIES,
    AGE,
    APPARENT_AGE,
    ATTRIBUTES,
    TEMPORARY_WILLPOWER,
    WILLPOWER,
)
from characters.validation import range_constraint, range_validators, trait_field

TABLE = "characters_human"


def human_constraints():
    """Every CheckConstraint of the Human table, derived from the trait specs."""
    rated = (*ATTRIBUTES, *ABILITIES, WILLPOWER, TEMPORARY_WILLPOWER)
    constraints = [range_constraint(TABLE, s.name, s.minimum, s.maximum) for s in rated]
    constraints.append(
        models.CheckConstraint(
            condition=Q(temporary_willpower__lte=F("willpower")),
            name=f"{TABLE}_temporary_willpower_lte_willpower",
            violation_error_message="Temporary willpower cannot exceed permanent willpower.",
        )
    )
    for spec in (AGE, APPARENT_AGE):
        constraints.append(
            range_constraint(TABLE, spec.name, spec.minimum, spec.maximum, nullable=True)
        )
    return constraints


class Human(Character, AttributeBlock, AbilityBlock):
    willpower = trait_field(WILLPOWER)
    temporary_willpower = trait_field(TEMPORARY_WILLPOWER)
    age = models.SmallIntegerField(
        null=True, blank=True, validators=range_validators(AGE.minimum, AGE.maximum)
    )
    apparent_age = models.SmallIntegerField(
        null=True,
        blank=True,
        validators=range_validators(APPARENT_AGE.minimum, APPARENT_AGE.maximum),
    )

    class Meta:
        ordering = ["name", "pk"]
        constraints = human_constraints()
