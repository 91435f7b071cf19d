"""XP operations: spend, withdraw, approve, deny, adjust, scene awards, refunds on leaving play.

Every operation has one shape: outside its transaction ``core.records.recorded``
times it and stores its outcome (so a rolled-back operation is still counted); inside
``transaction.atomic`` it validates its arguments, locks the rows it will change, reads
every value its decision depends on *after* the lock is held, checks who may act
(``game.permissions``), writes the balance with its ledger entry, and returns.

Lock order, the same everywhere so that two operations never deadlock:

1. the scene row (awards only);
2. character rows (``characters_character``) in primary-key order;
3. their ``characters_human`` rows, when a trait is read or written, each in a statement
   of its own *after* the character lock is held. Under READ COMMITTED a statement that
   waited for a lock sees the other tables as they were when it started: a trait read
   through a join that locked only the character row would be the value from before
   the wait — the cause of a lost dot. Locking both rows in one statement would lock
   the human row first (the join's order), and deadlock with a save, which holds the
   character row and then writes the human row;
4. spending requests.

Steps 2 and 3 are ``characters.locks.lock_characters``, the one place that locks
character rows: XP operations, scene awards, status changes (``game.operations.lifecycle``),
integrity repairs (``oversight.integrity``), ``Character.save`` and the bulk writes of
``CharacterQuerySet`` all lock through it. Every write of a character bumps its
``version``, so a form opened before an XP decision cannot save over it
(``characters.ConcurrentEdit``).

Refusals are ``ValidationError`` with a code (``docs/xp.md`` lists them) or
``PermissionDenied``; both are recorded as *rejected*, never as errors.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone

from characters.locks import LockedRow, lock_characters
from characters.models import (
    Character,
    Human,
    Status,
    ledgered_xp,
    record_changes,
    status_label,
)
from characters.traits import TEMPORARY_WILLPOWER, WILLPOWER, XP_TRAITS, TraitSpec
from core.models import Operation
from core.records import recorded
from core.system import system_user
from game import permissions
from game.models import LedgerKind, Scene, SpendStatus, XPLedgerEntry, XPSpendingRequest
from game.operations.costs import trait_cost
from notifications.mail import notify_decision

# The largest single storyteller adjustment; larger corrections are several entries.
MAX_ADJUSTMENT = 10_000


def _max_length(model, name: str) -> int:
    length = getattr(model._meta.get_field(name), "max_length", None)
    assert isinstance(length, int), (model, name)
    return length


NOTE_LENGTH = _max_length(XPLedgerEntry, "note")
DISPLAY_LENGTH = _max_length(XPSpendingRequest, "trait_display")
PLAYER_NOTE_LENGTH = _max_length(XPSpendingRequest, "player_note")
LEFT_PLAY_REASON: dict[str, str] = {
    Status.RETIRED: "Denied automatically: the character retired; cost refunded.",
    Status.DECEASED: "Denied automatically: the character died; cost refunded.",
}

# --- Argument checks -----------------------------------------------------------------


def _fail(message: str, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def _shown(value, limit: int = 40) -> str:
    """``value`` quoted for a message, cut to ``limit`` characters: a refusal names what
    it refused without echoing a megabyte of it back."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _id(value, what: str) -> int:
    """A primary key passed by a caller: a positive whole number."""
    if not _whole(value) or value <= 0:
        raise _fail(f"{_shown(value)} is not a valid {what} id.", f"invalid_{what}", value=value)
    return value


def _text(value, name: str, maximum: int, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise _fail(f"The {name} must be text, not {value!r}.", "invalid_text", field=name)
    if len(value) > maximum:
        raise _fail(
            f"The {name} is {len(value)} characters long; at most {maximum} are kept.",
            "invalid_text",
            field=name,
        )
    if required and not value.strip():
        raise _fail(f"A {name} is required.", "invalid_text", field=name)
    return value


def _trait(name) -> TraitSpec:
    spec = XP_TRAITS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise _fail(f"{_shown(name)} is not a trait XP can raise.", "unknown_trait", trait=name)
    return spec


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "?"


# --- Locks ---------------------------------------------------------------------------


def _lock_character(character_id: int, trait: str | None = None) -> LockedRow:
    """Lock the character row, then (for a trait) its ``characters_human`` row, and return
    their values as read after the locks are held (``characters.locks``)."""
    row = lock_characters([character_id], humans=trait is not None).get(character_id)
    if row is None:
        raise _fail(f"Character {character_id} does not exist.", "unknown_character")
    if trait is not None and row.human is None:
        raise _fail("This character has no rated traits to raise.", "unknown_trait")
    return row


def _lock_pending_request(character_id: int, request_id: int) -> XPSpendingRequest:
    request = (
        XPSpendingRequest.objects.select_for_update(of=("self",))
        .select_related("decided_by")
        .filter(pk=request_id)
        .first()
    )
    if request is None or request.character_id != character_id:
        raise _fail(
            "This XP request does not belong to this character.",
            "invalid_request",
            request_id=request_id,
        )
    if request.status != SpendStatus.PENDING:
        raise already_decided(request)
    return request


def already_decided(request: XPSpendingRequest) -> ValidationError:
    """'This XP request was already approved by helena on 2026-11-26 10:00.'"""
    who = f" by {request.decided_by}" if request.decided_by_id else ""
    return _fail(
        f"This XP request was already {request.status.lower()}{who} on "
        f"{_when(request.decided_at)}.",
        "already_processed",
        status=request.status,
    )


def _sync(character, row: LockedRow, *, xp: int | None = None) -> None:
    """Bring the caller's instance up to date after an operation changed its row."""
    if xp is not None:
        character.xp = xp
        character._loaded_xp = xp
    # Only a copy that was current stays current: a stale copy must stay refusable.
    if character.__dict__.get("version") == row.version:
        character.version = row.version + 1


def _touch(character_id: int, now: datetime, **changes) -> None:
    """Write the character row (``version`` is bumped by the queryset)."""
    with ledgered_xp():
        Character.objects.filter(pk=character_id).update(updated_at=now, **changes)


def record_starting_xp(character: Character) -> None:
    """Ledger entry for the XP a character is created with (called when it is created)."""
    XPLedgerEntry.objects.create(
        character=character,
        amount=character.xp,
        kind=LedgerKind.ADJUSTMENT,
        note="Starting XP",
    )


# --- Spend and withdraw --------------------------------------------------------------


def price(character_row: LockedRow, spec: TraitSpec) -> int:
    return trait_cost(spec.name, character_row.rating(spec.name))


def spend_xp(
    *,
    character: Character,
    trait_name: str,
    trait_display: str | None = None,
    cost: int | None = None,
    category: str | None = None,
    new_value: int | None = None,
    price_set_by=None,
    player_note: str = "",
) -> XPSpendingRequest:
    """Take the price of one dot now and open a Pending request to raise ``trait_name``.
    ``player_note`` (optional, at most 500 characters) tells the storytellers why.

    tg computes the price (``game.operations.costs``). ``cost`` may be passed: equal to tg's
    price it changes nothing; another price needs ``price_set_by``, a storyteller of the
    chronicle who agreed it, and is recorded on the request. ``trait_display`` and
    ``category`` default to the trait's own; given, they must agree with it.
    """
    with recorded(Operation.XP_SPEND, character_id=character.pk):
        spec = _trait(trait_name)
        if category is not None and category != spec.category:
            raise _fail(
                f"{spec.label} is an {spec.category}, not {_shown(category)}.",
                "unknown_trait",
                trait=trait_name,
            )
        display = spec.label if trait_display is None else trait_display
        _text(display, "trait name", DISPLAY_LENGTH, required=True)
        player_note = _text(player_note, "note", PLAYER_NOTE_LENGTH).strip()
        if cost is not None and (not _whole(cost) or cost <= 0):
            raise _fail(
                f"The XP cost must be a positive whole number, not {cost!r}.",
                "invalid_cost",
                cost=cost,
            )
        if new_value is not None and not _whole(new_value):
            raise _fail(f"{new_value!r} is not a rating.", "invalid_value", new_value=new_value)
        with transaction.atomic():
            row = _lock_character(character.pk, trait_name)
            if row.status != Status.APPROVED:
                raise _fail(
                    f"Only approved characters can spend XP; {row.name} is "
                    f"{status_label(row.status)}.",
                    "character_not_active",
                    status=row.status,
                )
            current = row.rating(trait_name)
            target = current + 1 if new_value is None else new_value
            if target != current + 1 or not spec.in_range(target):
                if current >= spec.maximum:
                    message = f"{spec.label} is already at its maximum of {spec.maximum}."
                else:
                    message = (
                        f"{spec.label} is {current}: a request can only raise it to "
                        f"{current + 1}, not {target}."
                    )
                raise _fail(message, "invalid_value", current=current, new_value=target)
            open_request = (
                XPSpendingRequest.objects.filter(
                    character_id=character.pk, trait_name=trait_name, status=SpendStatus.PENDING
                )
                .values("pk", "current_value", "new_value", "cost", "created_at")
                .first()
            )
            if open_request is not None:
                raise _fail(
                    f"{spec.label} already has a pending request (#{open_request['pk']}, "
                    f"{open_request['current_value']} → {open_request['new_value']} for "
                    f"{open_request['cost']} XP, since {_when(open_request['created_at'])}): "
                    "wait for the storyteller's decision or withdraw it first.",
                    "already_pending",
                    request_id=open_request["pk"],
                )
            rule = price(row, spec)
            if cost is None or cost == rule:
                cost, agreed_by = rule, None
            elif price_set_by is None:
                raise _fail(
                    f"Raising {spec.label} from {current} costs {rule} XP, not {cost}; "
                    "a different price needs a storyteller of the chronicle to agree it.",
                    "invalid_cost",
                    cost=cost,
                    price=rule,
                )
            else:
                permissions.decide(
                    price_set_by,
                    chronicle_id=row.chronicle_id,
                    owner_id=row.owner_id,
                    action="agree an XP price",
                )
                agreed_by = price_set_by
            if row.xp < cost:
                raise _fail(
                    f"Raising {spec.label} needs {cost} XP; {row.name} has {row.xp}.",
                    "insufficient_xp",
                    need=cost,
                    have=row.xp,
                )
            now = timezone.now()
            _touch(character.pk, now, xp=F("xp") - cost)
            request = XPSpendingRequest.objects.create(
                character_id=character.pk,
                trait_name=trait_name,
                trait_display=display,
                category=spec.category,
                current_value=current,
                new_value=target,
                cost=cost,
                price_set_by=agreed_by,
                player_note=player_note,
            )
            XPLedgerEntry.objects.create(
                character_id=character.pk,
                amount=-cost,
                kind=LedgerKind.SPEND,
                spend_request=request,
                created_by_id=row.owner_id,
            )
        _sync(character, row, xp=row.xp - cost)
        return request


def withdraw_xp_spend(*, character: Character, request_id: int, by) -> XPSpendingRequest:
    """The owner takes back a Pending request: its cost is refunded, it ends Withdrawn."""
    with recorded(Operation.XP_WITHDRAW, character_id=character.pk):
        request_id = _id(request_id, "request")
        with transaction.atomic():
            row = _lock_character(character.pk)
            if not permissions.is_signed_in(by) or by.pk != row.owner_id:
                raise PermissionDenied("Only the character's player can withdraw its requests.")
            request = _lock_pending_request(character.pk, request_id)
            now = timezone.now()
            _refund(request, by=by, now=now, status=SpendStatus.WITHDRAWN, note="Withdrawn")
        _sync(character, row, xp=row.xp + request.cost)
        return request


# --- Decisions -----------------------------------------------------------------------


def approve_xp_spend(
    *, character: Character, request_id: int, trait_property_name: str, new_value: int, approver
) -> XPSpendingRequest:
    """Approve a Pending request; the trait rises to ``new_value``."""
    with recorded(Operation.XP_APPROVE, character_id=character.pk):
        request_id = _id(request_id, "request")
        spec = _trait(trait_property_name)
        with transaction.atomic():
            row = _lock_character(character.pk, spec.name)
            self_decided = permissions.decide(
                approver,
                chronicle_id=row.chronicle_id,
                owner_id=row.owner_id,
                action="approve XP spends",
            )
            request = _lock_pending_request(character.pk, request_id)
            if row.status != Status.APPROVED:
                raise _fail(
                    f"{row.name} is {status_label(row.status)}: only an approved "
                    "character's requests can be approved (deny it to refund its cost).",
                    "character_not_active",
                    status=row.status,
                )
            if spec.name != request.trait_name:
                raise _fail(
                    f"This request raises {request.trait_display}, not {spec.label}.",
                    "invalid_value",
                )
            current = row.rating(spec.name)
            if current != request.current_value:
                raise _fail(
                    f"{request.trait_display} is now {current}, but this request was made when "
                    f"it was {request.current_value}: it can no longer be approved. Deny it "
                    "to refund its cost.",
                    "stale_request",
                    current=current,
                )
            if new_value != request.new_value or not spec.in_range(new_value):
                raise _fail(
                    f"This request raises {request.trait_display} from {request.current_value} "
                    f"to {request.new_value}, not to {new_value!r}.",
                    "invalid_value",
                    current=current,
                    new_value=new_value,
                )
            now = timezone.now()
            # Two single-table updates (a Human update touching both tables would first
            # SELECT the ids): the trait on characters_human, version on characters_character.
            Human._base_manager.filter(pk=character.pk).update(**{spec.name: new_value})
            _touch(character.pk, now)
            record_changes(
                character.pk,
                {spec.name: (current, new_value)},
                by=approver,
                reason=f"XP request #{request.pk} approved",
            )
            request.status = SpendStatus.APPROVED
            request.decided_at = now
            request.decided_by = approver
            request.self_decided = self_decided
            request.save(update_fields=["status", "decided_at", "decided_by", "self_decided"])
            transaction.on_commit(partial(notify_decision, request.pk, SpendStatus.APPROVED))
        setattr(character, spec.name, new_value)
        _sync(character, row)
        return request


def deny_xp_spend(
    *, character: Character, request_id: int, approver, reason: str = ""
) -> XPSpendingRequest:
    """Deny a Pending request and refund its cost in the same transaction."""
    with recorded(Operation.XP_DENY, character_id=character.pk):
        request_id = _id(request_id, "request")
        _text(reason, "reason", NOTE_LENGTH)
        with transaction.atomic():
            row = _lock_character(character.pk)
            self_decided = permissions.decide(
                approver,
                chronicle_id=row.chronicle_id,
                owner_id=row.owner_id,
                action="deny XP spends",
            )
            request = _lock_pending_request(character.pk, request_id)
            _refund(
                request,
                by=approver,
                now=timezone.now(),
                status=SpendStatus.DENIED,
                note=reason,
                self_decided=self_decided,
            )
            transaction.on_commit(partial(notify_decision, request.pk, SpendStatus.DENIED))
        _sync(character, row, xp=row.xp + request.cost)
        return request


def reverse_approval(
    *, character: Character, request_id: int, by, reason: str
) -> XPSpendingRequest:
    """Undo an approval made by mistake: the trait goes back down, the cost is refunded,
    the request ends Reversed. Nothing is edited or deleted: the refund entry, linked to
    the request, records who reversed it and why. Head storyteller (or superuser) only."""
    with recorded(Operation.XP_REVERSE, character_id=character.pk):
        request_id = _id(request_id, "request")
        _text(reason, "reason", NOTE_LENGTH, required=True)
        with transaction.atomic():
            row = _lock_character(character.pk)
            self_decided = permissions.decide(
                by,
                chronicle_id=row.chronicle_id,
                owner_id=row.owner_id,
                action="reverse XP decisions",
            )
            if not permissions.is_head_storyteller_of(by, row.chronicle_id):
                raise PermissionDenied("Only the head storyteller may reverse a decision.")
            request = (
                XPSpendingRequest.objects.select_for_update()
                .filter(pk=request_id, character_id=character.pk)
                .first()
            )
            if request is None:
                raise _fail("This XP request does not belong to this character.", "invalid_request")
            if request.status != SpendStatus.APPROVED:
                raise _fail(
                    f"Only an approved request can be reversed; this one is "
                    f"{request.status.lower()}.",
                    "invalid_request",
                )
            sheet = _lock_character(character.pk, request.trait_name)
            rating = sheet.rating(request.trait_name)
            on_top = (
                XPSpendingRequest.objects.filter(
                    character_id=character.pk,
                    trait_name=request.trait_name,
                    status=SpendStatus.PENDING,
                )
                .exclude(pk=request.pk)
                .first()
            )
            if on_top is not None:
                # It starts from the rating this reversal would take away: approving it
                # later would be refused as stale, and its dot would be reported lost.
                raise _fail(
                    f"A request to raise {on_top.trait_display} from {on_top.current_value} to "
                    f"{on_top.new_value} is pending (#{on_top.pk}) and builds on this approval: "
                    "deny it or let the player withdraw it first, then reverse this one.",
                    "pending_on_top",
                )
            if rating != request.new_value:
                raise _fail(
                    f"{request.trait_display} is {rating} now, not {request.new_value}: "
                    "reversing this request would not undo it. Correct the sheet by hand "
                    "and adjust the XP with a note instead.",
                    "stale_request",
                    current=rating,
                )
            now = timezone.now()
            lowered = {request.trait_name: (rating, request.current_value)}
            # Temporary willpower never exceeds the permanent rating: when the raise being
            # undone was spent on (or restored into) the pool, the pool comes down with it.
            if request.trait_name == WILLPOWER.name:
                pool = sheet.rating(TEMPORARY_WILLPOWER.name)
                if pool > request.current_value:
                    lowered[TEMPORARY_WILLPOWER.name] = (pool, request.current_value)
            Human._base_manager.filter(pk=character.pk).update(
                **{name: new for name, (_, new) in lowered.items()}
            )
            record_changes(
                character.pk, lowered, by=by, reason=f"XP request #{request.pk} reversed: {reason}"
            )
            _refund(
                request,
                by=by,
                now=now,
                status=SpendStatus.REVERSED,
                note=reason,
                self_decided=self_decided,
                keep_decision=True,
            )
            transaction.on_commit(partial(notify_decision, request.pk, SpendStatus.REVERSED))
        for name, (_, new) in lowered.items():
            setattr(character, name, new)
        _sync(character, row, xp=row.xp + request.cost)
        return request


def _refund(
    request: XPSpendingRequest,
    *,
    by,
    now: datetime,
    status: str,
    note: str,
    self_decided: bool = False,
    keep_decision: bool = False,
) -> None:
    """Give a locked request's cost back and close it (caller holds the locks).

    ``keep_decision``: a reversal keeps who approved and when; the refund entry records
    who reversed it, when and why.
    """
    _touch(request.character_id, now, xp=F("xp") + request.cost)
    XPLedgerEntry.objects.create(
        character_id=request.character_id,
        amount=request.cost,
        kind=LedgerKind.REFUND,
        spend_request=request,
        created_by=by,
        note=note,
        self_decided=self_decided,
    )
    request.status = status
    if keep_decision:
        request.save(update_fields=["status"])
        return
    request.decided_at = now
    request.decided_by = by
    request.note = note
    request.self_decided = self_decided
    request.save(update_fields=["status", "decided_at", "decided_by", "note", "self_decided"])


def refund_requests(
    rows: Sequence[Mapping[str, Any]], *, by, note: str, now: datetime
) -> list[XPLedgerEntry]:
    """Deny and refund many locked Pending requests at once (set-based).

    ``rows`` hold ``pk``, ``character_id`` and ``cost`` of requests whose characters the
    caller has locked. One UPDATE credits each character with the sum of its refunds,
    one INSERT writes the refund entries, one UPDATE closes the requests. Returns the
    entries, in the order of ``rows``. Agrees with ``deny_xp_spend`` entry for entry.
    """
    if not rows:
        return []
    refunds: Counter[int] = Counter()
    for row in rows:
        refunds[row["character_id"]] += row["cost"]
    with ledgered_xp():
        Character.objects.filter(pk__in=list(refunds)).update(
            xp=F("xp")
            + Case(
                *(When(pk=pk, then=Value(amount)) for pk, amount in refunds.items()),
                output_field=IntegerField(),
            ),
            updated_at=now,
        )
    entries = XPLedgerEntry.objects.bulk_create(
        XPLedgerEntry(
            character_id=row["character_id"],
            amount=row["cost"],
            kind=LedgerKind.REFUND,
            spend_request_id=row["pk"],
            created_by=by,
            note=note,
        )
        for row in rows
    )
    XPSpendingRequest.objects.filter(pk__in=[row["pk"] for row in rows]).update(
        status=SpendStatus.DENIED, decided_at=now, decided_by=by, note=note
    )
    return entries


def refund_pending_of_inactive(character_ids: Iterable[int], *, status: str, by=None) -> int:
    """Deny and refund the Pending requests of characters that just left play.

    Called by a status change to Retired or Deceased, inside its transaction, with the
    characters already locked. Returns how many requests were refunded.
    """
    rows = list(
        XPSpendingRequest.objects.select_for_update()
        .filter(character_id__in=list(character_ids), status=SpendStatus.PENDING)
        .order_by("pk")
        .values("pk", "character_id", "cost")
    )
    refund_requests(rows, by=by or system_user(), note=LEFT_PLAY_REASON[status], now=timezone.now())
    return len(rows)


def add_xp(*, character: Character, amount: int, by=None, note: str = "") -> int:
    """A storyteller's adjustment (may be negative, never below 0). Returns the new balance.

    ``by`` is the storyteller; a script without one must say why in ``note``.
    """
    with recorded(Operation.XP_ADJUST, character_id=character.pk):
        if not _whole(amount) or amount == 0 or abs(amount) > MAX_ADJUSTMENT:
            raise _fail(
                f"An XP adjustment must be a non-zero whole number from {-MAX_ADJUSTMENT} to "
                f"{MAX_ADJUSTMENT}, not {amount!r}.",
                "invalid_amount",
                amount=amount,
            )
        _text(note, "note", NOTE_LENGTH, required=by is None)
        with transaction.atomic():
            row = _lock_character(character.pk)
            self_decided = False
            if by is not None:
                self_decided = permissions.decide(
                    by,
                    chronicle_id=row.chronicle_id,
                    owner_id=row.owner_id,
                    action="adjust XP",
                )
            if row.xp + amount < 0:
                raise _fail(
                    f"Cannot take {-amount} XP from {row.name}, who has {row.xp}.",
                    "insufficient_xp",
                    need=-amount,
                    have=row.xp,
                )
            _touch(character.pk, timezone.now(), xp=F("xp") + amount)
            XPLedgerEntry.objects.create(
                character_id=character.pk,
                amount=amount,
                kind=LedgerKind.ADJUSTMENT,
                created_by=by,
                note=note,
                self_decided=self_decided,
            )
        _sync(character, row, xp=row.xp + amount)
        return character.xp


# --- Scene awards --------------------------------------------------------------------


def _award_amount(value, maximum: int) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and 0 <= value <= maximum:
        return value
    raise _fail(
        f"Scene XP must be True/False or a whole number from 0 to {maximum}, not {value!r}.",
        "invalid_amount",
        amount=value,
    )


def _award_key(who) -> int:
    if isinstance(who, Character):
        return who.pk
    if _whole(who) and who > 0:
        return who
    raise _fail(
        f"Scene XP goes to characters (or their ids), not {who!r}.",
        "invalid_character",
        character=str(who),
    )


def award_scene_xp(*, scene: Scene, character_awards: Mapping, by=None) -> int:
    """Award scene XP once, to Approved participants of a finished scene, all or nothing.

    ``character_awards`` maps characters (or ids) to True/False or 0..TG_MAX_SCENE_XP.
    A participant who is not Approved is refused by name when given XP, and skipped when
    given False or 0. ``by`` is the storyteller (head storyteller, or one of the scene's
    game line); without one the award is the system's (demo data, scripts). Returns how
    many characters received XP.
    """
    with recorded(Operation.SCENE_AWARD, scene_id=scene.pk):
        if not isinstance(character_awards, Mapping):
            raise _fail(
                "Scene XP is given as a mapping of characters to amounts.", "invalid_amount"
            )
        maximum = settings.TG_MAX_SCENE_XP
        awards: dict[int, int] = {}
        for who, value in character_awards.items():
            awards[_award_key(who)] = _award_amount(value, maximum)
        with transaction.atomic():
            locked = (
                Scene.objects.select_for_update(of=("self",))
                .select_related("chronicle")
                .filter(pk=scene.pk)
                .first()
            )
            if locked is None:
                raise _fail(f"Scene {scene.pk} does not exist.", "unknown_scene")
            if by is not None and not permissions.may_run_scene(by, locked):
                raise PermissionDenied(
                    "Only the head storyteller or a storyteller of the scene's game line may "
                    "award its XP."
                )
            if locked.xp_given:
                raise already_awarded(locked)
            if not locked.finished:
                raise _fail(
                    f"“{locked.name}” is not finished; XP is awarded after the scene ends.",
                    "scene_not_finished",
                )
            ids = sorted(awards)
            participants = set(locked.participants.filter(pk__in=ids).values_list("pk", flat=True))
            strangers = [pk for pk in ids if pk not in participants]
            if strangers:
                names = ", ".join(
                    Character.objects.filter(pk__in=strangers).values_list("name", flat=True)
                ) or ", ".join(map(str, strangers))
                raise _fail(
                    f"Only participants of “{locked.name}” can receive its XP: {names}.",
                    "not_participant",
                )
            # Lock in primary-key order: two awards sharing characters cannot deadlock.
            rows = list(lock_characters(ids).values())
            inactive = [r.name for r in rows if awards[r.pk] and r.status != Status.APPROVED]
            if inactive:
                raise _fail(
                    f"Only approved characters receive scene XP: {', '.join(inactive)} "
                    "(give them 0 to leave them out).",
                    "character_not_active",
                )
            receiving = [r for r in rows if awards[r.pk] > 0]
            own = [r.name for r in receiving if permissions.is_own(by, r.owner_id)]
            if own:
                raise PermissionDenied(
                    f"You cannot award XP to your own characters ({', '.join(own)}): another "
                    "storyteller of the chronicle does."
                )
            now = timezone.now()
            if receiving:
                with ledgered_xp():
                    Character.objects.filter(pk__in=[r.pk for r in receiving]).update(
                        xp=F("xp")
                        + Case(
                            *(When(pk=r.pk, then=Value(awards[r.pk])) for r in receiving),
                            output_field=IntegerField(),
                        ),
                        updated_at=now,
                    )
                XPLedgerEntry.objects.bulk_create(
                    XPLedgerEntry(
                        character_id=r.pk,
                        amount=awards[r.pk],
                        kind=LedgerKind.AWARD,
                        scene_id=scene.pk,
                        created_by=by,
                        self_decided=by is not None and r.owner_id == by.pk,
                    )
                    for r in receiving
                )
            Scene.objects.filter(pk=scene.pk).update(
                xp_given=True, xp_awarded_at=now, xp_awarded_by=by
            )
        scene.xp_given = True
        scene.xp_awarded_at = now
        scene.xp_awarded_by = by
        return len(receiving)


def already_awarded(scene: Scene) -> ValidationError:
    """'XP for “Rooftops” was already awarded by helena on 2026-11-26 10:00.'"""
    who = f" by {scene.xp_awarded_by}" if scene.xp_awarded_by_id else ""
    return _fail(
        f"XP for “{scene.name}” was already awarded{who} on {_when(scene.xp_awarded_at)}.",
        "xp_already_given",
    )
