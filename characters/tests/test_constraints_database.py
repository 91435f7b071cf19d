"""Database constraints hold for raw SQL: out-of-range rows are refused by PostgreSQL.

Each refused write runs in its own savepoint (``transaction.atomic()``) so the test
can read the row afterwards and see that nothing changed.
"""

import pytest
from django.db import IntegrityError, connection, transaction

from characters.tests.cases import CHARACTER, boundary_cases, human_defaults, out_of_range_cases

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

OUT_OF_RANGE = out_of_range_cases()
BOUNDARIES = boundary_cases()


def constraint_name(error: IntegrityError) -> str:
    return error.__cause__.diag.constraint_name


def update(case, pk) -> None:
    key = "id" if case.table == CHARACTER else "character_ptr_id"
    assignments = ", ".join(f"{column} = %s" for column in case.values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {case.table} SET {assignments} WHERE {key} = %s",
            [*case.values.values(), pk],
        )


def insert(case, owner_id) -> int:
    """Insert a whole character (both tables) with ``case.values`` in place of defaults."""
    character = {"name": "Raw", "owner_id": owner_id, "npc": False, "concept": ""}
    character |= {"status": "App", "xp": 0}
    human = human_defaults()
    (character if case.table == CHARACTER else human).update(case.values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO characters_character ({', '.join(character)}, created_at, updated_at) "
            f"VALUES ({', '.join(['%s'] * len(character))}, now(), now()) RETURNING id",
            list(character.values()),
        )
        pk = cursor.fetchone()[0]
        cursor.execute(
            f"INSERT INTO characters_human (character_ptr_id, {', '.join(human)}) "
            f"VALUES (%s, {', '.join(['%s'] * len(human))})",
            [pk, *human.values()],
        )
    return pk


def stored(case, pk) -> tuple:
    key = "id" if case.table == CHARACTER else "character_ptr_id"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(case.values)} FROM {case.table} WHERE {key} = %s", [pk])
        return cursor.fetchone()


def count_characters() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM characters_character")
        return cursor.fetchone()[0]


def test_the_cases_cover_every_rule_of_the_issue():
    """9 attributes and 19 abilities twice each, willpower, pool, ages, xp and status."""
    assert len(OUT_OF_RANGE) == 2 * 9 + 2 * 19 + 2 + 3 + 4 + 2


@pytest.mark.parametrize("case", OUT_OF_RANGE, ids=lambda c: c.id)
def test_raw_update_out_of_range_is_refused_naming_its_constraint(make_human, case):
    character = make_human()
    before = stored(case, character.pk)

    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        update(case, character.pk)

    assert constraint_name(excinfo.value) in {case.constraint, *case.also}
    assert constraint_name(excinfo.value) in str(excinfo.value)
    assert stored(case, character.pk) == before


@pytest.mark.parametrize("case", OUT_OF_RANGE, ids=lambda c: c.id)
def test_raw_insert_out_of_range_is_refused_naming_its_constraint(player, case):
    before = count_characters()

    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        insert(case, player.pk)

    assert constraint_name(excinfo.value) in {case.constraint, *case.also}
    assert constraint_name(excinfo.value) in str(excinfo.value)
    assert count_characters() == before


def test_temporary_willpower_eleven_breaks_both_of_its_rules(make_human):
    """PostgreSQL checks constraints in name order, so ``lte`` is the one reported."""
    case = next(c for c in OUT_OF_RANGE if c.also)
    character = make_human(willpower=10, temporary_willpower=10)

    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        update(case, character.pk)

    assert case.values == {"willpower": 10, "temporary_willpower": 11}
    assert constraint_name(excinfo.value) == "characters_human_temporary_willpower_lte_willpower"


@pytest.mark.parametrize("case", BOUNDARIES, ids=lambda c: c.id)
def test_raw_update_at_the_boundary_is_accepted(make_human, case):
    character = make_human()

    update(case, character.pk)

    assert stored(case, character.pk) == tuple(case.values.values())


@pytest.mark.parametrize("case", BOUNDARIES, ids=lambda c: c.id)
def test_raw_insert_at_the_boundary_is_accepted(player, case):
    pk = insert(case, player.pk)

    assert stored(case, pk) == tuple(case.values.values())
