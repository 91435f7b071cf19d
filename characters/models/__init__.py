from .core import (
    ALLOWED_TRANSITIONS,
    AbilityBlock,
    AttributeBlock,
    Character,
    CharacterChange,
    ConcurrentEdit,
    Human,
    Status,
    record_changes,
    status_repair,
)

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
