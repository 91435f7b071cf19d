"""Out-of-range and boundary values for every rated trait, generated from the trait list.

Each case says which columns to write and which constraint must refuse them, so the
database tests (raw SQL) and the model tests (``full_clean``) share one list that
grows with ``characters.traits``.
"""

from dataclasses import dataclass, field

from characters.models import Human, Status
from characters.traits import (
    ABILITIES,
    AGE,
    APPARENT_AGE,
    ATTRIBUTES,
    TEMPORARY_WILLPOWER,
    WILLPOWER,
)

HUMAN = "characters_human"
CHARACTER = "characters_character"
TEMPORARY_LTE = f"{HUMAN}_temporary_willpower_lte_willpower"


@dataclass(frozen=True)
class ConstraintCase:
    """Write ``values`` into ``table``; ``constraint`` must refuse it (None: accepted)."""

    table: str
    values: dict
    constraint: str | None = None
    # Other constraints the same row also breaks (PostgreSQL reports one of them).
    also: frozenset = field(default_factory=frozenset)

    @property
    def id(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.values.items())


def _range(spec_name, value, **extra) -> ConstraintCase:
    return ConstraintCase(HUMAN, {spec_name: value, **extra}, f"{HUMAN}_{spec_name}_range")


def out_of_range_cases() -> list[ConstraintCase]:
    """Every rated trait just below and just above its range, ages and XP and status."""
    cases = []
    for spec in (*ATTRIBUTES, *ABILITIES):
        cases += [_range(spec.name, spec.minimum - 1), _range(spec.name, spec.maximum + 1)]
    # Permanent willpower below the temporary pool would also break the ``lte`` rule.
    cases += [
        _range(WILLPOWER.name, WILLPOWER.minimum - 1, temporary_willpower=0),
        _range(WILLPOWER.name, WILLPOWER.maximum + 1),
        _range(TEMPORARY_WILLPOWER.name, TEMPORARY_WILLPOWER.minimum - 1),
        # Above 10 is also above any permanent willpower: both rules break.
        ConstraintCase(
            HUMAN,
            {"willpower": 10, "temporary_willpower": TEMPORARY_WILLPOWER.maximum + 1},
            f"{HUMAN}_temporary_willpower_range",
            also=frozenset({TEMPORARY_LTE}),
        ),
        ConstraintCase(HUMAN, {"willpower": 4, "temporary_willpower": 5}, TEMPORARY_LTE),
    ]
    for spec in (AGE, APPARENT_AGE):
        cases += [_range(spec.name, spec.minimum - 1), _range(spec.name, spec.maximum + 1)]
    cases += [
        ConstraintCase(CHARACTER, {"xp": -1}, f"{CHARACTER}_xp_nonnegative"),
        ConstraintCase(CHARACTER, {"status": "XX"}, f"{CHARACTER}_status_valid"),
    ]
    return cases


def boundary_cases() -> list[ConstraintCase]:
    """The extreme values each rule accepts."""
    cases = []
    for spec in (*ATTRIBUTES, *ABILITIES):
        cases += [
            ConstraintCase(HUMAN, {spec.name: spec.minimum}),
            ConstraintCase(HUMAN, {spec.name: spec.maximum}),
        ]
    cases += [
        ConstraintCase(HUMAN, {"willpower": WILLPOWER.minimum, "temporary_willpower": 1}),
        ConstraintCase(HUMAN, {"willpower": WILLPOWER.maximum, "temporary_willpower": 10}),
        ConstraintCase(HUMAN, {"willpower": 5, "temporary_willpower": TEMPORARY_WILLPOWER.minimum}),
        ConstraintCase(HUMAN, {"willpower": 5, "temporary_willpower": 5}),
    ]
    for spec in (AGE, APPARENT_AGE):
        cases += [
            ConstraintCase(HUMAN, {spec.name: spec.minimum}),
            ConstraintCase(HUMAN, {spec.name: spec.maximum}),
            ConstraintCase(HUMAN, {spec.name: None}),
        ]
    cases.append(ConstraintCase(CHARACTER, {"xp": 0}))
    cases += [ConstraintCase(CHARACTER, {"status": status}) for status in Status.values]
    return cases


def human_defaults() -> dict:
    """Column → default for every column of the Human table except its key."""
    return {
        f.column: f.get_default() for f in Human._meta.local_concrete_fields if not f.primary_key
    }
