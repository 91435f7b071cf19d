"""The Character: who owns it, where it plays, its status and its XP pool.

Status changes follow a small state machine (``ALLOWED_TRANSITIONS``). It is checked
in ``clean()`` for forms and on every ``save()`` and ``QuerySet.update()`` so that a
shell or a management command cannot move a Deceased character back to Approved.
The only way around it is the ``status_repair()`` context manager, meant for data
repair by an operator.

XP is changed only through the ledgered operations (``spend_xp``, ``approve_xp_spend``,
``deny_xp_spend``, ``add_xp``; scene awards live on ``Scene``). They are implemented
in ``game.xp`` and exposed here with the signatures the deployment contract names.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, router, transaction
from django.db.models import Q


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


def _label(status: str) -> str:
    try:
        return Status(status).label
    except ValueError:
        return repr(status)


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
            f"A character cannot go from {_label(current)} to {_label(new)}: "
            f"{_label(current)} is final, no status change is allowed."
        )
    targets = ", ".join(_label(s) for s in Status.values if s in allowed)
    return (
        f"A character cannot go from {_label(current)} to {_label(new)}. "
        f"Allowed from {_label(current)}: {targets}."
    )


class CharacterQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """Refuse bulk status changes the state machine forbids (outside ``status_repair``)."""
        if "status" not in kwargs or _repairing.get():
            return super().update(**kwargs)
        new = kwargs["status"]
        if not isinstance(new, str):
            raise ValidationError(
                {"status": "Status can only be set to a plain value outside status_repair()."},
                code="invalid_transition",
            )
        sources = [s for s, targets in ALLOWED_TRANSITIONS.items() if new in targets] + [new]
        with transaction.atomic(using=self.db):
            offending = self.exclude(status__in=sources).values_list("status", flat=True)[:1]
            for current in offending:
                raise ValidationError(
                    {"status": transition_error(current, new)}, code="invalid_transition"
                )
            return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        """Check every object's status move against its stored status, then update."""
        if "status" not in fields or _repairing.get():
            return super().bulk_update(objs, fields, batch_size=batch_size)
        objs = list(objs)
        with transaction.atomic(using=self.db):
            stored = dict(
                self.model._base_manager.using(self.db)
                .select_for_update()
                .filter(pk__in=[obj.pk for obj in objs])
                .values_list("pk", "status")
            )
            for obj in objs:
                message = transition_error(stored.get(obj.pk, obj.status), obj.status)
                if message:
                    raise ValidationError({"status": message}, code="invalid_transition")
            # Checked above; the CASE expression bulk_update builds is not a plain value.
            with status_repair():
                return super().bulk_update(objs, fields, batch_size=batch_size)


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

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        adding = self._state.adding
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        if not adding:
            # XP moves only through the ledgered operations: a full save of an instance
            # loaded before a spend or award must not write its stale balance back.
            if update_fields is None:
                update_fields = [
                    f.name
                    for f in self._meta.concrete_fields
                    if not f.primary_key and f.name != "xp"
                ]
            elif "xp" in update_fields:
                raise ValueError("xp changes only through the XP operations (see docs/xp.md)")
            kwargs["update_fields"] = update_fields
        with transaction.atomic(using=using):
            if not adding and "status" in update_fields:
                self._check_transition(lock=True, using=using)
            super().save(*args, **kwargs)
            if adding and self.xp:
                from game.xp import record_starting_xp

                record_starting_xp(self)

    def clean(self):
        super().clean()
        # An unknown status is reported by the field's own choices validation.
        if self.pk is not None and self.status in Status.values:
            self._check_transition(lock=False)

    def _stored_status(self, *, lock: bool, using=None) -> str | None:
        qs = Character.objects.using(using) if using else Character.objects
        if lock:
            qs = qs.select_for_update()
        return qs.filter(pk=self.pk).values_list("status", flat=True).first()

    def _check_transition(self, *, lock: bool, using=None) -> None:
        current = self._stored_status(lock=lock, using=using)
        if current is None:
            return
        message = transition_error(current, self.status)
        if message:
            raise ValidationError({"status": message}, code="invalid_transition")

    @property
    def allowed_statuses(self) -> list[str]:
        return sorted(ALLOWED_TRANSITIONS.get(self.status, ()))

    # --- XP operations (implemented in game.xp) ----------------------------------------

    def spend_xp(self, trait_name, trait_display, cost, category, new_value=None):
        """Take ``cost`` XP now and open a Pending request to raise ``trait_name``."""
        from game import xp

        return xp.spend_xp(
            character=self,
            trait_name=trait_name,
            trait_display=trait_display,
            cost=cost,
            category=category,
            new_value=new_value,
        )

    def approve_xp_spend(self, request_id, trait_property_name, new_value, approver):
        """Approve a Pending request: the trait rises to ``new_value``."""
        from game import xp

        return xp.approve_xp_spend(
            character=self,
            request_id=request_id,
            trait_property_name=trait_property_name,
            new_value=new_value,
            approver=approver,
        )

    def deny_xp_spend(self, request_id, approver, reason=""):
        """Deny a Pending request: its cost comes back through a refund entry."""
        from game import xp

        return xp.deny_xp_spend(
            character=self, request_id=request_id, approver=approver, reason=reason
        )

    def add_xp(self, amount, by=None, note=""):
        """A storyteller's ledgered adjustment (positive or negative, never below 0)."""
        from game import xp

        return xp.add_xp(character=self, amount=amount, by=by, note=note)
