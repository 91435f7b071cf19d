"""XP operations: spend, approve, deny, adjust and scene awards.

Every operation has one shape: inside ``transaction.atomic`` it locks the rows it
changes (``select_for_update``), checks, writes the balance and its ledger entry, and
returns; around the transaction ``core.operations.recorded`` stores its outcome and
duration, so a rolled-back operation is still counted.

Locking order, the same everywhere so that two operations can never deadlock:
scene row first (awards only), then ``characters_character`` rows in primary-key
order, then the spending request. Locks are taken on the character (parent) row
only: it is the single point every XP change of that character serialises on, and
the trait update of the ``characters_human`` row happens while it is held.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone

from characters.models import Character, Human, Status
from characters.traits import XP_TRAITS
from core.models import Operation
from core.operations import recorded

from . import spend_sql
from .models import (
    Chronicle,
    LedgerKind,
    Scene,
    SpendStatus,
    XPLedgerEntry,
    XPSpendingRequest,
)


def _fail(message: str, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def _is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _status_label(status: str) -> str:
    try:
        return Status(status).label
    except ValueError:
        return status


def _missing(character_id: int):
    """The error for a character row that could not be locked."""
    if Character.objects.filter(pk=character_id).exists():
        return _fail("This character has no rated traits to raise.", "unknown_trait")
    return Character.DoesNotExist(f"Character {character_id} does not exist.")


def _lock_character(character_id: int, *fields: str) -> dict:
    """Lock the character row and return the requested values (Human fields allowed)."""
    model = Human if any(f in XP_TRAITS for f in fields) else Character
    qs = model.objects.filter(pk=character_id).order_by().values(*fields)
    # Lock only the parent row (Human queries join both tables).
    qs = qs.select_for_update(of=("character_ptr",) if model is Human else ("self",))
    row = next(iter(qs[:1]), None)
    if row is None:
        raise _missing(character_id)
    return row


def _require_storyteller(user, chronicle_id: int | None, action: str) -> None:
    """Staff always; otherwise the head or an assistant storyteller of the chronicle."""
    if user is not None and getattr(user, "is_staff", False):
        return
    if user is None or chronicle_id is None:
        raise PermissionDenied(f"Only a storyteller of the character's chronicle may {action}.")
    is_st = Chronicle.objects.filter(
        Q(head_st=user) | Q(st_relationships__user=user), pk=chronicle_id
    ).exists()
    if not is_st:
        raise PermissionDenied(f"Only a storyteller of the character's chronicle may {action}.")


def _lock_pending_request(character_id: int, request_id) -> XPSpendingRequest:
    request = XPSpendingRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None or request.character_id != character_id:
        raise _fail(
            "This XP request does not belong to this character.",
            "invalid_request",
            request_id=request_id,
        )
    if request.status != SpendStatus.PENDING:
        decided = timezone.localtime(request.decided_at).strftime("%Y-%m-%d %H:%M")
        raise _fail(
            f"This XP request was already {request.status.lower()} on {decided}.",
            "already_processed",
            status=request.status,
        )
    return request


def record_starting_xp(character: Character) -> None:
    """Ledger entry for the XP a character is created with (called from ``save``)."""
    XPLedgerEntry.objects.create(
        character=character,
        amount=character.xp,
        kind=LedgerKind.ADJUSTMENT,
        note="Starting XP",
    )


def spend_xp(*, character, trait_name, trait_display, cost, category, new_value=None):
    """Deduct ``cost`` now and open a Pending request to raise ``trait_name`` one dot."""
    with recorded(Operation.XP_SPEND, character_id=character.pk):
        spec = XP_TRAITS.get(trait_name)
        if spec is None:
            raise _fail(
                f"{trait_display or trait_name} is not a trait XP can raise.",
                "unknown_trait",
                trait=trait_name,
            )
        if category != spec.category:
            raise _fail(
                f"{spec.label} is a {spec.category}, not a {category}.",
                "unknown_trait",
                trait=trait_name,
            )
        if not _is_positive_int(cost):
            raise _fail(
                f"The XP cost must be a positive whole number, not {cost!r}.",
                "invalid_cost",
                cost=cost,
            )
        with transaction.atomic():
            row = spend_sql.lock_character(character.pk, trait_name)
            if row is None:
                raise _missing(character.pk)
            status, xp, name, current = row
            if status != Status.APPROVED:
                raise _fail(
                    f"Only approved characters can spend XP; {name} is {_status_label(status)}.",
                    "character_not_active",
                    status=status,
                )
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
            if xp < cost:
                raise _fail(
                    f"Raising {trait_display} needs {cost} XP; {name} has {xp}.",
                    "insufficient_xp",
                    need=cost,
                    have=xp,
                )
            request = spend_sql.write_spend(
                character_id=character.pk,
                owner_id=character.owner_id,
                trait_name=trait_name,
                trait_display=trait_display,
                category=category,
                current=current,
                new_value=target,
                cost=cost,
                now=timezone.now(),
            )
        character.xp = xp - cost
        return request


def approve_xp_spend(*, character, request_id, trait_property_name, new_value, approver):
    """Approve a Pending request; the trait rises to ``new_value``."""
    with recorded(Operation.XP_APPROVE, character_id=character.pk):
        with transaction.atomic():
            spec = XP_TRAITS.get(trait_property_name)
            trait_fields = (trait_property_name,) if spec else ()
            row = _lock_character(character.pk, "chronicle_id", *trait_fields)
            _require_storyteller(approver, row["chronicle_id"], "approve XP spends")
            request = _lock_pending_request(character.pk, request_id)
            if trait_property_name != request.trait_name or spec is None:
                raise _fail(
                    f"This request raises {request.trait_display}, not {trait_property_name}.",
                    "invalid_value",
                )
            current = row[trait_property_name]
            if new_value != request.new_value or new_value != current + 1:
                raise _fail(
                    f"{request.trait_display} is {current}; this request raises it from "
                    f"{request.current_value} to {request.new_value}, so it cannot become "
                    f"{new_value}.",
                    "invalid_value",
                    current=current,
                    new_value=new_value,
                )
            if not spec.in_range(new_value):
                raise _fail(
                    f"{request.trait_display} cannot go above {spec.maximum}.", "invalid_value"
                )
            now = timezone.now()
            # Two single-table updates: one Human update touching both tables would first
            # SELECT the ids to update.
            Human.objects.filter(pk=character.pk).update(**{trait_property_name: new_value})
            Character.objects.filter(pk=character.pk).update(updated_at=now)
            request.status = SpendStatus.APPROVED
            request.decided_at = now
            request.decided_by = approver
            request.save(update_fields=["status", "decided_at", "decided_by"])
        setattr(character, trait_property_name, new_value)
        return request


def deny_xp_spend(*, character, request_id, approver, reason=""):
    """Deny a Pending request and refund its cost in the same transaction."""
    with recorded(Operation.XP_DENY, character_id=character.pk):
        with transaction.atomic():
            row = _lock_character(character.pk, "chronicle_id", "xp")
            _require_storyteller(approver, row["chronicle_id"], "deny XP spends")
            request = _lock_pending_request(character.pk, request_id)
            now = timezone.now()
            Character.objects.filter(pk=character.pk).update(
                xp=F("xp") + request.cost, updated_at=now
            )
            XPLedgerEntry.objects.create(
                character_id=character.pk,
                amount=request.cost,
                kind=LedgerKind.REFUND,
                spend_request=request,
                created_by=approver,
                note=reason[:500],
            )
            request.status = SpendStatus.DENIED
            request.decided_at = now
            request.decided_by = approver
            request.note = reason
            request.save(update_fields=["status", "decided_at", "decided_by", "note"])
        character.xp = row["xp"] + request.cost
        return request


def add_xp(*, character, amount, by=None, note=""):
    """A storyteller's adjustment (may be negative, never below 0). Returns the new balance."""
    with recorded(Operation.XP_ADJUST, character_id=character.pk):
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
            raise _fail(
                f"An XP adjustment must be a non-zero whole number, not {amount!r}.",
                "invalid_amount",
                amount=amount,
            )
        with transaction.atomic():
            row = _lock_character(character.pk, "chronicle_id", "xp", "name")
            if by is not None:
                _require_storyteller(by, row["chronicle_id"], "adjust XP")
            if row["xp"] + amount < 0:
                raise _fail(
                    f"Cannot take {-amount} XP from {row['name']}, who has {row['xp']}.",
                    "insufficient_xp",
                    need=-amount,
                    have=row["xp"],
                )
            Character.objects.filter(pk=character.pk).update(
                xp=F("xp") + amount, updated_at=timezone.now()
            )
            XPLedgerEntry.objects.create(
                character_id=character.pk,
                amount=amount,
                kind=LedgerKind.ADJUSTMENT,
                created_by=by,
                note=note[:500],
            )
        character.xp = row["xp"] + amount
        return character.xp


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


def award_scene_xp(*, scene, character_awards, by=None):
    """Award scene XP once, to participants of a finished scene, all or nothing.

    Returns how many characters received XP.
    """
    with recorded(Operation.SCENE_AWARD, scene_id=scene.pk):
        maximum = settings.TG_MAX_SCENE_XP
        awards: dict[int, int] = {}
        for who, value in character_awards.items():
            pk = who.pk if isinstance(who, Character) else who
            awards[pk] = _award_amount(value, maximum)
        if by is not None:
            _require_storyteller(by, scene.chronicle_id, "award scene XP")
        with transaction.atomic():
            locked = Scene.objects.select_for_update().filter(pk=scene.pk).first()
            if locked is None:
                raise Scene.DoesNotExist(f"Scene {scene.pk} does not exist.")
            if locked.xp_given:
                awarded = timezone.localtime(locked.xp_awarded_at).strftime("%Y-%m-%d %H:%M")
                raise _fail(
                    f"XP for “{locked.name}” was already awarded on {awarded}.",
                    "xp_already_given",
                )
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
            receiving = [pk for pk in ids if awards[pk] > 0]
            now = timezone.now()
            if receiving:
                # Lock in primary-key order: two awards sharing characters cannot deadlock.
                list(
                    Character.objects.select_for_update()
                    .filter(pk__in=receiving)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
                Character.objects.filter(pk__in=receiving).update(
                    xp=F("xp")
                    + Case(
                        *(When(pk=pk, then=Value(awards[pk])) for pk in receiving),
                        output_field=IntegerField(),
                    ),
                    updated_at=now,
                )
                XPLedgerEntry.objects.bulk_create(
                    XPLedgerEntry(
                        character_id=pk,
                        amount=awards[pk],
                        kind=LedgerKind.AWARD,
                        scene_id=scene.pk,
                        created_by=by,
                    )
                    for pk in receiving
                )
            Scene.objects.filter(pk=scene.pk).update(xp_given=True, xp_awarded_at=now)
        scene.xp_given = True
        scene.xp_awarded_at = now
        return len(receiving)
