"""A model-based property test of the XP operations (Hypothesis stateful testing).

Hypothesis drives random sequences of what the pages do — spend, withdraw, approve
(one request, and the queue's batch), deny, reverse an approval, adjust, create/finish
a scene and award its XP, status changes, willpower restores and sheet edits — as random
people: the character's owner, a fellow player, a storyteller of the chronicle, its head
storyteller, the storyteller of another chronicle, a superuser, someone not signed in,
and ``None`` (a script) where the operation takes it; in a third of the examples the
chronicle allows self-decisions (``TG_ALLOW_SELF_DECISIONS``). Each call goes through
the function the page calls (``game.operations``), or the ``Character``/``Scene`` method
of the design contract, after the page's own gate where the operation has no ``by``
(spending: the page's ``permissions.own_character``).

The state machine keeps a small model of its own (balances, ratings, statuses, requests,
the number of ledger rows, scenes) and of who may do what (docs/permissions.md, written
out below, not read from ``game.permissions``). Before every call it predicts the
outcome — success, ``PermissionDenied``, ``Http404`` or a ``ValidationError`` with its
code — and after every step it checks:

- every balance equals the sum of its ledger entries and the model's balance;
- every rating equals the model's (no approved dot missing, none gained for free); no
  Approved request is above its trait's rating, and every Pending one still starts
  from it (the two halves of the ``lost_dots`` check, after every step);
- the requests (status, values, cost, self-decided), the number of ledger rows and of
  self-decided entries per character equal the model's; never two Pending requests for
  one (character, trait);
- a refused call changed nothing: balances, ratings, statuses, versions, requests,
  ledger rows, scenes and the sheets' history are exactly as before it;
- the refusal is the one predicted, and for each role check the permission module
  agrees with the model (``permissions.decide``/``status_moves``/``may_run_scene``/
  ``may_restore_willpower``/``characters_listed_for`` say no ⇔ the operation refuses
  with ``PermissionDenied``, or the page's gate with ``Http404``); withdrawing and
  editing a sheet have no rule of their own there: the owner, and only the owner.

At the end of each example (teardown) the deferred foreign keys are checked and every
integrity check of ``oversight.integrity``'s registry runs, as ``validate_data_integrity
--full`` runs them in-process: all must report 0.

Each example builds its own world inside a savepoint of the test's transaction and
rolls it back at teardown, so examples never see each other's rows. Nothing reads the
clock: the model never compares times.

The number of examples is bounded for the suite; more by hand (docs/ARCHITECTURE.md):
``TG_PROPERTY_EXAMPLES=2000 TG_PROPERTY_STEPS=60 .venv/bin/python -m pytest -q
game/tests/test_xp_properties.py`` (PostgreSQL: set DATABASE_URL).
"""

import os
from collections import Counter
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.test import override_settings
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from characters.models import Character, CharacterChange, Human, Status
from characters.traits import XP_TRAITS, Category
from game import permissions
from game.models import (
    Chronicle,
    ChronicleMembership,
    Gameline,
    Scene,
    SpendStatus,
    STRelationship,
    XPLedgerEntry,
    XPSpendingRequest,
)
from game.operations import lifecycle, xp
from game.operations.decisions import decide_requests
from game.operations.scenes import finish_scene
from game.pages.sheet_forms import SheetForm
from oversight.integrity import full_scan, run_checks

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _env_count(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise pytest.UsageError(f"{name} must be a positive whole number, not {value!r}")
    return int(value)


# Bounded for the suite (about 20 s on two cores); more by hand with the variables.
EXAMPLES = _env_count("TG_PROPERTY_EXAMPLES", 60)
STEPS = _env_count("TG_PROPERTY_STEPS", 40)
# How often each operation ended how (printed with TG_PROPERTY_STATS=1 and pytest -s).
OUTCOMES: Counter[str] = Counter()

# --- The people, and who may do what (docs/permissions.md, independent of the code) ---

ROLES = ("player", "fellow", "storyteller", "head", "other_st", "superuser", "anonymous", "none")
SIGNED_IN = {"player", "fellow", "storyteller", "head", "other_st", "superuser"}
# Of the chronicle every character plays in: the head storyteller, an assistant (one
# game line), a superuser. The other storyteller heads another chronicle.
STORYTELLS = {"storyteller", "head", "superuser"}
HEADS = {"head", "superuser"}
# Who sees the card of the chronicle's characters (members, owners, storytellers).
SEES_CARDS = {"player", "fellow", "storyteller", "head", "superuser"}
ASSISTANT_LINE = "vtm"
GAMELINES = (None, "vtm", "wta")

# Every character plays in the one chronicle; the key names its owner's role. The head
# storyteller, the assistant and the superuser play too: their own characters are the
# self-decision cases.
CHARACTERS = {
    "pat": "player",
    "pat2": "player",
    "fay": "fellow",
    "stella": "storyteller",
    "hank": "head",
    "root": "superuser",
}
KEYS = tuple(CHARACTERS)

PLAYER_MOVES = {
    (Status.UNFINISHED, Status.SUBMITTED),
    (Status.SUBMITTED, Status.UNFINISHED),
    (Status.UNFINISHED, Status.RETIRED),
    (Status.APPROVED, Status.RETIRED),
}
STORYTELLER_MOVES = {
    (Status.SUBMITTED, Status.APPROVED),
    (Status.SUBMITTED, Status.UNFINISHED),
    (Status.APPROVED, Status.RETIRED),
    (Status.APPROVED, Status.DECEASED),
    (Status.RETIRED, Status.APPROVED),
}
LEAVING_PLAY = {Status.RETIRED, Status.DECEASED}

# The traits the steps raise and edit (the others must stay at their defaults).
TRAITS = ("strength", "brawl", "academics", "willpower")
COLUMNS = (*XP_TRAITS, "temporary_willpower")


def may_decide(role: str, owner: str, self_ok: bool) -> bool:
    """Approve, deny, adjust, agree a price, restore willpower, a storyteller's status
    move: a storyteller of the chronicle, on their own character only when
    TG_ALLOW_SELF_DECISIONS (``self_ok``) is on."""
    return role in STORYTELLS and (role != owner or self_ok)


def may_run_scene(role: str, gameline: str | None) -> bool:
    if role in HEADS:
        return True
    return role == "storyteller" and gameline in (None, ASSISTANT_LINE)


def status_moves(role: str, owner: str, status: str, self_ok: bool) -> set[str]:
    moves = set()
    if role in SIGNED_IN and role == owner:
        moves |= {new for old, new in PLAYER_MOVES if old == status}
    if may_decide(role, owner, self_ok):
        moves |= {new for old, new in STORYTELLER_MOVES if old == status}
    return moves


def price(trait: str, rating: int) -> int:
    """World of Darkness 20th anniversary prices (docs/xp.md), written out again."""
    category = XP_TRAITS[trait].category
    if category == Category.ATTRIBUTE:
        return rating * 4
    if category == Category.ABILITY:
        return 3 if rating == 0 else rating * 2
    return rating


def _snapshot_sql() -> tuple[str, ...]:
    """The snapshot's queries, from the models' tables and columns."""
    q = connection.ops.quote_name

    def table(model) -> str:
        return q(model._meta.db_table)

    def column(model, name: str) -> str:
        return q(model._meta.get_field(name).column)

    link = Human._meta.pk.column
    traits = ", ".join(f"h.{column(Human, name)}" for name in COLUMNS)
    request_columns = (
        "character",
        "trait_name",
        "current_value",
        "new_value",
        "cost",
        "status",
        "self_decided",
    )
    return (
        f"SELECT c.id, c.{column(Character, 'status')}, c.{column(Character, 'xp')}, "
        f"c.{column(Character, 'version')}, {traits} FROM {table(Character)} c "
        f"JOIN {table(Human)} h ON h.{q(link)} = c.id WHERE c.id = ANY(%s)",
        f"SELECT id, {', '.join(column(XPSpendingRequest, n) for n in request_columns)} "
        f"FROM {table(XPSpendingRequest)} WHERE {column(XPSpendingRequest, 'character')} "
        "= ANY(%s)",
        f"SELECT {column(XPLedgerEntry, 'character')}, SUM({column(XPLedgerEntry, 'amount')}), "
        f"COUNT(*), COUNT(*) FILTER (WHERE {column(XPLedgerEntry, 'self_decided')}) "
        f"FROM {table(XPLedgerEntry)} WHERE {column(XPLedgerEntry, 'character')} "
        f"= ANY(%s) GROUP BY 1",
        f"SELECT id, {column(Scene, 'finished')}, {column(Scene, 'xp_given')} "
        f"FROM {table(Scene)} WHERE {column(Scene, 'chronicle')} = %s",
        f"SELECT COUNT(*) FROM {table(CharacterChange)} "
        f"WHERE {column(CharacterChange, 'character')} = ANY(%s)",
    )


SNAPSHOT = _snapshot_sql()

# --- The model ---------------------------------------------------------------------


@dataclass
class CharacterModel:
    pk: int
    owner: str
    status: str
    xp: int
    traits: dict[str, int]
    self_decided_entries: int = 0


@dataclass
class RequestModel:
    pk: int
    character: str
    trait: str
    current: int
    new: int
    cost: int
    status: str = SpendStatus.PENDING
    self_decided: bool = False

    def row(self, character_pk: int) -> tuple:
        return (
            character_pk,
            self.trait,
            self.current,
            self.new,
            self.cost,
            self.status,
            self.self_decided,
        )


@dataclass
class SceneModel:
    pk: int
    gameline: str | None
    participants: frozenset[str]
    finished: bool
    xp_given: bool = False


@dataclass(frozen=True)
class Seed:
    """How one character starts."""

    status: str
    xp: int
    strength: int
    brawl: int
    academics: int
    willpower: int
    tired: int  # temporary willpower is this much below permanent (not below 0)


seeds = st.builds(
    Seed,
    status=st.sampled_from(
        [Status.APPROVED] * 6
        + [Status.UNFINISHED, Status.SUBMITTED, Status.RETIRED, Status.DECEASED]
    ),
    xp=st.integers(10, 60) | st.just(0),
    strength=st.integers(1, 10),
    brawl=st.integers(0, 10),
    academics=st.integers(0, 10),
    willpower=st.integers(1, 10),
    tired=st.integers(0, 3),
)
roles = st.sampled_from(ROLES)
characters = st.sampled_from(KEYS)
# A request is usually decided on its own character; sometimes on another one.
elsewhere = st.none() | characters
# The version a form was rendered with: usually the current one.
versions = st.sampled_from(["current", "current", "current", "none", "stale"])
# The character's own player, whoever that is.
OWNER = "owner"


def mostly(*favoured: str):
    """A role, two times in three one of ``favoured`` (so that sequences get somewhere),
    else anyone (so that every refusal is tried)."""
    return st.sampled_from([*favoured] * (2 * len(ROLES) // len(favoured)) + list(ROLES))


players = mostly(OWNER)
deciders = mostly("storyteller", "head", "superuser")
heads = mostly("head", "superuser")
anyone = mostly(OWNER, "storyteller", "head", "superuser")
# The pick-th of the requests with some status, counting by id.
picks = st.integers(0, 1000)

OK = "ok"


@dataclass
class Outcome:
    """What the model predicts: one outcome, or several when the design leaves the choice
    to the implementation ("invalid:*": a refusal with any code)."""

    accepted: set[str]
    apply: object = None  # called on success
    note: str = ""

    def allows(self, outcome: str) -> bool:
        if outcome in self.accepted:
            return True
        return outcome.startswith("invalid:") and "invalid:*" in self.accepted


def refused(code: str) -> Outcome:
    return Outcome({code})


# --- The state machine -------------------------------------------------------------


class XPMachine(RuleBasedStateMachine):
    requests = Bundle("requests")
    scenes = Bundle("scenes")

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.healthy = False
        self.self_ok = False
        self.overridden: override_settings | None = None
        try:
            self._build_people()
        except BaseException:
            self._roll_back()
            raise
        self.chars: dict[str, CharacterModel] = {}
        self.model_requests: dict[int, RequestModel] = {}
        self.model_scenes: dict[int, SceneModel] = {}
        self.ledger_rows = 0
        self.last: dict = {}

    # --- the world, one per example -----------------------------------------------------

    def _build_people(self) -> None:
        User = get_user_model()
        self.people = {
            role: User.objects.create(username=f"prop_{role}", is_superuser=role == "superuser")
            for role in ("player", "fellow", "storyteller", "head", "other_st", "superuser")
        }
        self.people["anonymous"] = AnonymousUser()
        self.people["none"] = None
        lines = {
            short: Gameline.objects.get_or_create(short_name=short, defaults={"name": short})[0]
            for short in GAMELINES
            if short
        }
        self.lines = lines
        self.chronicle = Chronicle.objects.create(name="Prop", head_st=self.people["head"])
        other = Chronicle.objects.create(name="Elsewhere", head_st=self.people["other_st"])
        STRelationship.objects.create(
            user=self.people["storyteller"], chronicle=self.chronicle, gameline=lines["vtm"]
        )
        STRelationship.objects.create(
            user=self.people["other_st"], chronicle=other, gameline=lines["vtm"]
        )
        for role in ("player", "fellow"):
            ChronicleMembership.objects.create(user=self.people[role], chronicle=self.chronicle)

    @initialize(
        world=st.fixed_dictionaries(dict.fromkeys(KEYS, seeds)),
        self_decisions=st.sampled_from([False, False, True]),
    )
    def build_characters(self, world, self_decisions):
        """The characters; and whether the chronicle allows self-decisions
        (TG_ALLOW_SELF_DECISIONS, for this example only)."""
        self.healthy = False
        self.self_ok = self_decisions
        self.overridden = override_settings(TG_ALLOW_SELF_DECISIONS=self_decisions)
        self.overridden.enable()
        for key, owner in CHARACTERS.items():
            seed = world[key]
            human = Human.objects.create(
                name=key,
                owner=self.people[owner],
                chronicle=self.chronicle,
                status=seed.status,
                xp=seed.xp,
                strength=seed.strength,
                brawl=seed.brawl,
                academics=seed.academics,
                willpower=seed.willpower,
                temporary_willpower=max(0, seed.willpower - seed.tired),
            )
            traits = {spec.name: spec.default for spec in XP_TRAITS.values()}
            traits.update({t: getattr(seed, t) for t in TRAITS})
            traits["temporary_willpower"] = max(0, seed.willpower - seed.tired)
            self.chars[key] = CharacterModel(human.pk, owner, seed.status, seed.xp, traits)
            self.ledger_rows += 1 if seed.xp else 0

    def _roll_back(self) -> None:
        if self.overridden is not None:
            self.overridden.disable()
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def teardown(self):
        try:
            # After a failed step the example is already reported: only roll back.
            if self.healthy:
                connection.check_constraints()
                with full_scan():
                    results = run_checks(examples=3)
                dirty = {r.name: (r.count, r.examples) for r in results if r.count}
                assert not dirty, f"integrity checks not clean at the end: {dirty}"
                OUTCOMES["teardown: integrity checks clean"] += 1
        finally:
            self._roll_back()

    # --- reading the database -----------------------------------------------------------

    def user(self, role: str):
        return self.people[role]

    def snapshot(self) -> dict:
        """Everything a step may change, read with one plain query per table (the check
        runs after every step: the ORM's query building was most of its cost)."""
        pks = [c.pk for c in self.chars.values()]
        with connection.cursor() as cursor:

            def rows(sql: str, *params) -> list[tuple]:
                cursor.execute(sql, params)
                return cursor.fetchall()

            names = ("pk", "status", "xp", "version", *COLUMNS)
            return {
                "characters": {
                    row[0]: dict(zip(names, row, strict=True)) for row in rows(SNAPSHOT[0], pks)
                },
                "requests": {row[0]: row[1:] for row in rows(SNAPSHOT[1], pks)},
                "ledger": {row[0]: row[1:] for row in rows(SNAPSHOT[2], pks)},
                "scenes": {row[0]: row[1:] for row in rows(SNAPSHOT[3], self.chronicle.pk)},
                "history": rows(SNAPSHOT[4], pks)[0][0],
            }

    @invariant()
    def database_agrees_with_the_model(self):
        now = self.snapshot()
        for key, model in self.chars.items():
            row = now["characters"][model.pk]
            total, _, self_decided = now["ledger"].get(model.pk, (0, 0, 0))
            assert row["xp"] == total, f"{key}: balance {row['xp']} but its ledger sums {total}"
            assert row["xp"] == model.xp, f"{key}: balance {row['xp']}, model {model.xp}"
            assert row["status"] == model.status, f"{key}: status {row['status']}"
            ratings = {name: row[name] for name in COLUMNS}
            assert ratings == model.traits, f"{key}: ratings {_diff(model.traits, ratings)}"
            assert row["temporary_willpower"] <= row["willpower"]
            assert self_decided == model.self_decided_entries, (
                f"{key}: {self_decided} self-decided ledger entries, model "
                f"{model.self_decided_entries}"
            )
        pks = {key: c.pk for key, c in self.chars.items()}
        expected = {pk: r.row(pks[r.character]) for pk, r in self.model_requests.items()}
        assert now["requests"] == expected, f"requests {_diff(expected, now['requests'])}"
        pending = [(r[0], r[1]) for r in now["requests"].values() if r[5] == SpendStatus.PENDING]
        assert len(pending) == len(set(pending)), f"two Pending requests for one trait: {pending}"
        for pk, (character_pk, trait, current, new, _, status, _) in now["requests"].items():
            rating = now["characters"][character_pk][trait]
            if status == SpendStatus.APPROVED:
                assert rating >= new, f"approved dot missing: #{pk} {trait} {rating} < {new}"
            if status == SpendStatus.PENDING:
                # The other half of lost_dots: a Pending request that can never be approved.
                assert rating == current, f"Pending #{pk} {trait} {current}→{new}, rating {rating}"
        rows = sum(n for _, n, _ in now["ledger"].values())
        assert rows == self.ledger_rows, f"{rows} ledger rows, model {self.ledger_rows}"
        scenes = {pk: (s.finished, s.xp_given) for pk, s in self.model_scenes.items()}
        assert now["scenes"] == scenes, f"scenes {_diff(scenes, now['scenes'])}"
        self.last = now
        self.healthy = True

    # --- calling an operation -----------------------------------------------------------

    def attempt(self, operation: str, what: str, expected: Outcome, call):
        """Call, classify the outcome, compare it with the prediction; a refusal must
        leave everything as the last step did. Returns (outcome, result)."""
        self.healthy = False
        before = self.last
        result, message = None, ""
        try:
            result = call()
        except PermissionDenied as error:
            outcome, message = "denied", str(error)
        except Http404 as error:
            outcome, message = "not_found", str(error)
        except ValidationError as error:
            outcome = f"invalid:{getattr(error, 'code', None)}"
            message = "; ".join(error.messages)
        else:
            outcome = OK
        event(f"{operation}: {outcome}")
        OUTCOMES[f"{operation}: {outcome}"] += 1
        assert expected.allows(outcome), (
            f"{what}: expected {sorted(expected.accepted)}, got {outcome} {message!r}"
            + (f" ({expected.note})" if expected.note else "")
        )
        if outcome == OK:
            if callable(expected.apply):
                expected.apply()
        else:
            after = self.snapshot()
            assert after == before, (
                f"{what} was refused ({outcome}) but changed {_diff(before, after)}"
            )
        return outcome, result

    def refund(self, request: RequestModel, status: str, by: str | None = None) -> None:
        """The model of ``xp._refund``: ``by`` decided (a deny or a reversal), and the refund
        entry is self-decided when that is the owner; a deny records it on the request
        too, a reversal keeps the approval's."""
        model = self.chars[request.character]
        own = by == model.owner
        request.status = status
        if status == SpendStatus.DENIED and by is not None:
            request.self_decided = own
        model.xp += request.cost
        model.self_decided_entries += own
        self.ledger_rows += 1

    def decide_agrees(self, role: str, key: str) -> bool:
        """The model's answer for a storyteller decision, checked against
        ``permissions.decide``."""
        model = self.chars[key]
        try:
            own = permissions.decide(
                self.user(role),
                chronicle_id=self.chronicle.pk,
                owner_id=self.people[model.owner].pk,
                action="decide",
            )
            allowed = True
        except PermissionDenied:
            allowed = False
        assert allowed == may_decide(role, model.owner, self.self_ok), (
            f"permissions.decide says {allowed} for {role} on {key}"
        )
        if allowed:
            assert own == (role == model.owner), f"permissions.decide: self-decided {own}"
        return allowed

    # --- spending ---------------------------------------------------------------------

    @rule(
        target=requests,
        key=characters,
        role=players,
        trait=st.sampled_from([*TRAITS, *TRAITS, "temporary_willpower"]),
        agreed=st.none() | st.tuples(st.sampled_from([0, 1, -1, 5]), roles),
    )
    def spend(self, key, role, trait, agreed):
        """The spend page: ``own_character`` (404 out of scope, 403 not the owner), then
        ``spend_xp`` at tg's price — or, as the admin may, an agreed price."""
        model = self.chars[key]
        role = model.owner if role == OWNER else role
        user = self.user(role)
        rating = model.traits.get(trait, 0)
        cost, agreed_by = None, None
        if agreed is not None and trait in XP_TRAITS:
            delta, agreed_role = agreed
            cost, agreed_by = price(trait, rating) + delta, agreed_role
        listed = permissions.characters_listed_for(user).filter(pk=model.pk).exists()
        assert listed == (role in SEES_CARDS), f"{role} sees {key}: {listed}"
        expected = self._expect_spend(key, role, trait, cost, agreed_by)

        def call():
            character = permissions.own_character(user, model.pk)
            return xp.spend_xp(
                character=character,
                trait_name=trait,
                cost=cost,
                price_set_by=None if agreed_by is None else self.user(agreed_by),
            )

        outcome, request = self.attempt(
            "spend", f"spend {trait} of {key} as {role}", expected, call
        )
        if outcome != OK:
            return multiple()
        charged = price(trait, rating) if cost is None else cost
        assert (request.current_value, request.new_value, request.cost) == (
            rating,
            rating + 1,
            charged,
        )
        model.xp -= charged
        self.ledger_rows += 1
        self.model_requests[request.pk] = RequestModel(
            request.pk, key, trait, rating, rating + 1, charged
        )
        return request.pk

    def _approved(self) -> list[str]:
        return [key for key in KEYS if self.chars[key].status == Status.APPROVED]

    @precondition(lambda self: self._approved())
    @rule(target=requests, pick=picks, trait=st.sampled_from(TRAITS))
    def spend_own(self, pick, trait):
        """The owner of an Approved character (the ``pick``-th) spends at tg's price."""
        approved = self._approved()
        return self.spend(approved[pick % len(approved)], OWNER, trait, None)

    def _expect_spend(self, key, role, trait, cost, agreed_by) -> Outcome:
        model = self.chars[key]
        if role not in SEES_CARDS:
            return refused("not_found")
        if role != model.owner:
            return refused("denied")
        if trait not in XP_TRAITS:
            return refused("invalid:unknown_trait")
        if cost is not None and cost <= 0:
            return refused("invalid:invalid_cost")
        if model.status != Status.APPROVED:
            return refused("invalid:character_not_active")
        rating = model.traits[trait]
        if rating >= XP_TRAITS[trait].maximum:
            return refused("invalid:invalid_value")
        if any(
            r.character == key and r.trait == trait and r.status == SpendStatus.PENDING
            for r in self.model_requests.values()
        ):
            return refused("invalid:already_pending")
        rule_price = price(trait, rating)
        if cost is not None and cost != rule_price:
            if agreed_by is None or agreed_by == "none":
                return refused("invalid:invalid_cost")
            if not self.decide_agrees(agreed_by, key):
                return refused("denied")
        if model.xp < (rule_price if cost is None else cost):
            return refused("invalid:insufficient_xp")
        return Outcome({OK})

    # --- a request: withdraw, approve, deny, reverse --------------------------------------

    def _withdraw(self, request: int, key: str, role: str) -> None:
        """The player's withdraw button: ``withdraw_xp_spend`` (the operation checks the
        player itself)."""
        spend = self.model_requests[request]
        model = self.chars[key]
        if not (role in SIGNED_IN and role == model.owner):
            expected = refused("denied")
        elif spend.character != key:
            expected = refused("invalid:invalid_request")
        elif spend.status != SpendStatus.PENDING:
            expected = refused("invalid:already_processed")
        else:
            expected = Outcome({OK}, lambda: self.refund(spend, SpendStatus.WITHDRAWN))
        self.attempt(
            "withdraw",
            f"withdraw #{request} ({spend.character}) on {key} as {role}",
            expected,
            lambda: xp.withdraw_xp_spend(
                character=Character.objects.get(pk=model.pk),
                request_id=request,
                by=self.user(role),
            ),
        )

    def _expect_approve(self, spend: RequestModel, key: str, role: str, trait: str, new: int):
        model = self.chars[key]
        if not self.decide_agrees(role, key):
            return refused("denied")
        if spend.character != key:
            return refused("invalid:invalid_request")
        if spend.status != SpendStatus.PENDING:
            return refused("invalid:already_processed")
        if model.status != Status.APPROVED:
            return refused("invalid:character_not_active")
        if trait != spend.trait:
            return refused("invalid:invalid_value")
        if model.traits[trait] != spend.current:
            return refused("invalid:stale_request")
        if new != spend.new:
            return refused("invalid:invalid_value")

        def apply():
            spend.status = SpendStatus.APPROVED
            spend.self_decided = role == model.owner
            model.traits[trait] = new

        return Outcome({OK}, apply)

    def _approve(self, request: int, key: str, role: str, tamper: str | None = None) -> None:
        """``Character.approve_xp_spend`` with the request's trait and value (as the queue
        passes them), or tampered ones."""
        spend = self.model_requests[request]
        trait, new = spend.trait, spend.new
        if tamper == "value":
            new += 1
        elif tamper == "trait":
            trait = TRAITS[(TRAITS.index(trait) + 1) % len(TRAITS)]
        self.attempt(
            "approve",
            f"approve #{request} ({spend.character}'s {spend.trait}) on {key} as {role} "
            f"({trait} → {new})",
            self._expect_approve(spend, key, role, trait, new),
            lambda: Character.objects.get(pk=self.chars[key].pk).approve_xp_spend(
                request, trait, new, self.user(role)
            ),
        )

    def _expect_deny(self, spend: RequestModel, key: str, role: str) -> Outcome:
        if not self.decide_agrees(role, key):
            return refused("denied")
        if spend.character != key:
            return refused("invalid:invalid_request")
        if spend.status != SpendStatus.PENDING:
            return refused("invalid:already_processed")
        return Outcome({OK}, lambda: self.refund(spend, SpendStatus.DENIED, role))

    def _deny(self, request: int, key: str, role: str, reason: str = "Not yet") -> None:
        """``Character.deny_xp_spend``."""
        spend = self.model_requests[request]
        self.attempt(
            "deny",
            f"deny #{request} ({spend.character}) on {key} as {role}",
            self._expect_deny(spend, key, role),
            lambda: Character.objects.get(pk=self.chars[key].pk).deny_xp_spend(
                request, self.user(role), reason=reason
            ),
        )

    def _reverse(self, request: int, key: str, role: str, reason: str) -> None:
        """The request page's *Reverse*: ``reverse_approval``."""
        spend = self.model_requests[request]
        model = self.chars[key]
        head = permissions.is_head_storyteller_of(self.user(role), self.chronicle.pk)
        assert head == (role in HEADS), f"is_head_storyteller_of({role}): {head}"
        if not reason.strip():
            expected = refused("invalid:invalid_text")
        elif not self.decide_agrees(role, key) or role not in HEADS:
            expected = refused("denied")
        elif spend.character != key or spend.status != SpendStatus.APPROVED:
            expected = refused("invalid:invalid_request")
        elif model.traits[spend.trait] != spend.new:
            expected = refused("invalid:stale_request")
        elif any(
            other.character == key
            and other.trait == spend.trait
            and other.status == SpendStatus.PENDING
            for other in self.model_requests.values()
        ):
            # A Pending request builds on the rating this reversal would take away.
            expected = refused("invalid:pending_on_top")
        else:

            def apply():
                model.traits[spend.trait] = spend.current
                if spend.trait == "willpower":
                    tired = model.traits["temporary_willpower"]
                    model.traits["temporary_willpower"] = min(tired, spend.current)
                self.refund(spend, SpendStatus.REVERSED, role)

            expected = Outcome({OK}, apply)
            if spend.trait == "willpower" and model.traits["temporary_willpower"] > spend.current:
                # Temporary willpower above the rating the reversal goes back to: lowering
                # it with the rating, or refusing the reversal, are both fine; a database
                # error is not.
                expected.accepted.add("invalid:*")
                expected.note = "temporary willpower above the restored rating"
        self.attempt(
            "reverse",
            f"reverse #{request} ({spend.character}'s {spend.trait}) on {key} as {role}",
            expected,
            lambda: xp.reverse_approval(
                character=Character.objects.get(pk=model.pk),
                request_id=request,
                by=self.user(role),
                reason=reason,
            ),
        )

    def _on(self, request: int, on: str | None, role: str) -> tuple[str, str]:
        """(character, role): the request's own character unless ``on`` names another;
        ``OWNER`` is that character's player."""
        key = on or self.model_requests[request].character
        return key, self.chars[key].owner if role == OWNER else role

    @rule(
        request=requests,
        how=st.sampled_from(["approve", "deny", "withdraw", "reverse"]),
        role=anyone,
        on=elsewhere,
        variant=st.sampled_from([None, None, "value", "trait", "blank"]),
    )
    def act_on_request(self, request, how, role, on, variant):
        """Any request (open or not), any role, perhaps on another character: approved
        (``variant`` may tamper with its trait or value), denied, withdrawn, or reversed
        (``variant`` "blank": without a reason)."""
        key, role = self._on(request, on, role)
        if how == "approve":
            self._approve(request, key, role, variant)
        elif how == "deny":
            self._deny(request, key, role, "" if variant == "blank" else "Not yet")
        elif how == "withdraw":
            self._withdraw(request, key, role)
        else:
            self._reverse(request, key, role, "  " if variant == "blank" else "Oops")

    def _with_status(self, status: str) -> list[int]:
        return sorted(pk for pk, r in self.model_requests.items() if r.status == status)

    @precondition(lambda self: self._with_status(SpendStatus.PENDING))
    @rule(
        pick=picks,
        how=st.sampled_from(["approve", "approve", "deny", "withdraw"]),
        role=anyone,
    )
    def settle_pending(self, pick, how, role):
        """A Pending request (the ``pick``-th, by id) approved, denied or withdrawn."""
        pending = self._with_status(SpendStatus.PENDING)
        request = pending[pick % len(pending)]
        getattr(self, f"_{how}")(request, *self._on(request, None, role))

    @precondition(lambda self: self._with_status(SpendStatus.APPROVED))
    @rule(pick=picks, role=heads)
    def reverse_approved(self, pick, role):
        """An Approved request (the ``pick``-th, by id) reversed."""
        approved = self._with_status(SpendStatus.APPROVED)
        request = approved[pick % len(approved)]
        self._reverse(request, *self._on(request, None, role), "Approved by mistake")

    @rule(
        chosen=st.lists(requests, min_size=1, max_size=3, unique=True),
        role=deciders,
        approving=st.booleans(),
    )
    def decide_in_batch(self, chosen, role, approving):
        """The queue page: ``decide_requests`` — each request in its own transaction,
        requests outside the user's chronicles ignored."""
        self.healthy = False
        if role == OWNER:
            role = self.chars[self.model_requests[chosen[0]].character].owner
        user = self.user(role)
        expected: dict[str, list[int]] = {"done": [], "already": [], "stale": [], "refused": []}
        if role in STORYTELLS:
            # One at a time, in primary-key order, as the operation decides them.
            for pk in sorted(chosen):
                spend = self.model_requests[pk]
                if approving:
                    plan = self._expect_approve(
                        spend, spend.character, role, spend.trait, spend.new
                    )
                else:
                    plan = self._expect_deny(spend, spend.character, role)
                (outcome,) = plan.accepted
                event(f"batch: {outcome}")
                OUTCOMES[f"batch: {outcome}"] += 1
                if outcome == OK:
                    expected["done"].append(pk)
                    plan.apply()
                elif outcome == "invalid:already_processed":
                    expected["already"].append(pk)
                elif outcome == "invalid:stale_request":
                    expected["stale"].append(pk)
                else:
                    expected["refused"].append(pk)
        summary = decide_requests(
            user=user, request_ids=list(chosen), approve=approving, reason="Not now"
        )
        got = {
            "done": [r.pk for r in summary.done],
            "already": [r.pk for r, _ in summary.already],
            "stale": [r.pk for r in summary.stale],
            "refused": [r.pk for r, _ in summary.refused],
        }
        assert got == expected, f"batch {'approve' if approving else 'deny'} as {role}: {got}"

    @rule(
        key=characters,
        role=deciders,
        amount=st.integers(-20, 20) | st.sampled_from([0, 10_001, -10_001]),
        note=st.sampled_from(["Correction", ""]),
    )
    def adjust(self, key, role, amount, note):
        """The sheet's adjustment form: ``add_xp``; ``None`` is a script (a note needed)."""
        model = self.chars[key]
        role = model.owner if role == OWNER else role
        if amount == 0 or abs(amount) > xp.MAX_ADJUSTMENT:
            expected = refused("invalid:invalid_amount")
        elif role == "none" and not note.strip():
            expected = refused("invalid:invalid_text")
        elif role != "none" and not self.decide_agrees(role, key):
            expected = refused("denied")
        elif model.xp + amount < 0:
            expected = refused("invalid:insufficient_xp")
        else:

            def apply():
                model.xp += amount
                model.self_decided_entries += role == model.owner
                self.ledger_rows += 1

            expected = Outcome({OK}, apply)
        self.attempt(
            "adjust",
            f"adjust {key} by {amount} as {role}",
            expected,
            lambda: xp.add_xp(
                character=Character.objects.get(pk=model.pk),
                amount=amount,
                by=self.user(role),
                note=note,
            ),
        )

    # --- scenes -------------------------------------------------------------------------

    @rule(
        target=scenes,
        gameline=st.sampled_from(GAMELINES),
        members=st.sets(characters),
        finished=st.booleans(),
    )
    def new_scene(self, gameline, members, finished):
        """A scene of the chronicle (set up directly: saving one is not an XP operation)."""
        self.healthy = False
        scene = Scene.objects.create(
            chronicle=self.chronicle,
            gameline=self.lines[gameline] if gameline else None,
            name=f"Scene {len(self.model_scenes) + 1}",
            finished=finished,
        )
        scene.participants.set([self.chars[k].pk for k in sorted(members)])
        self.model_scenes[scene.pk] = SceneModel(scene.pk, gameline, frozenset(members), finished)
        return scene.pk

    @rule(scene=scenes)
    def finish(self, scene):
        """The award page's *Finish*: ``finish_scene``."""
        self.healthy = False
        model = self.model_scenes[scene]
        assert finish_scene(scene_id=scene) is (not model.finished)
        model.finished = True

    @rule(
        scene=scenes,
        role=deciders,
        amounts=st.lists(st.integers(0, 6) | st.booleans(), min_size=len(KEYS), max_size=len(KEYS)),
        stranger=st.none() | characters,
        as_page=st.booleans(),
    )
    def award(self, scene, role, amounts, stranger, as_page):
        """``award_scene_xp`` as the award page calls it (every participant, 0 for one
        out of play or one's own), or ``Scene.award_xp`` with any amounts, a stranger
        among them perhaps."""
        model = self.model_scenes[scene]
        if role == OWNER:
            role = self.chars[min(model.participants, default="pat")].owner
        user = self.user(role)
        given = dict(zip(KEYS, amounts, strict=True))
        chosen = set(model.participants) | ({stranger} if stranger else set())
        if as_page:
            chosen = set(model.participants)
            for key in chosen:
                own = permissions.is_own(user, self.people[self.chars[key].owner].pk)
                assert own == (role == self.chars[key].owner and not self.self_ok)
                if self.chars[key].status != Status.APPROVED or own:
                    given[key] = 0
        awards = {self.chars[k].pk: given[k] for k in sorted(chosen)}
        runs = permissions.may_run_scene(user, Scene.objects.get(pk=scene)) if user else True
        if role != "none":
            assert runs == may_run_scene(role, model.gameline), f"may_run_scene: {runs}"
        maximum = django_settings.TG_MAX_SCENE_XP
        amount = {k: int(given[k]) for k in chosen}
        receiving = [k for k in sorted(chosen) if amount[k] > 0]
        if any(not isinstance(given[k], bool) and given[k] > maximum for k in chosen):
            expected = refused("invalid:invalid_amount")
        elif role != "none" and not may_run_scene(role, model.gameline):
            expected = refused("denied")
        elif model.xp_given:
            expected = refused("invalid:xp_already_given")
        elif not model.finished:
            expected = refused("invalid:scene_not_finished")
        elif chosen - model.participants:
            expected = refused("invalid:not_participant")
        elif any(self.chars[k].status != Status.APPROVED for k in receiving):
            expected = refused("invalid:character_not_active")
        elif not self.self_ok and any(self.chars[k].owner == role for k in receiving):
            expected = refused("denied")
        else:

            def apply():
                for k in receiving:
                    self.chars[k].xp += amount[k]
                    self.chars[k].self_decided_entries += self.chars[k].owner == role
                self.ledger_rows += len(receiving)
                model.xp_given = True

            expected = Outcome({OK}, apply)
        by = self.user(role)
        if as_page:
            call = lambda: xp.award_scene_xp(  # noqa: E731
                scene=Scene.objects.get(pk=scene), character_awards=awards, by=by
            )
        else:
            call = lambda: Scene.objects.get(pk=scene).award_xp(awards, awarded_by=by)  # noqa: E731
        outcome, count = self.attempt(
            "award", f"award scene #{scene} as {role}: {awards}", expected, call
        )
        if outcome == OK:
            assert count == len(receiving)

    # --- the sheet: status, willpower, edits ------------------------------------------

    def _version(self, key: str, which: str) -> int | None:
        if which == "none":
            return None
        version = self.last["characters"][self.chars[key].pk]["version"]
        return version if which == "current" else version - 1

    @rule(
        key=characters,
        role=anyone,
        status=st.sampled_from(Status.values),
        reason=st.sampled_from(["", "Please fix the sheet"]),
        version=versions,
    )
    def change_status(self, key, role, status, reason, version):
        """The sheet's status buttons and the approval queue: ``change_status``."""
        model = self.chars[key]
        role = model.owner if role == OWNER else role
        user = self.user(role)
        character = Human.objects.get(pk=model.pk)
        offered = permissions.status_moves(user, character)
        predicted = status_moves(role, model.owner, model.status, self.self_ok)
        assert offered == predicted, f"status_moves({role}, {key}): {offered}"
        if version == "stale":
            expected = refused("invalid:stale")
        elif status not in predicted:
            expected = refused("denied")
        elif (
            model.status == Status.SUBMITTED
            and status == Status.UNFINISHED
            and role != model.owner
            and not reason.strip()
        ):
            expected = refused("invalid:note_required")
        else:

            def apply():
                if status in LEAVING_PLAY:
                    for spend in self.model_requests.values():
                        if spend.character == key and spend.status == SpendStatus.PENDING:
                            self.refund(spend, SpendStatus.DENIED)
                model.status = status

            expected = Outcome({OK}, apply)
        self.attempt(
            "status",
            f"move {key} from {model.status} to {status} as {role}",
            expected,
            lambda: lifecycle.change_status(
                character_id=model.pk,
                status=status,
                by=user,
                version=self._version(key, version),
                reason=reason,
            ),
        )

    @rule(key=characters, role=deciders, version=versions)
    def restore_willpower(self, key, role, version):
        """The sheet's *Restore willpower*: ``restore_willpower``. A storyteller action,
        so not on one's own character (docs/permissions.md, self-decisions)."""
        model = self.chars[key]
        role = model.owner if role == OWNER else role
        user = self.user(role)
        allowed = may_decide(role, model.owner, self.self_ok)
        # The permission module's rule (may_restore_willpower where it exists).
        rule_ = getattr(permissions, "may_restore_willpower", None)
        if rule_ is not None:
            answer = rule_(user, Human.objects.get(pk=model.pk))
        else:
            answer = permissions.is_storyteller(user, self.chronicle.pk) and not permissions.is_own(
                user, self.people[model.owner].pk
            )
        assert answer == allowed, f"the permission module lets {role} restore {key}: {answer}"
        if version == "stale":
            expected = refused("invalid:stale")
        elif not allowed:
            expected = refused("denied")
        else:

            def apply():
                model.traits["temporary_willpower"] = model.traits["willpower"]

            expected = Outcome({OK}, apply)
        self.attempt(
            "restore",
            f"restore willpower of {key} as {role}",
            expected,
            lambda: lifecycle.restore_willpower(
                character_id=model.pk, by=user, version=self._version(key, version)
            ),
        )

    @rule(
        key=characters,
        role=players,
        values=st.tuples(
            st.integers(1, 10), st.integers(0, 10), st.integers(0, 10), st.integers(1, 10)
        ),
        version=st.sampled_from(["current", "current", "current", "stale"]),
    )
    def edit_sheet(self, key, role, values, version):
        """The edit page's form (``SheetForm``) saved by ``save_sheet``."""
        model = self.chars[key]
        role = model.owner if role == OWNER else role
        user = self.user(role)
        wanted = dict(zip(TRAITS, values, strict=True))
        data = {name: str(model.traits[name]) for name in XP_TRAITS}
        data.update({name: str(value) for name, value in wanted.items()})
        data.update(name=key, concept="", age="", apparent_age="")
        data["version"] = str(self._version(key, version))
        form = SheetForm(data, instance=Human.objects.get(pk=model.pk))
        self.healthy = False
        assert form.is_valid(), form.errors
        if version == "stale":
            expected = refused("invalid:stale")
        elif not (role in SIGNED_IN and role == model.owner):
            expected = refused("denied")
        elif model.status != Status.UNFINISHED:
            expected = refused("invalid:not_editable")
        else:

            def apply():
                model.traits.update(wanted)
                model.traits["temporary_willpower"] = wanted["willpower"]

            expected = Outcome({OK}, apply)
        self.attempt(
            "edit",
            f"edit {key}'s sheet as {role}",
            expected,
            lambda: lifecycle.save_sheet(form=form, by=user),
        )


def _diff(before: dict, after: dict) -> dict:
    """The entries that differ, as (before, after)."""
    keys = set(before) | set(after)
    return {
        k: (before.get(k), after.get(k))
        for k in sorted(keys, key=str)
        if before.get(k) != after.get(k)
    }


def test_xp_operations_agree_with_the_model():
    run_state_machine_as_test(
        XPMachine,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None),
    )
    if os.environ.get("TG_PROPERTY_STATS") == "1":
        for name, count in sorted(OUTCOMES.items()):
            print(f"{count:7d}  {name}")
