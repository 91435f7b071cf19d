"""The XP ledger, stale requests and scene XP flags: violations the constraints allow, so
these run on SQLite and PostgreSQL alike."""

import pytest

from characters.models import Character
from core.models import IntegrityFix
from game.models import LedgerKind, Scene, XPLedgerEntry
from oversight.integrity import apply_fixes, run_checks, settle_balances
from tests.support import corrupt, counts, ledger_sum

pytestmark = pytest.mark.django_db


def test_a_balance_that_drifted_from_its_ledger_is_listed_and_left_to_a_person(make_human):
    ada, bob = make_human("Ada", xp=10), make_human("Bob", xp=3)
    corrupt(Character, ada.pk, xp=15)  # five XP appeared without a ledger entry

    [result] = run_checks(["xp_ledger"], examples=5)
    assert result.count == 1
    assert (result.info, result.repairable) == (
        {"drifted_from_ledger": 1, "without_ledger": 0},
        0,
    )
    assert result.examples == [
        {
            "model": "characters.Character",
            "id": ada.pk,
            "name": "Ada",
            "field": "xp",
            "value": 15,
            "ledger": 10,
            "fix": "an operator decides: --accept-balances or --restore-balances",
        }
    ]
    report = apply_fixes(["xp_ledger"])

    assert Character.objects.get(pk=ada.pk).xp == 15  # the balance is never changed silently
    assert (ledger_sum(ada), ledger_sum(bob)) == (10, 3)  # nor the ledger
    assert not IntegrityFix.objects.filter(run_id=report.run_id).exists()
    assert counts("xp_ledger") == {"xp_ledger": 1}
    assert apply_fixes(["xp_ledger"]).fixes == []


def test_an_accepted_balance_is_recorded_as_an_adjustment_entry(make_human):
    ada = make_human("Ada", xp=10)
    corrupt(Character, ada.pk, xp=15)

    settled = settle_balances([ada.pk], keep="balance", reason="agreed bonus")

    assert (settled.outcome.rows, settled.not_drifting) == (1, [])
    assert Character.objects.get(pk=ada.pk).xp == 15 == ledger_sum(ada)
    entry = XPLedgerEntry.objects.filter(character=ada, kind=LedgerKind.ADJUSTMENT).latest("pk")
    assert entry.amount == 5
    assert entry.note.startswith("Balance accepted by an operator: agreed bonus")
    fix = IntegrityFix.objects.get(run_id=settled.run_id)
    assert (fix.check_name, fix.model, fix.object_id, fix.field, fix.new_value) == (
        "xp_ledger",
        "game.XPLedgerEntry",
        entry.pk,
        "amount",
        "5",
    )
    assert counts("xp_ledger") == {"xp_ledger": 0}


def test_a_restored_balance_returns_to_its_ledger_and_bumps_the_version(make_human):
    ada = make_human("Ada", xp=10)
    corrupt(Character, ada.pk, xp=15)
    version = Character.objects.get(pk=ada.pk).version

    settle_balances([ada.pk], keep="ledger", reason="bulk update mistake")

    restored = Character.objects.get(pk=ada.pk)
    assert (restored.xp, restored.version) == (10, version + 1)
    assert ledger_sum(ada) == 10
    assert counts("xp_ledger") == {"xp_ledger": 0}


def test_a_character_without_any_ledger_entry_is_reconciled(make_human):
    ada = make_human("Ada")
    corrupt(Character, ada.pk, xp=4)

    apply_fixes(["xp_ledger"])

    assert ledger_sum(ada) == 4
    assert counts("xp_ledger") == {"xp_ledger": 0}


def test_pending_requests_of_retired_characters_are_denied_and_refunded(make_human):
    """A retirement written around tg (raw SQL, an old release) left requests pending."""
    ada = make_human("Ada", xp=20)
    first = ada.spend_xp("strength")
    second = ada.spend_xp("brawl")
    active = make_human("Bob", xp=9)
    untouched = active.spend_xp("wits")
    corrupt(Character, ada.pk, status="Ret")

    [result] = run_checks(["pending_spends_inactive"], examples=5)
    assert result.count == 2
    assert result.examples[0]["fix"] == "deny and refund 4 XP"
    report = apply_fixes(["pending_spends_inactive"])

    assert Character.objects.get(pk=ada.pk).xp == 20
    for request in (first, second):
        request.refresh_from_db()
        assert request.status == "Denied"
        assert request.decided_at is not None
        assert request.decided_by.username == "tg-integrity-repair"
        assert request.ledger_entries.filter(kind=LedgerKind.REFUND).get().amount == request.cost
    untouched.refresh_from_db()
    assert untouched.status == "Pending"
    assert counts("pending_spends_inactive", "xp_ledger") == {
        "pending_spends_inactive": 0,
        "xp_ledger": 0,
    }
    assert set(
        IntegrityFix.objects.filter(run_id=report.run_id).values_list(
            "model", "object_id", "field", "old_value", "new_value"
        )
    ) == {
        ("game.XPSpendingRequest", first.pk, "status", "Pending", "Denied"),
        ("game.XPSpendingRequest", second.pk, "status", "Pending", "Denied"),
        ("characters.Character", ada.pk, "xp", "13", "20"),
    }


@pytest.fixture
def scene(chronicle, make_human):
    played = Scene.objects.create(chronicle=chronicle, name="Elysium", finished=True)
    played.participants.add(make_human("Ada"), make_human("Bob"))
    return played


def test_award_entries_on_a_scene_not_marked_given_mark_it(scene):
    scene.award_xp(dict.fromkeys(scene.participants.all(), 2))
    corrupt(Scene, scene.pk, xp_given=False, xp_awarded_at=None)

    [result] = run_checks(["scene_xp"], examples=5)
    assert result.count == 1
    assert {(e["model"], e["id"], e["name"], e["field"], e["value"]) for e in result.examples} == {
        ("game.Scene", scene.pk, "Elysium", "xp_given", False),
        ("game.Scene", scene.pk, "Elysium", "xp_awarded_at", None),
    }
    apply_fixes(["scene_xp"])

    scene.refresh_from_db()
    first_award = XPLedgerEntry.objects.filter(scene=scene).earliest("created_at").created_at
    assert (scene.xp_given, scene.xp_awarded_at) == (True, first_award)
    assert counts("scene_xp") == {"scene_xp": 0}


def test_scenes_awaiting_xp_are_information_not_issues(scene, chronicle):
    Scene.objects.create(chronicle=chronicle, name="Unplayed")
    scene.award_xp({})  # everyone got 0: marked given, no award entry

    [result] = run_checks(["scene_xp"])

    assert result.count == 0
    assert result.info == {"scenes_awaiting_xp": 0, "scenes_given_without_awards": 1}
    corrupt(Scene, scene.pk, xp_given=False, xp_awarded_at=None)
    [result] = run_checks(["scene_xp"])
    assert (result.count, result.info["scenes_awaiting_xp"]) == (0, 1)


def test_a_clean_database_needs_no_fix(make_human):
    make_human("Ada", xp=5)
    report = apply_fixes()
    assert report.fixes == []
    assert all(r.count == 0 for r in report.after)
    assert not IntegrityFix.objects.exists()


def test_an_empty_database_passes_every_check(db):
    assert {r.name: r.count for r in run_checks()} == dict.fromkeys(counts(), 0)
    assert apply_fixes().fixes == []


def test_the_repair_refund_and_a_storytellers_denial_write_the_same_records(
    make_human, storyteller
):
    """--fix's set-based refund and deny_xp_spend must agree entry for entry."""
    denied_by_hand = make_human("Ada", xp=20)
    by_hand = denied_by_hand.spend_xp("brawl")
    denied_by_hand.deny_xp_spend(by_hand.pk, storyteller, reason="r")
    repaired = make_human("Bob", xp=20)
    by_repair = repaired.spend_xp("brawl")
    corrupt(Character, repaired.pk, status="Ret")
    apply_fixes(["pending_spends_inactive"])

    def shape(request):
        request.refresh_from_db()
        refund = request.ledger_entries.get(kind=LedgerKind.REFUND)
        character = Character.objects.get(pk=request.character_id)
        return (
            request.status,
            request.decided_at is not None,
            request.decided_by_id is not None,
            refund.amount == request.cost,
            refund.character_id == request.character_id,
            character.xp,
            ledger_sum(character),
        )

    assert shape(by_hand) == shape(by_repair) == ("Denied", True, True, True, True, 20, 20)
