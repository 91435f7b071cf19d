"""Every migration reverses, and the validation constraints can be rolled back on their own.

These tests migrate the real test database back and forth (PostgreSQL, where DDL is
transactional and constraints are checked), so they run with ``transaction=True`` and
always leave the database fully migrated for the tests after them.
"""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, connection

from characters.models import Character, Human
from game.models import Gameline, Scene, STRelationship

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

APPS = ("characters", "game", "core")
BEFORE_CONSTRAINTS = {"characters": "0002_character_chronicle_owner", "game": "0002_gamelines"}
# The columns and tables of this release sit on their own branch beside the constraints.
SCHEMA_ONLY = {
    "characters": "0004_character_version",
    "game": "0009_spend_request_player_note",
}


def migrate(*args) -> None:
    call_command("migrate", *args, verbosity=0, stdout=StringIO(), stderr=StringIO())


def tg_tables() -> set[str]:
    """Every table of tg's models, many-to-many tables included."""
    tables = set()
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            tables.add(model._meta.db_table)
            tables.update(
                m2m.remote_field.through._meta.db_table for m2m in model._meta.many_to_many
            )
    return tables


def existing_tables() -> set[str]:
    return set(connection.introspection.table_names())


def constraint_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def tg_constraint_names() -> set[str]:
    """The names of the validation constraints the models declare."""
    return {
        constraint.name
        for app in ("characters", "game")
        for model in apps.get_app_config(app).get_models()
        for constraint in model._meta.constraints
    }


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def fully_migrated_afterwards():
    """Whatever happens in the test, end with clean data and every migration applied."""
    yield
    call_command("flush", interactive=False, verbosity=0)
    migrate()


@pytest.fixture
def world(make_human, chronicle, storyteller):
    """A character, a scene and a storyteller relationship that must survive a rollback."""
    vampire, _ = Gameline.objects.get_or_create(
        short_name="vtm", defaults={"name": "Vampire: the Masquerade"}
    )
    STRelationship.objects.create(user=storyteller, chronicle=chronicle, gameline=vampire)
    scene = Scene.objects.create(chronicle=chronicle, name="Elysium")
    return {"human": make_human(strength=3), "scene": scene, "gameline": vampire}


def test_every_app_migrates_to_zero_and_forward_again(fully_migrated_afterwards):
    assert tg_tables() <= existing_tables()

    for app in APPS:
        migrate(app, "zero")
    assert tg_tables() & existing_tables() == set()

    migrate()
    assert tg_tables() <= existing_tables()
    assert Gameline.objects.count() == 9
    assert constraint_names("characters_human") >= {
        "characters_human_strength_range",
        "characters_human_temporary_willpower_lte_willpower",
    }


def roll_back_constraints() -> None:
    """Unapply every constraint migration and keep every column and table."""
    for app, target in BEFORE_CONSTRAINTS.items():
        migrate(app, target)
    for app, target in SCHEMA_ONLY.items():
        migrate(app, target)


def test_rolling_back_the_constraint_migrations_keeps_every_table_and_row(
    world, fully_migrated_afterwards
):
    counts = {model: model.objects.count() for model in (Character, Human, Scene, STRelationship)}
    # A table created with its own uniqueness keeps it: only validation constraints go.
    declared = tg_constraint_names() - {"game_chroniclemembership_user_chronicle_unique"}
    tables = existing_tables()

    roll_back_constraints()

    assert existing_tables() == tables
    assert {model: model.objects.count() for model in counts} == counts
    remaining = set().union(*(constraint_names(t) for t in tg_tables()))
    assert remaining & declared == set()

    # Without the constraints, the database takes what they would refuse.
    human, scene = world["human"], world["scene"]
    sql("UPDATE characters_human SET strength = 11 WHERE character_ptr_id = %s", [human.pk])
    sql("UPDATE characters_character SET xp = -1 WHERE id = %s", [human.pk])
    sql("UPDATE game_scene SET xp_given = true WHERE id = %s", [scene.pk])
    sql(
        "INSERT INTO game_strelationship (user_id, chronicle_id, gameline_id, created_at) "
        "SELECT user_id, chronicle_id, gameline_id, now() FROM game_strelationship"
    )
    assert Human.objects.values_list("strength", "xp").get(pk=human.pk) == (11, -1)
    assert STRelationship.objects.count() == 2


def test_the_constraints_come_back_only_once_the_data_is_fixed(world, fully_migrated_afterwards):
    human = world["human"]
    roll_back_constraints()
    sql("UPDATE characters_human SET strength = 11 WHERE character_ptr_id = %s", [human.pk])

    with pytest.raises(IntegrityError) as excinfo:
        migrate("characters")

    assert "characters_human_strength_range" in str(excinfo.value)
    assert "characters_human_strength_range" not in constraint_names("characters_human")

    sql("UPDATE characters_human SET strength = 10 WHERE character_ptr_id = %s", [human.pk])
    migrate()

    assert tg_constraint_names() <= set().union(*(constraint_names(t) for t in tg_tables()))
    with pytest.raises(IntegrityError) as excinfo:
        sql("UPDATE characters_human SET strength = 11 WHERE character_ptr_id = %s", [human.pk])
    assert "characters_human_strength_range" in str(excinfo.value)
    assert Human.objects.get(pk=human.pk).strength == 10
