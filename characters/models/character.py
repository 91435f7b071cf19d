"""The Character: who owns it, where it plays, its status and its XP pool.

Status changes follow a small state machine (``ALLOWED_TRANSITIONS``). It is checked
in ``clean()`` for forms and on every ``save()`` and ``QuerySet.update()`` so that a
shell or a management command cannot move a Deceased character back to Approved.
The only way around it is the ``status_repair()`` context manager, meant for data
repair by an operator.

XP is changed only through the ledgered operations (``spend_xp``, ``approve_xp_spend``,
``deny_xp_spend``, ``add_xp``; scene awards live on ``Scene``). They are implemented
in ``game.operations.xp`` and exposed here with the signatures the deployment contract names.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, router, transaction
from django.db.models import DEFERRED, F, Q
from django.urls import reverse

from characters.models.history import record_changes


class Status(models.TextChoices):
    UNFINISHED = "Un", "Unfinished"
    SUBMITTED = "Sub", "Submitted"
    APPROVED = "App", "Approved"
    RETIRED = "Ret", "Retired"
    DECEASED = "Dec", "Deceased"


ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.UNFINISHED: frozenset({Status.SUBMITTED, Status.RETIRED}),
    Status.SUBMITTED: frozenset({Status.UNFINISHED, Status.APPROVED, Status.RETIRED}),
    Status.APPROVED: frozenset({Status.RETIRED, Status.DECEASED}),
    Status.RETIRED: frozenset({Status.APPROVED}),
    Status.DECEASED: frozenset(),
}

_repairing: ContextVar[bool] = ContextVar("tg_status_repair", default=False)
_ledgered: ContextVar[bool] = ContextVar("tg_ledgered_xp", default=False)


@contextmanager
def ledgered_xp():
    """The XP operations' pass for ``QuerySet.update(xp=…)``: they write the ledger entry
    in the same transaction. Anyone else's ``update(xp=…)`` is refused, as
    ``bulk_update(["xp"])`` and ``save()`` are (``XP_READONLY_MESSAGE``)."""
    token = _ledgered.set(True)
    try:
        yield
    finally:
        _ledgered.reset(token)


@contextmanager
def status_repair():
    """Allow any status change inside the block (data repair only).

    ``with status_repair(): character.status = "App"; character.save()``
    Database constraints still apply: an unknown status is refused by PostgreSQL.
    """
    token = _repairing.set(True)
    try:
        yield
    finally:
        _repairing.reset(token)


def status_label(value: str | None) -> str:
    """The one label of a status for people ("Approved" for "App"); an unknown stored
    value (pre-constraint data) is shown as it is."""
    return Status(value).label if value in Status.values else str(value)


def transition_error(current: str, new: str) -> str | None:
    """The message refusing ``current → new``, or None when the move is allowed."""
    if current == new or _repairing.get():
        return None
    if new not in Status.values:
        return f"{new!r} is not a valid status."
    allowed = ALLOWED_TRANSITIONS.get(current)
    if allowed is None:
        # An invalid stored status (pre-constraint data) may be moved anywhere valid.
        return None
    if new in allowed:
        return None
    if not allowed:
        return (
            f"A character cannot go from {status_label(current)} to {status_label(new)}: "
            f"{status_label(current)} is final, no status change is allowed."
        )
    targets = ", ".join(status_label(s) for s in Status.values if s in allowed)
    return (
        f"A character cannot go from {status_label(current)} to {status_label(new)}. "
        f"Allowed from {status_label(current)}: {targets}."
    )


INACTIVE_STATUSES = frozenset({Status.RETIRED, Status.DECEASED})
# Fields whose changes the history does not list (XP has its ledger).
UNTRACKED_FIELDS = frozenset({"xp", "version", "updated_at", "created_at"})

XP_READONLY_MESSAGE = (
    "XP changes only through the XP operations (spend_xp, approve_xp_spend, deny_xp_spend, "
    "add_xp, Scene.award_xp), never by saving the character: see docs/xp.md."
)


class ConcurrentEdit(ValidationError):
    """The character changed in the database since this copy of it was loaded."""

    def __init__(self, character):
        super().__init__(
            f"{character} was changed by someone else since you opened it (an XP decision, "
            "a status change or another edit). Nothing was saved: reload it and make your "
            "change again.",
            code="stale",
        )


def _leave_play(character_ids, status: str, by) -> None:
    """Deny and refund the Pending requests of characters that just left play."""
    from game.operations.xp import refund_pending_of_inactive

    refund_pending_of_inactive(character_ids, status=status, by=by)


class CharacterQuerySet(models.QuerySet):
    """Every bulk write bumps ``version`` and respects the status state machine. (Which
    characters a user may see is ``game.permissions``' answer, not the queryset's.)"""

    def update(self, **kwargs):
        """Bump ``version``; refuse status changes the state machine forbids (outside
        ``status_repair``), locking the rows it checks; refund the Pending requests of
        characters it retires or kills."""
        if "xp" in kwargs and not _ledgered.get():
            raise ValidationError(XP_READONLY_MESSAGE, code="xp_readonly")
        kwargs.setdefault("version", F("version") + 1)
        if self.model is not Character:
            # A Human update writes characters_human, then characters_character: take the
            # character locks first, in primary-key order, as every XP operation does.
            with transaction.atomic(using=self.db):
                self._lock_characters()
                return self._update_checked(kwargs)
        return self._update_checked(kwargs)

    def _lock_characters(self) -> dict[int, str]:
        from characters.locks import lock_characters

        locked = lock_characters(self.order_by().values("pk"), using=self.db)
        return {pk: row.status for pk, row in locked.items()}

    def _update_checked(self, kwargs):
        if "status" not in kwargs:
            return super().update(**kwargs)
        new = kwargs["status"]
        if _repairing.get():
            return super().update(**kwargs)
        if not isinstance(new, str):
            raise ValidationError(
                {"status": "Status can only be set to a plain value outside status_repair()."},
                code="invalid_transition",
            )
        sources = [s for s, targets in ALLOWED_TRANSITIONS.items() if new in targets] + [new]
        with transaction.atomic(using=self.db):
            # Lock before checking: a concurrent App→Dec must not slip past an App→Ret.
            locked = self._lock_characters()
            for current in locked.values():
                if current not in sources:
                    raise ValidationError(
                        {"status": transition_error(current, new)}, code="invalid_transition"
                    )
            count = super().update(**kwargs)
            for pk, old in locked.items():
                record_changes(pk, {"status": (old, new)}, reason="bulk status update")
            if new in INACTIVE_STATUSES:
                _leave_play([pk for pk, old in locked.items() if old != new], new, None)
            return count

    def bulk_update(self, objs, fields, batch_size=None):
        """Refuse stale objects and status moves the state machine forbids; bump versions."""
        objs = list(objs)
        fields = list(fields)
        if "xp" in fields:
            raise ValidationError(XP_READONLY_MESSAGE, code="xp_readonly")
        with transaction.atomic(using=self.db):
            from characters.locks import lock_characters

            stored = {
                pk: (row.status, row.version)
                for pk, row in lock_characters([obj.pk for obj in objs], using=self.db).items()
            }
            leaving = []
            for obj in objs:
                status, version = stored.get(obj.pk, (obj.status, obj.version))
                if "version" in obj.__dict__ and obj.version != version:
                    raise ConcurrentEdit(obj)
                if "status" in fields and not _repairing.get():
                    message = transition_error(status, obj.status)
                    if message:
                        raise ValidationError({"status": message}, code="invalid_transition")
                if "status" in fields and obj.status in INACTIVE_STATUSES and status != obj.status:
                    leaving.append(obj)
                obj.version = version + 1
            if "version" not in fields:
                fields.append("version")
            # Checked above; the CASE expression bulk_update builds is not a plain value.
            with status_repair():
                count = super().bulk_update(objs, fields, batch_size=batch_size)
            for status in INACTIVE_STATUSES:
                ids = [obj.pk for obj in leaving if obj.status == status]
                if ids:
                    _leave_play(ids, status, None)
            return count

    def bulk_create(self, objs, *args, **kwargs):
        """Create the characters and the ledger entry of any XP they start with."""
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            from game.operations.xp import record_starting_xp

            for obj in created:
                obj._loaded_xp = obj.xp  # type: ignore[attr-defined]
                if obj.xp:  # type: ignore[attr-defined]
                    record_starting_xp(obj)  # type: ignore[arg-type]
        return created


class Character(models.Model):
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="characters"
    )
    chronicle = models.ForeignKey(
        "game.Chronicle",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="characters",
    )
    npc = models.BooleanField("NPC", default=False)
    concept = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=3, choices=Status.choices, default=Status.UNFINISHED, db_index=True
    )
    xp = models.IntegerField(
        "XP",
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Unspent experience. Changed only through ledgered XP operations.",
    )
    version = models.PositiveIntegerField(
        default=1,
        db_default=1,
        help_text="Bumped by every write of the character; a save of an older copy is refused.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CharacterQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(xp__gte=0),
                name="characters_character_xp_nonnegative",
                violation_error_message="XP cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values),
                name="characters_character_status_valid",
                violation_error_message="Status must be one of Un, Sub, App, Ret, Dec.",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, changed_by=None, reason="", **kwargs):
        """Insert, or update the fields of an existing character under its row lock.

        An update is refused when the stored ``version`` differs from this copy's
        (``ConcurrentEdit``: someone changed the character since it was loaded) or when
        it would change ``xp`` (only the XP operations move XP). A status move is checked
        against the state machine; moving to Retired or Deceased denies and refunds the
        character's Pending requests in the same transaction, decided by ``changed_by``
        (or tg's system account when a script saves). Every changed field is written to
        the character's history (``CharacterChange``) with ``changed_by`` and ``reason``.
        """
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        if self._state.adding:
            with transaction.atomic(using=using):
                super().save(*args, **kwargs)
                if self.xp:
                    from game.operations.xp import record_starting_xp

                    record_starting_xp(self)
            self._loaded_xp = self.xp
            return
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            update_fields = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in ("xp", "version")
            ]
        else:
            update_fields = [f for f in update_fields if f != "version"]
        if "xp" in update_fields or self._xp_changed():
            raise ValidationError(XP_READONLY_MESSAGE, code="xp_readonly")
        from characters.locks import lock_characters

        with transaction.atomic(using=using):
            row = lock_characters([self.pk], using=using).get(self.pk)
            stored = (row.status, row.version) if row is not None else None
            if stored is None:
                # Deleted meanwhile: Django reports it ("did not affect any rows").
                kwargs["update_fields"] = update_fields
                return super().save(*args, **kwargs)
            status, version = stored
            if "version" in self.__dict__ and self.version != version:
                raise ConcurrentEdit(self)
            if "status" in update_fields:
                message = transition_error(status, self.status)
                if message:
                    raise ValidationError({"status": message}, code="invalid_transition")
            tracked = [f for f in update_fields if f not in UNTRACKED_FIELDS]
            before = (
                type(self)._base_manager.using(using).filter(pk=self.pk).values(*tracked).first()
                if tracked
                else {}
            )
            self.version = version + 1
            kwargs["update_fields"] = [*update_fields, "version"]
            super().save(*args, **kwargs)
            record_changes(
                self.pk,
                {f: (before[f], getattr(self, self._meta.get_field(f).attname)) for f in tracked}  # type: ignore[union-attr]
                if before
                else {},
                by=changed_by,
                reason=reason,
            )
            leaving = self.status in INACTIVE_STATUSES and status != self.status
            if "status" in update_fields and leaving:
                _leave_play([self.pk], self.status, changed_by)

    def get_absolute_url(self):
        return reverse("character-sheet", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):  # type: ignore[override]
        instance = super().from_db(db, field_names, values)
        instance._loaded_xp = instance.__dict__.get("xp", DEFERRED)
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "xp" in fields:
            self._loaded_xp = self.xp

    def _xp_changed(self) -> bool:
        loaded = getattr(self, "_loaded_xp", DEFERRED)
        return loaded is not DEFERRED and "xp" in self.__dict__ and self.xp != loaded

    def clean(self):
        super().clean()
        if self.pk is None:
            return
        # Inside a transaction (the admin's change form) the row stays locked until the
        # save that follows, so nothing can slip between this check and the write.
        stored = self._stored(lock=transaction.get_connection().in_atomic_block)
        if stored is None:
            return
        status, version = stored
        if "version" in self.__dict__ and self.version != version:
            raise ConcurrentEdit(self)
        # An unknown status is reported by the field's own choices validation.
        if self.status in Status.values:
            message = transition_error(status, self.status)
            if message:
                raise ValidationError({"status": message}, code="invalid_transition")

    def _stored(self, *, lock: bool, using=None) -> tuple[str, int] | None:
        from characters.locks import lock_characters

        if lock:
            row = lock_characters([self.pk], using=using).get(self.pk)
            return (row.status, row.version) if row is not None else None
        qs = Character.objects.using(using) if using else Character.objects
        return qs.filter(pk=self.pk).values_list("status", "version").first()

    # --- XP operations (implemented in game.operations.xp) ----------------------------------------

    def spend_xp(
        self, trait_name, trait_display=None, cost=None, category=None, new_value=None, **kw
    ):
        """Take the price of one dot now and open a Pending request to raise ``trait_name``.

        tg computes the price; ``cost`` other than tg's needs ``price_set_by=`` a
        storyteller (see ``game.operations.xp.spend_xp``).
        """
        from game.operations import xp

        return xp.spend_xp(
            character=self,
            trait_name=trait_name,
            trait_display=trait_display,
            cost=cost,
            category=category,
            new_value=new_value,
            **kw,
        )

    def withdraw_xp_spend(self, request_id, by):
        """The owner takes back a Pending request; its cost is refunded."""
        from game.operations import xp

        return xp.withdraw_xp_spend(character=self, request_id=request_id, by=by)

    def approve_xp_spend(self, request_id, trait_property_name, new_value, approver):
        """Approve a Pending request: the trait rises to ``new_value``."""
        from game.operations import xp

        return xp.approve_xp_spend(
            character=self,
            request_id=request_id,
            trait_property_name=trait_property_name,
            new_value=new_value,
            approver=approver,
        )

    def deny_xp_spend(self, request_id, approver, reason=""):
        """Deny a Pending request: its cost comes back through a refund entry."""
        from game.operations import xp

        return xp.deny_xp_spend(
            character=self, request_id=request_id, approver=approver, reason=reason
        )

    def reverse_approval(self, request_id, by, reason):
        """Head storyteller: undo an approval (trait back down, cost refunded)."""
        from game.operations import xp

        return xp.reverse_approval(character=self, request_id=request_id, by=by, reason=reason)

    def add_xp(self, amount, by=None, note=""):
        """A storyteller's ledgered adjustment (positive or negative, never below 0)."""
        from game.operations import xp

        return xp.add_xp(character=self, amount=amount, by=by, note=note)
