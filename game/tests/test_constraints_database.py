"""Game constraints hold for raw SQL: PostgreSQL refuses the row and names the rule."""

import pytest
from django.db import IntegrityError, connection, transaction

from game.models import Gameline, Scene, STRelationship, XPLedgerEntry, XPSpendingRequest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def sql(statement: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def refused(statement: str, params=()) -> str:
    """Run ``statement`` in a savepoint; return the name of the constraint refusing it."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        sql(statement, params)
    name = excinfo.value.__cause__.diag.constraint_name
    assert name in str(excinfo.value)
    return name


@pytest.fixture
def vampire():
    return Gameline.objects.get(short_name="vtm")


@pytest.fixture
def scene(chronicle):
    return Scene.objects.create(chronicle=chronicle, name="Elysium")


def insert_st(user, chronicle, gameline):
    return (
        "INSERT INTO game_strelationship (user_id, chronicle_id, gameline_id, created_at) "
        "VALUES (%s, %s, %s, now())",
        [user.pk, chronicle.pk, gameline.pk],
    )


def test_a_duplicate_storyteller_relationship_is_refused(storyteller, chronicle, vampire):
    sql(*insert_st(storyteller, chronicle, vampire))

    name = refused(*insert_st(storyteller, chronicle, vampire))

    assert name == "game_strelationship_user_chronicle_gameline_unique"
    assert STRelationship.objects.count() == 1


def test_the_same_storyteller_may_run_another_line(storyteller, chronicle, vampire):
    werewolf = Gameline.objects.get(short_name="wta")
    sql(*insert_st(storyteller, chronicle, vampire))

    sql(*insert_st(storyteller, chronicle, werewolf))

    assert STRelationship.objects.count() == 2


def test_xp_given_on_an_unfinished_scene_is_refused_by_update(scene):
    name = refused("UPDATE game_scene SET xp_given = true WHERE id = %s", [scene.pk])

    assert name == "game_scene_xp_given_requires_finished"
    assert Scene.objects.values_list("xp_given", flat=True).get(pk=scene.pk) is False


def test_xp_given_on_an_unfinished_scene_is_refused_by_insert(chronicle):
    name = refused(
        "INSERT INTO game_scene (chronicle_id, name, finished, xp_given, created_at) "
        "VALUES (%s, 'Raw', false, true, now())",
        [chronicle.pk],
    )

    assert name == "game_scene_xp_given_requires_finished"
    assert not Scene.objects.exists()


def test_unfinishing_a_scene_whose_xp_was_given_is_refused(scene):
    sql("UPDATE game_scene SET finished = true, xp_given = true WHERE id = %s", [scene.pk])

    name = refused("UPDATE game_scene SET finished = false WHERE id = %s", [scene.pk])

    assert name == "game_scene_xp_given_requires_finished"


def test_xp_given_on_a_finished_scene_is_accepted(scene):
    sql("UPDATE game_scene SET finished = true, xp_given = true WHERE id = %s", [scene.pk])

    assert Scene.objects.values_list("finished", "xp_given").get(pk=scene.pk) == (True, True)


# --- XP spending requests -------------------------------------------------------------


@pytest.fixture
def pending(make_human):
    return make_human(xp=10, brawl=1).spend_xp("brawl", "Brawl", 2, "ability")


@pytest.mark.parametrize(
    ("assignment", "constraint"),
    [
        ("cost = 0", "game_xpspendingrequest_cost_positive"),
        ("cost = -2", "game_xpspendingrequest_cost_positive"),
        (
            "status = 'Maybe', decided_at = now(), "
            "decided_by_id = (SELECT owner_id FROM characters_character LIMIT 1)",
            "game_xpspendingrequest_status_valid",
        ),
        ("status = 'Approved'", "game_xpspendingrequest_decided_fields_decided"),
        ("decided_at = now()", "game_xpspendingrequest_decided_fields_decided"),
    ],
)
def test_an_inconsistent_request_is_refused(pending, assignment, constraint):
    name = refused(
        f"UPDATE game_xpspendingrequest SET {assignment} WHERE id = %s",
        [pending.pk],
    )

    assert name == constraint
    pending.refresh_from_db()
    assert (pending.status, pending.cost, pending.decided_at) == ("Pending", 2, None)


def test_a_decided_request_records_when_and_by_whom(pending, storyteller):
    sql(
        "UPDATE game_xpspendingrequest SET status = 'Denied', decided_at = now(), "
        "decided_by_id = %s WHERE id = %s",
        [storyteller.pk, pending.pk],
    )

    assert XPSpendingRequest.objects.get(pk=pending.pk).status == "Denied"


# --- XP ledger --------------------------------------------------------------------------


def insert_entry(character_id, amount, kind, scene_id=None, request_id=None):
    return (
        "INSERT INTO game_xpledgerentry (character_id, amount, kind, scene_id, "
        "spend_request_id, created_at, note) VALUES (%s, %s, %s, %s, %s, now(), '')",
        [character_id, amount, kind, scene_id, request_id],
    )


@pytest.mark.parametrize(
    ("amount", "kind", "with_scene", "with_request", "constraint"),
    [
        (0, "adjustment", False, False, "game_xpledgerentry_amount_nonzero"),
        # An unknown kind breaks kind_valid and has no shape either: PostgreSQL checks
        # constraints in name order and reports kind_shape.
        (3, "gift", False, False, "game_xpledgerentry_kind_shape"),
        (-3, "award", True, False, "game_xpledgerentry_kind_shape"),
        (3, "award", False, False, "game_xpledgerentry_kind_shape"),
        (2, "spend", False, True, "game_xpledgerentry_kind_shape"),
        (-2, "spend", False, False, "game_xpledgerentry_kind_shape"),
        (-2, "refund", False, True, "game_xpledgerentry_kind_shape"),
    ],
)
def test_a_malformed_ledger_entry_is_refused(
    pending, scene, amount, kind, with_scene, with_request, constraint
):
    before = XPLedgerEntry.objects.count()

    name = refused(
        *insert_entry(
            pending.character_id,
            amount,
            kind,
            scene.pk if with_scene else None,
            pending.pk if with_request else None,
        )
    )

    assert name == constraint
    assert XPLedgerEntry.objects.count() == before


def test_a_second_award_for_the_same_scene_is_refused(make_human, scene):
    ada = make_human()
    sql(*insert_entry(ada.pk, 2, "award", scene_id=scene.pk))

    name = refused(*insert_entry(ada.pk, 1, "award", scene_id=scene.pk))

    assert name == "game_xpledgerentry_award_once_per_scene"


def test_a_second_spend_or_refund_for_one_request_is_refused(pending):
    assert refused(*insert_entry(pending.character_id, -2, "spend", request_id=pending.pk)) == (
        "game_xpledgerentry_spend_once_per_request"
    )
    sql(*insert_entry(pending.character_id, 2, "refund", request_id=pending.pk))
    assert refused(*insert_entry(pending.character_id, 2, "refund", request_id=pending.pk)) == (
        "game_xpledgerentry_refund_once_per_request"
    )
