"""The one list of traits.

Every rated trait of a character is declared here once. Model fields, validators,
database constraints, admin fieldsets, integrity checks and XP cost rules are all
generated from these specs, so a range can never be typed twice and drift.
"""

from dataclasses import dataclass


class Category:
    ATTRIBUTE = "attribute"
    ABILITY = "ability"
    WILLPOWER = "willpower"

    CHOICES = [(ATTRIBUTE, "Attribute"), (ABILITY, "Ability"), (WILLPOWER, "Willpower")]


@dataclass(frozen=True)
class TraitSpec:
    name: str
    category: str
    group: str
    minimum: int
    maximum: int
    default: int

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()

    def in_range(self, value: int) -> bool:
        return self.minimum <= value <= self.maximum


def _specs(category, group, names, minimum, maximum, default):
    return tuple(TraitSpec(n, category, group, minimum, maximum, default) for n in names)


ATTRIBUTES: tuple[TraitSpec, ...] = (
    _specs(Category.ATTRIBUTE, "physical", ("strength", "dexterity", "stamina"), 1, 10, 1)
    + _specs(Category.ATTRIBUTE, "social", ("charisma", "manipulation", "appearance"), 1, 10, 1)
    + _specs(Category.ATTRIBUTE, "mental", ("perception", "intelligence", "wits"), 1, 10, 1)
)

TALENTS = (
    "alertness",
    "athletics",
    "brawl",
    "empathy",
    "expression",
    "intimidation",
    "streetwise",
    "subterfuge",
)
SKILLS = ("crafts", "drive", "etiquette", "firearms", "melee", "stealth")
KNOWLEDGES = ("academics", "computer", "investigation", "medicine", "science")

ABILITIES: tuple[TraitSpec, ...] = (
    _specs(Category.ABILITY, "talents", TALENTS, 0, 10, 0)
    + _specs(Category.ABILITY, "skills", SKILLS, 0, 10, 0)
    + _specs(Category.ABILITY, "knowledges", KNOWLEDGES, 0, 10, 0)
)

WILLPOWER = TraitSpec("willpower", Category.WILLPOWER, "advantages", 1, 10, 3)
# Temporary willpower is spent in play, never bought with XP; it is not an XP trait.
TEMPORARY_WILLPOWER = TraitSpec("temporary_willpower", "pool", "advantages", 0, 10, 3)

# Traits a player may raise with XP, by field name.
XP_TRAITS: dict[str, TraitSpec] = {s.name: s for s in (*ATTRIBUTES, *ABILITIES, WILLPOWER)}


@dataclass(frozen=True)
class OptionalRange:
    """A nullable integer with a range (ages)."""

    name: str
    minimum: int
    maximum: int


AGE = OptionalRange("age", 0, 500)
APPARENT_AGE = OptionalRange("apparent_age", 0, 200)
