"""Rehearsal: the partial rollback, as docs/deployment/README.md tells an operator.

The characters' validation constraints are removed by the migration of
``core.constraints_rollback`` (generated from the trait list), the XP operations keep
their transactions and locks — concurrent spends and approvals still conserve XP — and
the constraints come back after ``validate_data_integrity --fix``. Every command runs as
a real process with the production environment of the env template.
"""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from characters.models import Character, Human
from characters.models.human import human_constraints
from game.models import XPSpendingRequest
from game.operations import xp
from game.operations.costs import trait_cost
from game.tests.threads import codes, run_together
from tests.serving import manage_on
from tests.support import corrupt, ledger_sum

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.process]

# The documented commands (README, "Partial rollback").
ROLLBACK = {"TG_CONSTRAINTS_ROLLBACK": "1"}
REMOVE = ("migrate", "constraints_rollback")
ADD_BACK = ("migrate", "constraints_rollback", "zero")

CHARACTER_RULES = {c.name for c in Character._meta.constraints} | {
    c.name for c in human_constraints()
}
GAME_RULES = {  # backing the XP operations up: they stay
    "game_xpledgerentry_spend_once_per_request",
    "game_xpledgerentry_award_once_per_scene",
    "game_xpspendingrequest_one_pending_per_trait",
}
ABILITIES = ("alertness", "athletics", "brawl", "empathy")


def constraints_in_database() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid IN "
            "('characters_character'::regclass, 'characters_human'::regclass, "
            "'game_xpledgerentry'::regclass, "
            "'game_xpspendingrequest'::regclass) UNION SELECT indexname FROM pg_indexes "
            "WHERE tablename IN ('game_xpledgerentry', 'game_xpspendingrequest')"
        )
        return {name for (name,) in cursor.fetchall()}


@pytest.fixture
def rolled_back():
    ran = manage_on(None, *REMOVE, **ROLLBACK)
    assert ran.returncode == 0, ran.stderr
    yield
    if not constraints_in_database() >= CHARACTER_RULES:  # the test stopped half-way
        call_command("flush", verbosity=0, interactive=False)
        assert manage_on(None, *ADD_BACK, **ROLLBACK).returncode == 0


def test_constraints_go_transactions_stay_and_the_constraints_come_back_after_fix(
    rolled_back, make_human, storyteller
):
    present = constraints_in_database()
    assert not CHARACTER_RULES & present
    assert present >= GAME_RULES
    assert len(CHARACTER_RULES) == 35  # 28 traits, willpower twice, 2 ages, lte, xp, status

    # Without xp_nonnegative, the row lock alone keeps XP from going below 0: four spends
    # at once on a character who can pay for one.
    ada = make_human("Ada", xp=trait_cost("brawl", 0))
    outcomes = run_together(
        *(
            lambda trait=trait: xp.spend_xp(
                character=Human.objects.get(pk=ada.pk), trait_name=trait
            )
            for trait in ABILITIES
        )
    )
    assert codes(outcomes) == ["insufficient_xp"] * 3 + ["ok"]
    ada.refresh_from_db()
    assert ada.xp == 0 == ledger_sum(ada)

    # The storyteller's approval sent twice at once (a double click): decided once.
    [request] = XPSpendingRequest.objects.filter(character=ada)
    outcomes = run_together(
        *(
            lambda who=who: xp.approve_xp_spend(
                character=Human.objects.get(pk=ada.pk),
                request_id=request.pk,
                trait_property_name=request.trait_name,
                new_value=1,
                approver=who,
            )
            for who in (storyteller, storyteller)
        )
    )
    assert codes(outcomes) == ["already_processed", "ok"]

    # A value the constraint refused is now accepted by the database...
    corrupt(Human, ada.pk, strength=0)
    assert Human.objects.get(pk=ada.pk).strength == 0

    # ...so adding the constraints back fails, whole, naming the rule.
    refused = manage_on(None, *ADD_BACK, **ROLLBACK)
    assert refused.returncode == 1
    assert (
        'check constraint "characters_human_strength_range" of relation "characters_human" '
        "is violated by some row" in refused.stderr
    )
    assert not CHARACTER_RULES & constraints_in_database()

    fixed = manage_on(None, "validate_data_integrity", "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    added = manage_on(None, *ADD_BACK, **ROLLBACK)
    assert added.returncode == 0, added.stderr
    assert constraints_in_database() >= CHARACTER_RULES
    refused_by_database = pytest.raises(IntegrityError, match="characters_human_strength_range")
    with refused_by_database, transaction.atomic():
        corrupt(Human, ada.pk, strength=0)
    ada.refresh_from_db()
    assert (ada.strength, getattr(ada, request.trait_name)) == (1, 1)
    assert ada.xp == ledger_sum(ada) == 0
