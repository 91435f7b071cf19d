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
from game.models import Gameline, Scene, XPSpendingRequest
from oversight.integrity import REGISTRY
from tests.support import validate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE_CONSTRAINTS = [("characters", "0002_character_chronicle_owner"), ("game", "0002_gamelines")]
# This release's columns and tables, taken before --fix (they add no constraint).
SCHEMA_FIRST = [
    ("characters", "0004_character_version"),
    ("game", "0004_memberships_awards_withdrawals"),
    ("game", "0009_spend_request_player_note"),
]


def migrate(*args) -> None:
    call_command("migrate", *args, verbosity=0, interactive=False)


@pytest.fixture
def pre_constraint_database(transactional_db):
    """The schema as it was before the constraints; back to the latest afterwards."""
    for app, name in BEFORE_CONSTRAINTS + SCHEMA_FIRST:
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
    people = {name: make_human(name, xp=6) for name in "ABCDEFHI"}
    people["G"] = make_human("G", xp=0)
    people["J"] = make_human("J", xp=10)
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
    sql("UPDATE characters_character SET xp = 9 WHERE id = %s", people["G"].pk)  # pre-ledger
    sql("UPDATE characters_character SET xp = 10 WHERE id = %s", pk["I"])  # drifted

    people["H"].spend_xp("wits")
    sql("UPDATE characters_character SET status = 'Dec' WHERE id = %s", pk["H"])
    # J double-clicked before tg refused it: a second Pending request for the same dot.
    first = people["J"].spend_xp("wits")
    sql(
        "INSERT INTO game_xpspendingrequest (character_id, trait_name, trait_display, category, "
        "current_value, new_value, cost, status, created_at, note, self_decided) "
        "SELECT character_id, trait_name, trait_display, category, current_value, new_value, "
        "cost, status, now(), note, self_decided FROM game_xpspendingrequest WHERE id = %s",
        first.pk,
    )
    sql(
        "INSERT INTO game_xpledgerentry (character_id, amount, kind, spend_request_id, "
        "created_at, note, self_decided) SELECT %s, -4, 'spend', max(id), now(), '', false "
        "FROM game_xpspendingrequest",
        pk["J"],
    )
    sql("UPDATE characters_character SET xp = xp - 4 WHERE id = %s", pk["J"])

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


def test_validate_fix_decide_migrate_verify(
    pre_constraint_database, make_human, chronicle, storyteller
):
    people = write_violations(make_human, chronicle, storyteller)

    status, report, _ = validate("--verbose")
    assert status == 1
    failed = [line.split()[1] for line in report.splitlines() if line.startswith("✗ ")]
    assert failed == [name for name in REGISTRY if name != "lost_dots"]
    for expected in (
        f"A (#{people['A'].pk}) strength = 0 → 1",
        f"B (#{people['B'].pk}) brawl = 11 → 10",
        f"C (#{people['C'].pk}) willpower = 0 → 1",
        f"C (#{people['C'].pk}) temporary_willpower = 5 → 1",
        f"D (#{people['D'].pk}) age = -3 → empty",
        f"D (#{people['D'].pk}) apparent_age = 300 → 200",
        f"E (#{people['E'].pk}) status = Zz → Un",
        f"F (#{people['F'].pk}) xp = -4 → 0",
        f"G (#{people['G'].pk}) xp = 9, ledger 0 → opening-balance entry of +9",
        f"I (#{people['I'].pk}) xp = 10, ledger 6 → an operator decides: --accept-balances "
        "or --restore-balances",
    ):
        assert f"    {expected}\n" in report
    assert "16 issue(s) in 11 check(s); 14 can be fixed with --fix" in report

    with pytest.raises(IntegrityError) as refused:
        migrate()
    violated = r'constraint "(characters|game)_\w+" of relation "\w+" is violated by some row'
    assert re.search(violated, str(refused.value))

    status, fixed, _ = validate("--fix")
    assert status == 1, fixed
    assert fixed.endswith(
        "2 issue(s) remain in 1 check(s): xp_ledger. They need a person to decide; see "
        "docs/deployment/validation_workflow.md.\n"
    )

    # F's -4 was clamped to 0, but its ledger says 6; I gained 4 outside the ledger.
    status, decided, _ = validate(
        "--restore-balances", str(people["F"].pk), "--reason", "the -4 was a typo"
    )
    assert status == 1, decided
    status, decided, _ = validate(
        "--accept-balances", str(people["I"].pk), "--reason", "ST granted 4 XP at the table"
    )
    assert status == 0, decided
    assert Character.objects.get(pk=people["F"].pk).xp == 6

    migrate()
    status, verified, _ = validate()
    assert status == 0
    assert verified.endswith(f"No issues: {len(REGISTRY)} check(s) passed.\n")
    assert Character.objects.get(pk=people["H"].pk).xp == 6
    assert Character.objects.get(pk=people["J"].pk).xp == 6
    assert XPSpendingRequest.objects.filter(character=people["J"], status="Pending").count() == 1
