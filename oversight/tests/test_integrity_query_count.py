"""Counting happens in the database: the report issues the same queries for 10
characters as for 1,000 (and so for a million)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from characters.models import Character
from characters.traits import ABILITIES, ATTRIBUTES, TEMPORARY_WILLPOWER, WILLPOWER
from oversight.integrity import run_checks
from tests.support import corrupt, validate

pytestmark = pytest.mark.django_db

# 1 table list + 5 shared aggregates (characters_character, characters_human,
# game_strelationship, game_scene, game_xpspendingrequest) + the ledger comparison (the
# checkpoint mark, then one pass) + 1 lost-dots comparison, + 1 example query for the
# one failing check (xp_ledger).
REPORT_QUERIES = 10


def add_humans(player, count: int) -> None:
    """``count`` valid Humans, two set-based inserts (no per-row saves)."""
    first = Character.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    Character.objects.bulk_create(
        Character(name=f"Extra {n}", owner=player, status="App") for n in range(count)
    )
    specs = (*ATTRIBUTES, *ABILITIES, WILLPOWER, TEMPORARY_WILLPOWER)
    columns = ", ".join(s.name for s in specs)
    defaults = ", ".join(str(s.default) for s in specs)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO characters_human (character_ptr_id, {columns}) "
            f"SELECT id, {defaults} FROM characters_character WHERE id > %s",
            [first],
        )


@pytest.fixture
def one_drifted(make_human):
    ada = make_human("Ada", xp=10)
    corrupt(Character, ada.pk, xp=11)
    return ada


@pytest.mark.parametrize("total", [10, 1000])
def test_the_report_issues_the_same_queries_whatever_the_size(
    one_drifted, player, total, django_assert_num_queries
):
    add_humans(player, total - 1)
    assert Character.objects.count() == total

    with django_assert_num_queries(REPORT_QUERIES):
        results = run_checks(examples=50)

    assert sum(r.count for r in results) == 1


def test_the_command_issues_the_same_queries_for_10_and_1000_characters(one_drifted, player):
    sizes = {}
    for total in (10, 1000):
        add_humans(player, total - Character.objects.count())
        with CaptureQueriesContext(connection) as queries:
            status, _, _ = validate("--verbose")
        assert status == 1
        sizes[total] = len(queries)
    # The command first lists the tables once more: a database without tg's is refused.
    assert sizes == {10: REPORT_QUERIES + 1, 1000: REPORT_QUERIES + 1}
