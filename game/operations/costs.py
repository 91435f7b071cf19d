"""XP costs, World of Darkness 20th anniversary defaults.

``xp_cost(category, current)`` is the price of raising a trait one dot from
``current``. Forms quote it to players; ``spend_xp`` itself takes whatever cost
it is given (a storyteller may have agreed another price).
"""

from characters.traits import XP_TRAITS, Category


def xp_cost(category: str, current: int) -> int:
    if category == Category.ATTRIBUTE:
        return current * 4
    if category == Category.ABILITY:
        return 3 if current == 0 else current * 2
    if category == Category.WILLPOWER:
        return current
    raise ValueError(f"no XP cost rule for category {category!r}")


def trait_cost(trait_name: str, current: int) -> int:
    """Cost of raising ``trait_name`` from ``current`` to ``current + 1``."""
    return xp_cost(XP_TRAITS[trait_name].category, current)
