"""The operator's deployment of the validation constraints, end to end on PostgreSQL.

A database from before the constraint migrations holds violating rows of every kind;
validate_data_integrity --verbose lists them and exits 1; migrate fails on a check
constraint; --fix repairs everything and exits 0; migrate then succeeds and a last
validate_data_integrity exits 0.
"""

import re

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from characters.models import Character
from core.integrity import REGISTRY
from game.models import Gameline, Scene

from .test_integrity_support import run

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE_CONSTRAINTS = [("characters", "0002_character_chronicle_owner"), ("game", "0002_gamelines")]


def migrate(*args) -> None:
    call_command("migrate", *args, verbosity=0, interactive=False)


@pytest.fixture
def pre_constraint_database(transactional_db):
    """The schema as it was before the constraints; back to the latest afterwards."""
    for app, name in BEFORE_CONSTRAINTS:
        migrate(app, name)
    yield
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        # The test stopped half-way: drop its rows so that the constraints can return.
        call_command("flush", verbosity=0, interactive=False)
        migrate()


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def write_violations(make_human, chronicle, storyteller) -> dict[str, Character]:
    """Valid rows through the ORM, then raw SQL that breaks every rule once (or more)."""
    people = {name: make_human(name, xp=6) for name in "ABCDEFGH"}
    pk = {name: c.pk for name, c in people.items()}
    sql("UPDATE characters_human SET strength = 0 WHERE character_ptr_id = %s", pk["A"])
    sql("UPDATE characters_human SET brawl = 11 WHERE character_ptr_id = %s", pk["B"])
    sql(
        "UPDATE characters_human SET willpower = 0, temporary_willpower = 5 "
        "WHERE character_ptr_id = %s",
        pk["C"],
    )
    sql(
        "UPDATE characters_human SET age = -3, apparent_age = 300 WHERE character_ptr_id = %s",
        pk["D"],
    )
    sql("UPDATE characters_character SET status = 'Zz' WHERE id = %s", pk["E"])
    sql("UPDATE characters_character SET xp = -4 WHERE id = %s", pk["F"])
    sql("UPDATE characters_character SET xp = 9 WHERE id = %s", pk["G"])

    people["H"].spend_xp("wits", "Wits", 4, "attribute")
    sql("UPDATE characters_character SET status = 'Dec' WHERE id = %s", pk["H"])

    line = Gameline.objects.get_or_create(short_name="vtm", defaults={"name": "Vampire"})[0]
    for _ in range(3):
        sql(
            "INSERT INTO game_strelationship (user_id, chronicle_id, gameline_id, created_at) "
            "VALUES (%s, %s, %s, %s)",
            storyteller.pk,
            chronicle.pk,
            line.pk,
            timezone.now(),
        )

    unflagged, unfinished = (
        Scene.objects.create(chronicle=chronicle, name=name, finished=True)
        for name in ("Unflagged", "Unfinished")
    )
    for scene in (unflagged, unfinished):
        scene.participants.add(people["A"])
        scene.award_xp({people["A"]: 1})
    sql(
        "UPDATE game_scene SET xp_given = false, xp_awarded_at = NULL WHERE id = %s",
        unflagged.pk,
    )
    sql("UPDATE game_scene SET finished = false WHERE id = %s", unfinished.pk)
    sql(
        "INSERT INTO game_scene (chronicle_id, name, finished, xp_given, xp_awarded_at, "
        "created_at) VALUES (%s, 'Flagged', false, true, %s, %s)",
        chronicle.pk,
        timezone.now(),
        timezone.now(),
    )
    return people


def test_validate_fix_migrate_verify(pre_constraint_database, make_human, chronicle, storyteller):
    people = write_violations(make_human, chronicle, storyteller)

    status, report, _ = run("--verbose")
    assert status == 1
    failed = [line.split()[1] for line in report.splitlines() if line.startswith("✗ ")]
    assert failed == list(REGISTRY)
    for expected in (
        f"A (#{people['A'].pk}) strength = 0 → 1",
        f"B (#{people['B'].pk}) brawl = 11 → 10",
        f"C (#{people['C'].pk}) willpower = 0 → 1",
        f"C (#{people['C'].pk}) temporary_willpower = 5 → 1",
        f"D (#{people['D'].pk}) age = -3 → empty",
        f"D (#{people['D'].pk}) apparent_age = 300 → 200",
        f"E (#{people['E'].pk}) status = Zz → Un",
        f"F (#{people['F'].pk}) xp = -4 → 0",
        f"G (#{people['G'].pk}) xp = 9, ledger 6 → adjustment entry of +3",
    ):
        assert f"    {expected}\n" in report
    assert "14 issue(s) in 10 check(s)" in report

    with pytest.raises(IntegrityError) as refused:
        migrate()
    violated = r'constraint "(characters|game)_\w+" of relation "\w+" is violated by some row'
    assert re.search(violated, str(refused.value))

    status, fixed, _ = run("--fix")
    assert status == 0, fixed
    assert fixed.endswith("No issues: 10 check(s) passed.\n")

    migrate()
    status, verified, _ = run()
    assert status == 0
    assert verified.endswith("No issues: 10 check(s) passed.\n")
    assert Character.objects.get(pk=people["H"].pk).xp == 6
