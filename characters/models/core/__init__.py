from .ability_block import AbilityBlock
from .attribute_block import AttributeBlock
from .character import ALLOWED_TRANSITIONS, Character, ConcurrentEdit, Status, status_repair
from .history import CharacterChange, record_changes
from .human import Human

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
    "status_repair",
]
