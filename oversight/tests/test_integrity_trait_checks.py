"""Trait, status, XP-sign and storyteller checks find the rows the constraints forbid and
fix them (PostgreSQL: the constraints are dropped for each test inside its transaction)."""

import pytest
from django.utils import timezone

from characters.models import Character, Human
from core.models import IntegrityFix
from game.models import Gameline, LedgerKind, Scene, STRelationship, XPLedgerEntry
from oversight.integrity import apply_fixes, run_checks
from tests.support import corrupt, counts, drop_validation_constraints

pytestmark = pytest.mark.postgres


@pytest.fixture
def unconstrained(db):
    drop_validation_constraints()


def audit(run_id) -> set[tuple]:
    return set(
        IntegrityFix.objects.filter(run_id=run_id).values_list(
            "check_name", "model", "object_id", "field", "old_value", "new_value"
        )
    )


def line(short_name: str) -> Gameline:
    """A game line (loaded by a data migration that a transactional test may have flushed)."""
    return Gameline.objects.get_or_create(short_name=short_name, defaults={"name": short_name})[0]


def traits(character, *names) -> dict:
    return Human.objects.filter(pk=character.pk).values(*names).get()


def test_attributes_outside_one_to_ten_are_listed_and_clamped(unconstrained, make_human):
    ada, bob, _ok = make_human("Ada"), make_human("Bob"), make_human("Cy")
    corrupt(Human, ada.pk, strength=0, wits=12)
    corrupt(Human, bob.pk, charisma=-3)

    [result] = run_checks(["attribute_range"], examples=10)
    assert result.count == 2
    assert result.examples == [
        {"model": "characters.Human", "id": ada.pk, "name": "Ada", "field": "strength",
         "value": 0, "fix": 1},
        {"model": "characters.Human", "id": ada.pk, "name": "Ada", "field": "wits",
         "value": 12, "fix": 10},
        {"model": "characters.Human", "id": bob.pk, "name": "Bob", "field": "charisma",
         "value": -3, "fix": 1},
    ]  # fmt: skip

    report = apply_fixes(["attribute_range"])
    assert traits(ada, "strength", "wits") == {"strength": 1, "wits": 10}
    assert traits(bob, "charisma") == {"charisma": 1}
    assert audit(report.run_id) == {
        ("attribute_range", "characters.Human", ada.pk, "strength", "0", "1"),
        ("attribute_range", "characters.Human", ada.pk, "wits", "12", "10"),
        ("attribute_range", "characters.Human", bob.pk, "charisma", "-3", "1"),
    }
    assert counts("attribute_range") == {"attribute_range": 0}


def test_abilities_outside_zero_to_ten_are_clamped_and_zero_is_valid(unconstrained, make_human):
    ada = make_human("Ada", brawl=0)
    corrupt(Human, ada.pk, athletics=-1, science=11)

    assert counts("ability_range") == {"ability_range": 1}
    report = apply_fixes(["ability_range"])

    assert traits(ada, "athletics", "science", "brawl") == {
        "athletics": 0,
        "science": 10,
        "brawl": 0,
    }
    assert [(o.name, o.rows, o.changes) for o in report.fixes] == [("ability_range", 1, 2)]


def test_willpower_is_clamped_then_temporary_lowered_to_permanent(unconstrained, make_human):
    low, high, above = make_human("Low"), make_human("High"), make_human("Above")
    corrupt(Human, low.pk, willpower=0, temporary_willpower=-2)
    corrupt(Human, high.pk, willpower=14, temporary_willpower=12)
    corrupt(Human, above.pk, willpower=3, temporary_willpower=5)

    assert counts("willpower") == {"willpower": 3}
    report = apply_fixes(["willpower"])

    assert traits(low, "willpower", "temporary_willpower") == {
        "willpower": 1,
        "temporary_willpower": 0,
    }
    assert traits(high, "willpower", "temporary_willpower") == {
        "willpower": 10,
        "temporary_willpower": 10,
    }
    assert traits(above, "willpower", "temporary_willpower") == {
        "willpower": 3,
        "temporary_willpower": 3,
    }
    assert ("willpower", "characters.Human", above.pk, "temporary_willpower", "5", "3") in audit(
        report.run_id
    )


def test_negative_ages_are_emptied_and_too_high_ages_lowered(unconstrained, make_human):
    ada, bob = make_human("Ada", age=30), make_human("Bob")
    corrupt(Human, ada.pk, age=-4, apparent_age=250)
    corrupt(Human, bob.pk, age=900)

    assert counts("age") == {"age": 2}
    report = apply_fixes(["age"])

    assert traits(ada, "age", "apparent_age") == {"age": None, "apparent_age": 200}
    assert traits(bob, "age", "apparent_age") == {"age": 500, "apparent_age": None}
    assert audit(report.run_id) == {
        ("age", "characters.Human", ada.pk, "age", "-4", None),
        ("age", "characters.Human", ada.pk, "apparent_age", "250", "200"),
        ("age", "characters.Human", bob.pk, "age", "900", "500"),
    }


def test_an_unknown_status_becomes_unfinished_despite_the_state_machine(unconstrained, make_human):
    ada = make_human("Ada")
    corrupt(Character, ada.pk, status="Zz")

    [result] = run_checks(["invalid_status"], examples=5)
    assert result.count == 1
    assert result.examples[0]["value"] == "Zz"
    report = apply_fixes(["invalid_status"])

    assert Character.objects.get(pk=ada.pk).status == "Un"
    assert audit(report.run_id) == {
        ("invalid_status", "characters.Character", ada.pk, "status", "Zz", "Un")
    }


def test_negative_xp_becomes_zero_and_the_ledger_still_reconciles(unconstrained, make_human):
    ada = make_human("Ada", xp=2)
    # The balance went to -5 through a ledgered change the constraint would refuse today.
    XPLedgerEntry.objects.create(character=ada, amount=-7, kind=LedgerKind.ADJUSTMENT)
    corrupt(Character, ada.pk, xp=-5)
    assert counts("negative_xp", "xp_ledger") == {"negative_xp": 1, "xp_ledger": 0}

    report = apply_fixes(["negative_xp", "xp_ledger"])

    assert Character.objects.get(pk=ada.pk).xp == 0
    adjustment = XPLedgerEntry.objects.filter(character=ada).order_by("pk").last()
    assert (adjustment.amount, adjustment.kind) == (5, "adjustment")
    assert adjustment.created_by.username == "tg-integrity-repair"
    assert counts("negative_xp", "xp_ledger") == {"negative_xp": 0, "xp_ledger": 0}
    fix = IntegrityFix.objects.get(run_id=report.run_id)
    assert (fix.field, fix.old_value, fix.new_value) == ("xp", "-5", "0")
    assert f"ledger entry #{adjustment.pk} +5" in fix.note


def test_negative_xp_without_its_ledger_entry_ends_with_both_checks_at_zero(
    unconstrained, make_human
):
    ada = make_human("Ada")
    corrupt(Character, ada.pk, xp=-5)
    assert counts("negative_xp", "xp_ledger") == {"negative_xp": 1, "xp_ledger": 1}

    apply_fixes()
    second = apply_fixes()

    assert Character.objects.get(pk=ada.pk).xp == 0
    assert counts("negative_xp", "xp_ledger") == {"negative_xp": 0, "xp_ledger": 0}
    assert second.fixes == []


def test_duplicate_storyteller_relationships_keep_the_oldest(unconstrained, chronicle, make_user):
    alice = make_user("alice")
    vampire, werewolf = (line(short) for short in ("vtm", "wta"))
    oldest = STRelationship.objects.create(user=alice, chronicle=chronicle, gameline=vampire)
    copies = [
        STRelationship.objects.create(user=alice, chronicle=chronicle, gameline=vampire)
        for _ in range(2)
    ]
    other_line = STRelationship.objects.create(user=alice, chronicle=chronicle, gameline=werewolf)

    [result] = run_checks(["duplicate_st_relationships"], examples=5)
    assert result.count == 2
    assert [e["id"] for e in result.examples] == [c.pk for c in copies]
    report = apply_fixes(["duplicate_st_relationships"])

    assert set(STRelationship.objects.values_list("pk", flat=True)) == {oldest.pk, other_line.pk}
    deleted = IntegrityFix.objects.filter(run_id=report.run_id)
    assert {(f.object_id, f.new_value) for f in deleted} == {(c.pk, None) for c in copies}


def test_scenes_marked_given_while_unfinished_follow_their_award_entries(
    unconstrained, chronicle, make_human
):
    ada = make_human("Ada")
    awarded = Scene.objects.create(chronicle=chronicle, name="Awarded", finished=True)
    awarded.participants.add(ada)
    awarded.award_xp({ada: 3})
    corrupt(Scene, awarded.pk, finished=False, finished_at=None)
    flagged = Scene.objects.create(chronicle=chronicle, name="Flagged")
    corrupt(Scene, flagged.pk, xp_given=True, xp_awarded_at=timezone.now())

    assert counts("scene_xp") == {"scene_xp": 2}
    report = apply_fixes(["scene_xp"])

    awarded.refresh_from_db()
    flagged.refresh_from_db()
    # Awards were made: the scene was played to its end.
    assert (awarded.finished, awarded.finished_at) == (True, awarded.xp_awarded_at)
    # Nobody received XP: the flag goes, so the storyteller can still award it.
    assert (flagged.xp_given, flagged.xp_awarded_at, flagged.finished) == (False, None, False)
    assert {(f.object_id, f.field) for f in IntegrityFix.objects.filter(run_id=report.run_id)} == {
        (awarded.pk, "finished"),
        (awarded.pk, "finished_at"),
        (flagged.pk, "xp_given"),
        (flagged.pk, "xp_awarded_at"),
    }
    assert counts("scene_xp") == {"scene_xp": 0}
