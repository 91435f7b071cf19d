from .ability_block import AbilityBlock
from .attribute_block import AttributeBlock
from .character import ALLOWED_TRANSITIONS, Character, ConcurrentEdit, Status, status_repair
from .human import Human

__all__ = [
    "ALLOWED_TRANSITIONS",
    "AbilityBlock",
    "AttributeBlock",
    "Character",
    "ConcurrentEdit",
    "Human",
    "Status",
    "status_repair",
]
