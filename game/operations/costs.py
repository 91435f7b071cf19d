"""XP costs, World of Darkness 20th anniversary defaults.

``xp_cost(category, current)`` is the price of raising a trait one dot from
``current``. tg computes every price from here: the spend page quotes it, and
``spend_xp`` charges it (a different price needs ``price_set_by``, a storyteller of the
chronicle; see ``game.operations.xp``).
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
