from .core import (
    ALLOWED_TRANSITIONS,
    AbilityBlock,
    AttributeBlock,
    Character,
    ConcurrentEdit,
    Human,
    Status,
    status_repair,
)

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
