"""Races that once lost a dot or broke a rule, made deterministic with a second connection
that holds the lock, and a long random mix audited against every invariant.

PostgreSQL only: SQLite ignores ``SELECT … FOR UPDATE``.
"""

import random
import threading
from collections import Counter
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Count, Q, Sum
from django.utils import timezone

from characters.models import Character, Human
from core.models import OperationRecord
from game.models import LedgerKind, Scene, SpendStatus, XPLedgerEntry, XPSpendingRequest
from game.operations.xp import LEFT_PLAY_REASON
from game.tests.threads import in_thread, run_together, second_connection, wait_until_blocked
from oversight.integrity import run_checks
from tests.support import ledger_sum

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def fresh(character):
    return Human.objects.get(pk=character.pk)


def hold_and_raise(raw, character, trait, value):
    """In the second connection: lock the character row and change a trait, uncommitted."""
    with raw.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM characters_character WHERE id = %s FOR UPDATE", [character.pk]
        )
        cursor.execute(
            f"UPDATE characters_human SET {trait} = %s WHERE character_ptr_id = %s",
            [value, character.pk],
        )


def test_a_spend_queued_behind_a_raise_records_the_new_rating(make_human):
    """The spend waited for the lock while the trait rose 1 → 2: it must ask 2 → 3 at the
    price of 2 → 3, not 1 → 2 (a request that could never be approved)."""
    ada = make_human(xp=20, brawl=1)
    with second_connection() as raw:
        hold_and_raise(raw, ada, "brawl", 2)
        join = in_thread(lambda: Human.objects.get(pk=ada.pk).spend_xp("brawl"))
        wait_until_blocked()
        raw.commit()
        request, error = join()

    assert error is None
    assert (request.current_value, request.new_value, request.cost) == (2, 3, 4)
    assert fresh(ada).xp == 16 == ledger_sum(ada)
    assert run_checks(["lost_dots"])[0].count == 0


def test_an_approval_queued_behind_a_raise_refuses_instead_of_losing_the_dot(
    make_human, storyteller
):
    """A storyteller set Brawl to 2 while the approval of 1 → 2 waited: approving now would
    spend the XP and raise nothing. It is refused as stale; the XP stays refundable."""
    ada = make_human(xp=20, brawl=1)
    request = ada.spend_xp("brawl")
    with second_connection() as raw:
        hold_and_raise(raw, ada, "brawl", 2)
        join = in_thread(lambda: fresh(ada).approve_xp_spend(request.pk, "brawl", 2, storyteller))
        wait_until_blocked()
        raw.commit()
        _, error = join()

    assert isinstance(error, ValidationError) and error.code == "stale_request"
    request.refresh_from_db()
    assert request.status == SpendStatus.PENDING
    assert (fresh(ada).brawl, fresh(ada).xp) == (2, 18)
    [lost] = run_checks(["lost_dots"], examples=5)
    assert lost.count == 1 and lost.info == {"approved_dots_missing": 0, "pending_stale": 1}
    ada.deny_xp_spend(request.pk, storyteller, reason="Raised by hand")
    assert fresh(ada).xp == 20 == ledger_sum(ada)
    assert run_checks(["lost_dots"])[0].count == 0


def test_a_bulk_status_change_queued_behind_another_respects_the_state_machine(make_human):
    """App→Dec waits while App→Ret commits: the Deceased update must see Retired and
    refuse (Retired → Deceased is not allowed), not overwrite it."""
    ada = make_human(xp=0)
    with second_connection() as raw:
        with raw.cursor() as cursor:
            cursor.execute("UPDATE characters_character SET status = 'Ret' WHERE id = %s", [ada.pk])
        join = in_thread(lambda: Character.objects.filter(pk=ada.pk).update(status="Dec"))
        wait_until_blocked()
        raw.commit()
        _, error = join()

    assert isinstance(error, ValidationError)
    assert "cannot go from Retired to Deceased" in error.messages[0]
    assert Character.objects.get(pk=ada.pk).status == "Ret"


def test_a_save_queued_behind_an_approval_is_refused_not_applied(make_human, storyteller):
    """An edit of a copy loaded before an approval (the admin's stale form) is refused."""
    ada = make_human(xp=20, brawl=1)
    request = ada.spend_xp("brawl")
    stale = fresh(ada)
    fresh(ada).approve_xp_spend(request.pk, "brawl", 2, storyteller)
    stale.concept = "Changed my mind"
    join = in_thread(stale.save)
    _, error = join()

    assert isinstance(error, ValidationError) and error.code == "stale"
    ada = fresh(ada)
    assert (ada.brawl, ada.concept, ada.xp) == (2, "", 18)


def test_withdraw_racing_a_decision_has_exactly_one_winner(make_human, storyteller, player):
    for _ in range(10):
        ada = make_human(xp=10)
        pk = ada.spend_xp("brawl").pk
        outcomes = run_together(
            lambda ada=ada, pk=pk: fresh(ada).withdraw_xp_spend(pk, player),
            lambda ada=ada, pk=pk: fresh(ada).approve_xp_spend(pk, "brawl", 1, storyteller),
            lambda ada=ada, pk=pk: fresh(ada).deny_xp_spend(pk, storyteller, reason="No"),
        )
        request = XPSpendingRequest.objects.get(pk=pk)
        assert sorted(exc is None for _, exc in outcomes) == [False, False, True]
        assert {exc.code for _, exc in outcomes if exc} == {"already_processed"}
        ada = fresh(ada)
        refunded = request.status in (SpendStatus.DENIED, SpendStatus.WITHDRAWN)
        assert (ada.xp, ada.brawl) == ((10, 0) if refunded else (7, 1))
        assert ledger_sum(ada) == ada.xp


# --- The long random mix ----------------------------------------------------------------

TRAITS = ("alertness", "brawl", "strength", "willpower", "science")


class Worker:
    """One simulated user doing random things to random characters, logging what took."""

    def __init__(self, seed, cast, scenes, storyteller, player):
        self.rnd = random.Random(seed)
        self.cast, self.scenes = cast, scenes
        self.storyteller, self.player = storyteller, player
        self.log = Counter()

    def __call__(self, operations: int) -> Counter:
        for _ in range(operations):
            op = self.rnd.choice(
                ["spend"] * 4 + ["approve"] * 2 + ["deny", "withdraw", "award", "add", "status"]
            )
            self.log[f"attempt_{op}"] += 1
            try:
                getattr(self, op)(fresh(self.rnd.choice(self.cast)))
            except (ValidationError, PermissionDenied):
                self.log["refused"] += 1
        return self.log

    def _pending(self, character):
        return (
            XPSpendingRequest.objects.filter(character=character, status="Pending")
            .order_by("?")
            .first()
        )

    def spend(self, character):
        self.log["xp_ops"] += 1
        request = character.spend_xp(self.rnd.choice(TRAITS))
        self.log["spent"] += request.cost

    def approve(self, character):
        request = self._pending(character)
        if request is not None:
            self.log["xp_ops"] += 1
            character.approve_xp_spend(
                request.pk, request.trait_name, request.new_value, self.storyteller
            )
            self.log["approved"] += 1

    def deny(self, character):
        request = self._pending(character)
        if request is not None:
            self.log["xp_ops"] += 1
            decided = character.deny_xp_spend(request.pk, self.storyteller, reason="random")
            self.log["refunded"] += decided.cost

    def withdraw(self, character):
        request = self._pending(character)
        if request is not None:
            self.log["xp_ops"] += 1
            decided = character.withdraw_xp_spend(request.pk, self.player)
            self.log["refunded"] += decided.cost

    def award(self, character):
        scene, members = self.rnd.choice(self.scenes)
        awards = {pk: self.rnd.randint(0, 3) for pk in members}
        self.log["xp_ops"] += 1
        # All or nothing: a member out of play given XP refuses the whole award.
        scene.award_xp(awards, awarded_by=self.storyteller)
        self.log["awarded"] += sum(awards.values())

    def add(self, character):
        amount = self.rnd.choice([-3, -1, 2, 4])
        self.log["xp_ops"] += 1
        character.add_xp(amount, by=self.storyteller, note="random adjustment")
        self.log["adjusted"] += amount

    def status(self, character):
        moves = {"App": ["Ret"] * 9 + ["Dec"], "Ret": ["App"]}.get(character.status)
        if moves:
            character.status = self.rnd.choice(moves)
            character.save(changed_by=self.storyteller)


def test_random_mix_with_status_changes_and_fixes_keeps_every_invariant(
    make_human, chronicle, storyteller, player
):
    """8 threads × 300 operations (spend, approve, deny, withdraw, award, adjust, retire,
    return, die) on 12 characters, while validate_data_integrity --fix runs in a loop."""
    cast = [make_human(name=f"C{i:02}", xp=30) for i in range(12)]
    rng = random.Random(20261126)
    scenes = []
    for i in range(80):
        members = rng.sample(cast, 5)
        scene = Scene.objects.create(
            chronicle=chronicle, name=f"S{i}", finished=True, finished_at=timezone.now()
        )
        scene.participants.set(members)
        scenes.append((scene, [m.pk for m in members]))
    start_total = sum(c.xp for c in cast)
    workers = [Worker(seed, cast, scenes, storyteller, player) for seed in range(8)]
    done = threading.Event()
    fix_exits = []

    def fixer():
        while not done.is_set():
            try:
                call_command("validate_data_integrity", "--fix", stdout=StringIO())
                fix_exits.append(0)
            except SystemExit as exit_:
                fix_exits.append(exit_.code)
            except CommandError as error:
                fix_exits.append(error.returncode)
        return len(fix_exits)

    join_fixer = in_thread(fixer)
    outcomes = run_together(*[lambda w=w: w(300) for w in workers], timeout=600)
    done.set()
    _, fixer_error = join_fixer(120)

    assert [exc for _, exc in outcomes] == [None] * 8
    assert fixer_error is None
    assert fix_exits and set(fix_exits) == {0}, Counter(fix_exits)
    log = Counter()
    for worker in workers:
        log.update(worker.log)  # update(), not +: a worker's net adjustment may be negative

    # Every balance equals its ledger, never negative; every check of the registry at 0.
    for character in Character.objects.all():
        assert character.xp == ledger_sum(character) >= 0, character
    assert {r.name: r.count for r in run_checks() if r.count} == {}

    # Each request: one spend entry; one refund exactly when denied or withdrawn.
    per_request = XPSpendingRequest.objects.annotate(
        spends=Count("ledger_entries", filter=Q(ledger_entries__kind="spend")),
        refunds=Count("ledger_entries", filter=Q(ledger_entries__kind="refund")),
    )
    assert not per_request.exclude(spends=1).exists()
    closed = [SpendStatus.DENIED, SpendStatus.WITHDRAWN]
    assert not per_request.filter(status__in=closed).exclude(refunds=1).exists()
    assert not per_request.exclude(status__in=closed).exclude(refunds=0).exists()
    assert XPSpendingRequest.objects.filter(status="Approved").count() == log["approved"]
    # No Pending request for a character out of play.
    assert (
        not XPSpendingRequest.objects.filter(status="Pending")
        .exclude(character__status="App")
        .exists()
    )

    # XP conserved: the ledger agrees with what the threads did, kind by kind.
    by_kind = dict(
        XPLedgerEntry.objects.exclude(note="Starting XP")
        .values_list("kind")
        .annotate(s=Sum("amount"))
        .values_list("kind", "s")
    )
    assert -by_kind.get(LedgerKind.SPEND, 0) == log["spent"]
    assert by_kind.get(LedgerKind.AWARD, 0) == log["awarded"]
    assert by_kind.get(LedgerKind.ADJUSTMENT, 0) == log["adjusted"]
    automatic = (
        XPLedgerEntry.objects.filter(kind="refund", note__in=LEFT_PLAY_REASON.values()).aggregate(
            s=Sum("amount")
        )["s"]
        or 0
    )
    assert by_kind.get(LedgerKind.REFUND, 0) == log["refunded"] + automatic
    end_total = Character.objects.aggregate(s=Sum("xp"))["s"]
    assert end_total == start_total + sum(by_kind.values())

    # Every XP operation left its record; refusals are rejections, never errors.
    assert OperationRecord.objects.count() == log["xp_ops"]
    assert set(OperationRecord.objects.values_list("outcome", flat=True)) <= {
        "success",
        "rejected",
    }
