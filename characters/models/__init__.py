"""The character sheet's models: ``Character`` (status, XP, willpower), its two trait
blocks, ``Human``, and the per-field change history."""

from characters.models.ability_block import AbilityBlock
from characters.models.attribute_block import AttributeBlock
from characters.models.character import (
    ALLOWED_TRANSITIONS,
    Character,
    ConcurrentEdit,
    Status,
    ledgered_xp,
    status_label,
    status_repair,
)
from characters.models.history import CharacterChange, record_changes
from characters.models.human import Human

__all__ = [
    "ALLOWED_TRANSITIONS",
    "AbilityBlock",
    "AttributeBlock",
    "Character",
    "CharacterChange",
    "ConcurrentEdit",
    "Human",
    "Status",
    "record_changes",
    "status_label",
    "ledgered_xp",
    "status_repair",
]
