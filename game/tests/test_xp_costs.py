"""The 20th-anniversary XP cost rules."""

import pytest

from game.operations.costs import trait_cost, xp_cost


@pytest.mark.parametrize(
    ("category", "current", "cost"),
    [
        ("attribute", 1, 4),
        ("attribute", 3, 12),
        ("ability", 0, 3),
        ("ability", 1, 2),
        ("ability", 4, 8),
        ("willpower", 3, 3),
        ("willpower", 9, 9),
    ],
)
def test_costs_follow_the_rules(category, current, cost):
    assert xp_cost(category, current) == cost


def test_trait_cost_looks_up_the_category_from_the_trait_list():
    assert trait_cost("strength", 2) == 8
    assert trait_cost("alertness", 0) == 3
    assert trait_cost("willpower", 5) == 5


def test_an_unknown_category_has_no_price():
    with pytest.raises(ValueError, match="no XP cost rule"):
        xp_cost("merit", 1)
