"""The creation summary a storyteller checks: dots per group against the guideline.

Mortals in World of Darkness (20th anniversary) spread 6/4/3 dots over their three
attribute groups, above the free first dot of each attribute, and 11/7/4 over their
three ability groups, priorities chosen by the player. The summary compares each
group's dots, largest first, with the guideline. It warns; it never blocks a sheet.
"""

from dataclasses import dataclass

from characters.traits import ABILITIES, ATTRIBUTES, TraitSpec

GUIDELINE = {"Attributes": (6, 4, 3), "Abilities": (11, 7, 4)}


@dataclass(frozen=True)
class GroupSummary:
    kind: str
    groups: list[tuple[str, int]]
    guideline: tuple[int, ...]

    @property
    def spent(self) -> tuple[int, ...]:
        return tuple(sorted((dots for _, dots in self.groups), reverse=True))

    @property
    def difference(self) -> int:
        return sum(self.spent) - sum(self.guideline)

    @property
    def matches(self) -> bool:
        return self.spent == self.guideline

    @property
    def message(self) -> str:
        spent = "/".join(map(str, self.spent))
        guide = "/".join(map(str, self.guideline))
        if self.matches:
            return f"{self.kind}: {spent}, as the guideline ({guide})."
        if self.difference > 0:
            return f"{self.kind}: {spent} — {self.difference} dot(s) above the guideline ({guide})."
        if self.difference < 0:
            return (
                f"{self.kind}: {spent} — {-self.difference} dot(s) below the guideline ({guide})."
            )
        return f"{self.kind}: {spent} — spread differently from the guideline ({guide})."


def _dots(character, specs: tuple[TraitSpec, ...], free: int) -> list[tuple[str, int]]:
    groups: dict[str, int] = {}
    for spec in specs:
        groups.setdefault(spec.group, 0)
        groups[spec.group] += getattr(character, spec.name) - free
    return [(group.capitalize(), dots) for group, dots in groups.items()]


def creation_summary(character) -> list[GroupSummary]:
    return [
        GroupSummary("Attributes", _dots(character, ATTRIBUTES, free=1), GUIDELINE["Attributes"]),
        GroupSummary("Abilities", _dots(character, ABILITIES, free=0), GUIDELINE["Abilities"]),
    ]
