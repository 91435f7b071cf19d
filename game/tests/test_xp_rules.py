"""The XP rules a storyteller relies on: one pending request per trait, tg's prices, who
may decide, status changes that refund, awards only to characters in play, and bad
arguments refused with a code (never an error, never a change)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, ProtectedError
from django.test import override_settings

from characters.models import Character, Human
from core.models import OperationRecord
from game import permissions
from game.models import (
    Chronicle,
    Gameline,
    LedgerKind,
    Scene,
    SpendStatus,
    STRelationship,
    XPLedgerEntry,
    XPSpendingRequest,
)
from game.operations.xp import LEFT_PLAY_REASON
from tests.support import ledger_sum, refused

pytestmark = pytest.mark.django_db


def fresh(character):
    return Human.objects.get(pk=character.pk)


# --- One pending request per trait ------------------------------------------------------


def test_a_second_request_for_a_pending_trait_is_refused_naming_the_open_one(make_human):
    ada = make_human(xp=20, brawl=1)
    first = ada.spend_xp("brawl")

    error = refused(lambda: ada.spend_xp("brawl"), "already_pending")

    assert error.messages[0].startswith(
        f"Brawl already has a pending request (#{first.pk}, 1 → 2 for 2 XP, since "
    )
    assert error.messages[0].endswith("wait for the storyteller's decision or withdraw it first.")
    assert fresh(ada).xp == 18 == ledger_sum(ada)
    assert XPSpendingRequest.objects.count() == 1


@pytest.mark.postgres
def test_the_database_refuses_a_second_pending_request_for_one_trait(make_human):
    ada = make_human(xp=20)
    request = ada.spend_xp("brawl")
    with (
        pytest.raises(IntegrityError) as error,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO game_xpspendingrequest (character_id, trait_name, trait_display, "
            "category, current_value, new_value, cost, status, created_at, note) "
            "SELECT character_id, trait_name, trait_display, category, current_value, "
            "new_value, cost, status, now(), note FROM game_xpspendingrequest WHERE id = %s",
            [request.pk],
        )
    assert error.value.__cause__.diag.constraint_name == (
        "game_xpspendingrequest_one_pending_per_trait"
    )


def test_after_a_decision_the_trait_can_be_requested_again(make_human, storyteller):
    ada = make_human(xp=20)
    first = ada.spend_xp("brawl")
    ada.deny_xp_spend(first.pk, storyteller, reason="Not yet")
    second = ada.spend_xp("brawl")
    assert (second.current_value, second.new_value, second.status) == (0, 1, "Pending")


# --- Prices ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trait", "rating", "price"),
    [("strength", 3, 12), ("brawl", 0, 3), ("brawl", 4, 8), ("willpower", 5, 5)],
)
def test_tg_computes_the_price(make_human, trait, rating, price):
    ada = make_human(xp=30, **{trait: rating}, temporary_willpower=1)
    request = ada.spend_xp(trait)
    assert (request.cost, request.current_value, request.new_value) == (price, rating, rating + 1)
    assert request.trait_display == trait.capitalize()
    assert fresh(ada).xp == 30 - price


def test_a_price_the_rule_does_not_give_is_refused_without_a_storyteller(make_human):
    ada = make_human(xp=30, strength=2)
    error = refused(lambda: ada.spend_xp("strength", "Strength", 1, "attribute"), "invalid_cost")
    assert error.messages == [
        "Raising Strength from 2 costs 8 XP, not 1; a different price needs a storyteller of "
        "the chronicle to agree it."
    ]
    assert fresh(ada).xp == 30
    assert not XPSpendingRequest.objects.exists()


def test_a_storyteller_may_agree_another_price_and_it_is_recorded(make_human, storyteller):
    ada = make_human(xp=30, strength=2)
    request = ada.spend_xp("strength", cost=5, price_set_by=storyteller)
    assert (request.cost, request.price_set_by) == (5, storyteller)
    assert fresh(ada).xp == 25 == ledger_sum(ada)


def test_a_player_cannot_agree_their_own_price(make_human, player):
    ada = make_human(xp=30, strength=2)
    with pytest.raises(PermissionDenied):
        ada.spend_xp("strength", cost=1, price_set_by=player)
    assert fresh(ada).xp == 30


# --- Who may decide ---------------------------------------------------------------------


@pytest.fixture
def own_character(make_human, storyteller):
    """A character the head storyteller plays themself."""
    return make_human("Stella", owner=storyteller, xp=20)


def test_a_storyteller_cannot_decide_their_own_request(own_character, storyteller):
    request = own_character.spend_xp("brawl")
    with pytest.raises(PermissionDenied, match="for your own character"):
        own_character.approve_xp_spend(request.pk, "brawl", 1, storyteller)
    with pytest.raises(PermissionDenied, match="for your own character"):
        own_character.add_xp(5, by=storyteller, note="Mine")
    request.refresh_from_db()
    assert request.status == SpendStatus.PENDING
    assert fresh(own_character).xp == 17


def test_another_storyteller_of_the_chronicle_decides_it(own_character, make_user, chronicle):
    assistant = make_user("ash_assistant")
    STRelationship.objects.create(
        user=assistant, chronicle=chronicle, gameline=Gameline.objects.get(short_name="vtm")
    )
    request = own_character.spend_xp("brawl")
    decided = own_character.approve_xp_spend(request.pk, "brawl", 1, assistant)
    assert (decided.status, decided.self_decided) == ("Approved", False)


@override_settings(TG_ALLOW_SELF_DECISIONS=True)
def test_when_allowed_a_self_decision_is_recorded_as_such(own_character, storyteller):
    request = own_character.spend_xp("brawl")
    decided = own_character.approve_xp_spend(request.pk, "brawl", 1, storyteller)
    assert (decided.status, decided.self_decided) == ("Approved", True)
    own_character.add_xp(2, by=storyteller, note="Mine")
    entry = XPLedgerEntry.objects.filter(kind="adjustment").latest("pk")
    assert (entry.amount, entry.self_decided) == (2, True)


def test_staff_status_alone_decides_nothing(make_human, make_user):
    ada = make_human(xp=20)
    request = ada.spend_xp("brawl")
    staff = make_user("sam_staff", is_staff=True)
    for call in (
        lambda: ada.approve_xp_spend(request.pk, "brawl", 1, staff),
        lambda: ada.deny_xp_spend(request.pk, staff),
        lambda: ada.add_xp(3, by=staff, note="x"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert fresh(ada).xp == 17


def test_an_anonymous_approver_is_refused_and_recorded_as_rejected(make_human):
    ada = make_human(xp=20)
    request = ada.spend_xp("brawl")
    with pytest.raises(PermissionDenied, match="Sign in as a storyteller"):
        ada.approve_xp_spend(request.pk, "brawl", 1, AnonymousUser())
    with pytest.raises(PermissionDenied):
        ada.deny_xp_spend(request.pk, None)
    assert (
        list(OperationRecord.objects.exclude(operation="xp_spend").values_list("outcome", "code"))
        == [("rejected", "permission_denied")] * 2
    )


def test_the_chronicle_queryset_is_the_one_storyteller_rule(chronicle, make_user, storyteller):
    assistant, outsider = make_user("ash"), make_user("olga")
    root = make_user("root", is_superuser=True, is_staff=True)
    other = Chronicle.objects.create(name="Elsewhere", head_st=outsider)
    STRelationship.objects.create(
        user=assistant, chronicle=chronicle, gameline=Gameline.objects.get(short_name="wta")
    )
    assert list(permissions.storytold_by(storyteller)) == [chronicle]
    assert list(permissions.storytold_by(assistant)) == [chronicle]
    assert list(permissions.storytold_by(outsider)) == [other]
    assert set(permissions.storytold_by(root)) == {chronicle, other}
    assert list(permissions.storytold_by(AnonymousUser())) == []
    assert not hasattr(Chronicle, "is_storyteller")


# --- Status changes and XP --------------------------------------------------------------


@pytest.mark.parametrize("status", ["Ret", "Dec"])
def test_leaving_play_denies_and_refunds_pending_requests_at_once(make_human, storyteller, status):
    ada = make_human(xp=20)
    requests = [ada.spend_xp("brawl"), ada.spend_xp("strength")]
    ada = fresh(ada)
    ada.status = status
    ada.save(changed_by=storyteller)

    ada = fresh(ada)
    assert ada.xp == 20 == ledger_sum(ada)
    for request in requests:
        request.refresh_from_db()
        assert (request.status, request.decided_by, request.note) == (
            "Denied",
            storyteller,
            LEFT_PLAY_REASON[status],
        )
    from oversight.integrity import run_checks

    assert run_checks(["pending_spends_inactive"])[0].count == 0


def test_a_bulk_retirement_refunds_too_decided_by_the_system(make_human):
    ada, bea = make_human("Ada", xp=10), make_human("Bea", xp=10)
    ada.spend_xp("brawl")
    bea.spend_xp("brawl")
    Character.objects.filter(pk__in=[ada.pk, bea.pk]).update(status="Ret")
    assert [fresh(c).xp for c in (ada, bea)] == [10, 10]
    assert set(XPSpendingRequest.objects.values_list("status", "decided_by__username")) == {
        ("Denied", "tg-system")
    }


def test_a_retired_characters_request_cannot_be_approved(make_human, storyteller):
    ada = make_human(xp=20)
    request = ada.spend_xp("brawl")
    # A retirement written around tg left the request pending.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE characters_character SET status = 'Ret' WHERE id = %s", [ada.pk])
    error = refused(
        lambda: ada.approve_xp_spend(request.pk, "brawl", 1, storyteller), "character_not_active"
    )
    assert error.messages == [
        "Ada is Retired: only an approved character's requests can be approved (deny it to "
        "refund its cost)."
    ]
    assert fresh(ada).brawl == 0


# --- Scene participants and awards ------------------------------------------------------


@pytest.fixture
def scene(chronicle):
    return Scene.objects.create(chronicle=chronicle, name="Rooftops", finished=True)


def test_a_character_of_another_chronicle_cannot_join_a_scene(scene, make_human, make_user):
    other = Chronicle.objects.create(name="Elsewhere", head_st=make_user("olga"))
    stranger = make_human("Stranger", chronicle=other)
    with pytest.raises(ValidationError) as error, transaction.atomic():
        scene.participants.add(stranger)
    assert error.value.message_dict == {
        "participants": [
            "Only characters of Chicago by Night can take part in “Rooftops”: Stranger "
            "belong to another chronicle."
        ]
    }
    with pytest.raises(ValidationError), transaction.atomic():
        stranger.scenes.add(scene)
    assert not scene.participants.exists()


def test_scene_xp_goes_only_to_approved_characters(scene, make_human, storyteller):
    ada, retired = make_human("Ada", xp=0), make_human("Rex", xp=0)
    scene.participants.set([ada, retired])
    retired.status = "Ret"
    retired.save()

    error = refused(
        lambda: scene.award_xp({ada: 2, retired: 1}, awarded_by=storyteller),
        "character_not_active",
    )
    assert error.messages == [
        "Only approved characters receive scene XP: Rex (give them 0 to leave them out)."
    ]
    assert fresh(ada).xp == 0

    assert scene.award_xp({ada: 2, retired: 0}, awarded_by=storyteller) == 1
    assert (fresh(ada).xp, fresh(retired).xp) == (2, 0)
    scene.refresh_from_db()
    assert scene.xp_awarded_by == storyteller


def test_a_second_award_names_who_awarded_and_when(scene, make_human, storyteller):
    ada = make_human("Ada", xp=0)
    scene.participants.set([ada])
    scene.award_xp({ada: 2}, awarded_by=storyteller)
    error = refused(
        lambda: Scene.objects.get(pk=scene.pk).award_xp({ada: 1}, awarded_by=storyteller),
        "xp_already_given",
    )
    assert error.messages[0].startswith("XP for “Rooftops” was already awarded by sophia_st on ")


def test_finishing_a_scene_stamps_finished_at_and_reopening_clears_it(chronicle):
    scene = Scene.objects.create(chronicle=chronicle, name="Docks")
    assert scene.finished_at is None
    scene.finished = True
    scene.save()
    assert Scene.objects.get(pk=scene.pk).finished_at is not None
    scene.finished = False
    scene.save(update_fields=["finished"])
    assert Scene.objects.get(pk=scene.pk).finished_at is None


# --- XP only through the operations -----------------------------------------------------


def test_saving_a_changed_xp_is_refused_naming_the_operations(make_human):
    ada = make_human(xp=5)
    ada.xp = 10
    with pytest.raises(ValidationError) as error:
        ada.save()
    assert error.value.code == "xp_readonly"
    assert "spend_xp, approve_xp_spend, deny_xp_spend, add_xp" in error.value.messages[0]
    assert Character.objects.get(pk=ada.pk).xp == 5


@pytest.mark.parametrize("model", [Character, Human], ids=["Character", "Human"])
def test_a_queryset_update_of_xp_is_refused_even_without_ledger_history(make_human, model):
    """A character with no ledger entry yet: ``update(xp=…)`` was accepted, and
    ``validate_data_integrity --fix`` then booked the made-up XP as an opening balance."""
    from oversight.integrity import run_checks

    ada = make_human()  # 0 XP, no ledger entry
    with pytest.raises(ValidationError) as error:
        model.objects.filter(pk=ada.pk).update(xp=500)
    assert error.value.code == "xp_readonly"
    with pytest.raises(ValidationError):
        model.objects.filter(pk=ada.pk).update(xp=F("xp") + 1, name="Ada")
    assert Character.objects.values_list("xp", "name").get(pk=ada.pk) == (0, "Ada")
    assert ledger_sum(ada) == 0
    assert [r.count for r in run_checks(["xp_ledger"])] == [0]


def test_an_instance_kept_through_an_operation_still_saves(make_human, storyteller):
    ada = make_human(xp=5)
    ada.add_xp(3, by=storyteller, note="Bonus")
    ada.concept = "Archivist"
    ada.save()
    assert (fresh(ada).xp, fresh(ada).concept) == (8, "Archivist")


def test_bulk_created_characters_get_their_starting_ledger_entry(player):
    created = Character.objects.bulk_create(
        [Character(name="A", owner=player, xp=4), Character(name="B", owner=player, xp=0)]
    )
    assert [ledger_sum(c) for c in created] == [4, 0]
    assert XPLedgerEntry.objects.get().note == "Starting XP"


def test_a_character_with_xp_history_cannot_be_deleted(make_human):
    ada = make_human(xp=3)
    with pytest.raises(ProtectedError):
        Human.objects.filter(pk=ada.pk).delete()
    assert Character.objects.filter(pk=ada.pk).exists()


def test_an_adjustment_without_a_storyteller_must_say_why(make_human):
    ada = make_human(xp=5)
    error = refused(lambda: ada.add_xp(3), "invalid_text")
    assert error.messages == ["A note is required."]
    assert ada.add_xp(3, note="Import from the old sheet") == 8


def test_approving_a_trait_xp_cannot_raise_is_unknown_trait(make_human, storyteller):
    ada = make_human(xp=10)
    request = ada.spend_xp("brawl")
    error = refused(
        lambda: ada.approve_xp_spend(request.pk, "flying", 1, storyteller), "unknown_trait"
    )
    assert error.messages == ["'flying' is not a trait XP can raise."]


# --- Bad arguments are refusals ---------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda c, st: c.approve_xp_spend("abc", "brawl", 1, st), "invalid_request"),
        (lambda c, st: c.deny_xp_spend(None, st), "invalid_request"),
        (lambda c, st: c.deny_xp_spend(1, st, reason=None), "invalid_text"),
        (lambda c, st: c.deny_xp_spend(1, st, reason="x" * 501), "invalid_text"),
        (lambda c, st: c.add_xp(2**31, by=st, note="x"), "invalid_amount"),
        (lambda c, st: c.add_xp(3, by=st, note=None), "invalid_text"),
        (lambda c, st: c.spend_xp("brawl", "B" * 101), "invalid_text"),
        (lambda c, st: c.spend_xp(None), "unknown_trait"),
        (lambda c, st: c.spend_xp("brawl", new_value="2"), "invalid_value"),
        (lambda c, st: c.withdraw_xp_spend("7", st), "invalid_request"),
    ],
)
def test_bad_arguments_are_refused_with_a_code_and_recorded_as_rejected(
    make_human, storyteller, call, code
):
    ada = make_human(xp=10)
    refused(lambda: call(ada, storyteller), code)
    assert fresh(ada).xp == 10 == ledger_sum(ada)
    assert list(OperationRecord.objects.values_list("outcome", "code")) == [("rejected", code)]


def test_an_award_mixing_characters_and_strings_is_refused(scene, make_human, storyteller):
    ada = make_human("Ada", xp=0)
    scene.participants.set([ada])
    refused(lambda: scene.award_xp({ada: 1, "bob": 1}, awarded_by=storyteller), "invalid_character")
    refused(lambda: scene.award_xp([ada]), "invalid_amount")
    assert fresh(ada).xp == 0
    assert set(OperationRecord.objects.values_list("outcome", flat=True)) == {"rejected"}


# --- Withdraw ---------------------------------------------------------------------------


def test_the_owner_withdraws_a_pending_request_and_gets_the_xp_back(make_human, player):
    ada = make_human(xp=10)
    request = ada.spend_xp("brawl")
    withdrawn = ada.withdraw_xp_spend(request.pk, player)
    assert (withdrawn.status, withdrawn.decided_by) == (SpendStatus.WITHDRAWN, player)
    assert fresh(ada).xp == 10 == ledger_sum(ada)
    refund = XPLedgerEntry.objects.get(spend_request=request, kind=LedgerKind.REFUND)
    assert (refund.amount, refund.note) == (3, "Withdrawn")
    error = refused(lambda: ada.withdraw_xp_spend(request.pk, player), "already_processed")
    assert error.messages[0].startswith("This XP request was already withdrawn by pat_player on ")


def test_only_the_owner_may_withdraw(make_human, storyteller):
    ada = make_human(xp=10)
    request = ada.spend_xp("brawl")
    with pytest.raises(PermissionDenied, match="Only the character's player"):
        ada.withdraw_xp_spend(request.pk, storyteller)
    request.refresh_from_db()
    assert request.status == "Pending"


# --- The outcome record never changes the caller's transaction ---------------------------


@pytest.mark.postgres
def test_a_spend_inside_a_callers_transaction_keeps_its_durability(make_human):
    ada = make_human(xp=10)

    def synchronous_commit():
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = on")
        ada.spend_xp("brawl")
        assert synchronous_commit() == "on"
    assert fresh(ada).xp == 7


# --- Reversing an approval --------------------------------------------------------------


def test_the_head_storyteller_reverses_an_approval_with_a_linked_refund(make_human, storyteller):
    ada = make_human(xp=10, brawl=1)
    request = ada.spend_xp("brawl")
    ada.approve_xp_spend(request.pk, "brawl", 2, storyteller)

    reversed_ = ada.reverse_approval(request.pk, storyteller, "Approved the wrong sheet")

    assert (reversed_.status, reversed_.decided_by) == (SpendStatus.REVERSED, storyteller)
    ada = fresh(ada)
    assert (ada.brawl, ada.xp) == (1, 10) and ledger_sum(ada) == 10
    refund = XPLedgerEntry.objects.get(spend_request=request, kind=LedgerKind.REFUND)
    assert (refund.amount, refund.created_by, refund.note) == (
        2,
        storyteller,
        "Approved the wrong sheet",
    )
    from oversight.integrity import run_checks

    assert run_checks(["lost_dots"])[0].count == 0


def test_an_assistant_cannot_reverse_and_a_reason_is_required(
    make_human, storyteller, make_user, chronicle
):
    assistant = make_user("ash")
    STRelationship.objects.create(
        user=assistant, chronicle=chronicle, gameline=Gameline.objects.get(short_name="vtm")
    )
    ada = make_human(xp=10, brawl=1)
    request = ada.spend_xp("brawl")
    ada.approve_xp_spend(request.pk, "brawl", 2, storyteller)
    with pytest.raises(PermissionDenied, match="Only the head storyteller"):
        ada.reverse_approval(request.pk, assistant, "Oops")
    refused(lambda: ada.reverse_approval(request.pk, storyteller, " "), "invalid_text")
    assert fresh(ada).brawl == 2


def test_an_approval_with_a_dot_on_top_cannot_be_reversed(make_human, storyteller):
    ada = make_human(xp=20, brawl=1)
    first = ada.spend_xp("brawl")
    ada.approve_xp_spend(first.pk, "brawl", 2, storyteller)
    second = ada.spend_xp("brawl")
    ada.approve_xp_spend(second.pk, "brawl", 3, storyteller)
    error = refused(lambda: ada.reverse_approval(first.pk, storyteller, "x"), "stale_request")
    assert error.messages[0].startswith("Brawl is 3 now, not 2")
    assert fresh(ada).brawl == 3
