"""Chronicles, storytellers, scenes, XP spending requests and the XP ledger."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Now
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from characters.traits import Category


def _invitation_token() -> str:
    return secrets.token_urlsafe(24)


def _invitation_expiry():
    return timezone.now() + timedelta(days=settings.TG_INVITATION_DAYS)


class Gameline(models.Model):
    """A World of Darkness game line (loaded by a data migration)."""

    name = models.CharField(max_length=100, unique=True)
    short_name = models.CharField(max_length=10, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Chronicle(models.Model):
    name = models.CharField(max_length=200)
    head_st = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="headed_chronicles",
        verbose_name="head storyteller",
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ChronicleMembership(models.Model):
    """A player who belongs to a chronicle (joined through an invitation, or added by staff)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chronicle_memberships"
    )
    chronicle = models.ForeignKey(Chronicle, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["chronicle", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "chronicle"],
                name="game_chroniclemembership_user_chronicle_unique",
                violation_error_message="This user is already a member of this chronicle.",
            )
        ]

    def __str__(self):
        return f"{self.user} in {self.chronicle}"


class InvitationQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=Now())


class Invitation(models.Model):
    """A single-use, expiring, revocable link that makes its holder a member of a
    chronicle (creating their account first if they have none)."""

    chronicle = models.ForeignKey(Chronicle, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True, default=_invitation_token)
    note = models.CharField(
        max_length=200, blank=True, help_text="Who it is for (only storytellers see it)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Invitation to {self.chronicle} ({self.state})"

    def get_absolute_url(self):
        return reverse("invitation", args=[self.token])

    @property
    def state(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class STRelationship(models.Model):
    """A user who storytells ``gameline`` in ``chronicle``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="st_relationships"
    )
    chronicle = models.ForeignKey(
        Chronicle, on_delete=models.CASCADE, related_name="st_relationships"
    )
    gameline = models.ForeignKey(Gameline, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["chronicle", "user", "gameline"]
        verbose_name = "storyteller relationship"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "chronicle", "gameline"],
                name="game_strelationship_user_chronicle_gameline_unique",
                violation_error_message=(
                    "This user is already a storyteller of that game line in this chronicle."
                ),
            )
        ]

    def __str__(self):
        return f"{self.user} — {self.chronicle} ({self.gameline})"


class Scene(models.Model):
    chronicle = models.ForeignKey(Chronicle, on_delete=models.CASCADE, related_name="scenes")
    gameline = models.ForeignKey(
        Gameline, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200)
    participants = models.ManyToManyField("characters.Character", blank=True, related_name="scenes")
    date_played = models.DateField(null=True, blank=True)
    finished = models.BooleanField(default=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    xp_given = models.BooleanField("XP given", default=False)
    xp_awarded_at = models.DateTimeField("XP awarded at", null=True, blank=True)
    xp_awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="XP awarded by",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date_played", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(xp_given=False) | Q(finished=True),
                name="game_scene_xp_given_requires_finished",
                violation_error_message="Scene XP can only be given once the scene is finished.",
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Keep ``finished_at`` in step with ``finished``.

        Set when the scene becomes finished; cleared when it is reopened (possible only
        before its XP is awarded: the constraint above refuses it afterwards).
        """
        before = self.finished_at
        if self.finished and self.finished_at is None:
            self.finished_at = timezone.now()
        elif not self.finished and self.finished_at is not None and not self.xp_given:
            self.finished_at = None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and self.finished_at != before:
            kwargs["update_fields"] = {*update_fields, "finished_at"}
        super().save(*args, **kwargs)

    def award_xp(self, character_awards, awarded_by=None):
        """Award scene XP to participants once, all or nothing. Returns how many got XP."""
        from game.operations import xp

        return xp.award_scene_xp(scene=self, character_awards=character_awards, by=awarded_by)


class SpendStatus(models.TextChoices):
    PENDING = "Pending", "Pending"
    APPROVED = "Approved", "Approved"
    DENIED = "Denied", "Denied"
    WITHDRAWN = "Withdrawn", "Withdrawn"
    REVERSED = "Reversed", "Reversed"


class XPSpendingRequestQuerySet(models.QuerySet):
    def decisions(self):
        """Requests a storyteller decided, newest decision first, each with who reversed it,
        when and why (``reversed_by_id``/``_name``, ``reversed_at``, ``reversal_note``; ``None``
        unless Reversed): a reversal keeps the approval's ``decided_by``/``decided_at`` and
        is recorded on its refund entry. A player's own withdrawal is not a decision."""
        refund = XPLedgerEntry.objects.filter(
            spend_request=models.OuterRef("pk"), kind=LedgerKind.REFUND
        )
        reversal = Q(status=SpendStatus.REVERSED)
        return (
            self.exclude(status__in=[SpendStatus.PENDING, SpendStatus.WITHDRAWN])
            .annotate(
                reversed_by_id=models.Case(
                    models.When(reversal, then=models.Subquery(refund.values("created_by")[:1])),
                    output_field=models.IntegerField(),
                ),
                reversed_by_name=models.Case(
                    models.When(
                        reversal,
                        then=models.Subquery(refund.values("created_by__username")[:1]),
                    )
                ),
                reversed_at=models.Case(
                    models.When(reversal, then=models.Subquery(refund.values("created_at")[:1]))
                ),
                reversal_note=models.Case(
                    models.When(reversal, then=models.Subquery(refund.values("note")[:1]))
                ),
                last_decided_at=Coalesce("reversed_at", "decided_at"),
                last_decided_by_id=Coalesce(
                    "reversed_by_id", "decided_by", output_field=models.IntegerField()
                ),
            )
            .order_by(models.F("last_decided_at").desc(nulls_last=True), "-pk")
        )


class XPSpendingRequest(models.Model):
    """A player's request to raise a trait; its cost has already left the XP pool."""

    character = models.ForeignKey(
        "characters.Character", on_delete=models.PROTECT, related_name="xp_requests"
    )
    trait_name = models.CharField(max_length=50)
    trait_display = models.CharField(max_length=100)
    category = models.CharField(max_length=20, choices=Category.CHOICES)
    current_value = models.SmallIntegerField()
    new_value = models.SmallIntegerField()
    cost = models.IntegerField()
    status = models.CharField(
        max_length=10, choices=SpendStatus.choices, default=SpendStatus.PENDING, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_xp_requests",
    )
    note = models.TextField(blank=True)
    player_note = models.CharField(
        max_length=500,
        blank=True,
        default="",
        db_default="",
        help_text="Why the player wants the dot, for the storytellers (optional).",
    )
    price_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The storyteller who agreed a price other than tg's cost rule, if any.",
    )
    self_decided = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Decided by the character's own player acting as storyteller "
        "(only when TG_ALLOW_SELF_DECISIONS is on).",
    )

    objects = XPSpendingRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "XP spending request"
        constraints = [
            models.CheckConstraint(
                condition=Q(cost__gt=0),
                name="game_xpspendingrequest_cost_positive",
                violation_error_message="The XP cost must be positive.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SpendStatus.values),
                name="game_xpspendingrequest_status_valid",
                violation_error_message=(
                    "Status must be Pending, Approved, Denied, Withdrawn or Reversed."
                ),
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=SpendStatus.PENDING, decided_at__isnull=True, decided_by__isnull=True)
                    | (
                        ~Q(status=SpendStatus.PENDING)
                        & Q(decided_at__isnull=False, decided_by__isnull=False)
                    )
                ),
                name="game_xpspendingrequest_decided_fields_decided",
                violation_error_message=(
                    "A decided request records when and by whom; a pending one records neither."
                ),
            ),
            models.UniqueConstraint(
                fields=["character", "trait_name"],
                condition=Q(status=SpendStatus.PENDING),
                name="game_xpspendingrequest_one_pending_per_trait",
                violation_error_message="This trait already has a pending XP request.",
            ),
        ]

    def __str__(self):
        return f"{self.character}: {self.trait_display} {self.current_value}→{self.new_value}"


class LedgerKind(models.TextChoices):
    AWARD = "award", "Award"
    SPEND = "spend", "Spend"
    REFUND = "refund", "Refund"
    ADJUSTMENT = "adjustment", "Adjustment"


class XPLedgerEntry(models.Model):
    """One change of a character's XP. A character's ``xp`` is the sum of its entries."""

    character = models.ForeignKey(
        "characters.Character", on_delete=models.PROTECT, related_name="xp_entries"
    )
    amount = models.IntegerField()
    kind = models.CharField(max_length=10, choices=LedgerKind.choices)
    scene = models.ForeignKey(
        Scene, on_delete=models.PROTECT, null=True, blank=True, related_name="xp_entries"
    )
    spend_request = models.ForeignKey(
        XPSpendingRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(max_length=500, blank=True)
    self_decided = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Written by the character's own player acting as storyteller "
        "(only when TG_ALLOW_SELF_DECISIONS is on).",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "XP ledger entry"
        verbose_name_plural = "XP ledger entries"
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount=0),
                name="game_xpledgerentry_amount_nonzero",
                violation_error_message="A ledger entry must change XP.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LedgerKind.values),
                name="game_xpledgerentry_kind_valid",
                violation_error_message="Kind must be award, spend, refund or adjustment.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=LedgerKind.ADJUSTMENT)
                    | Q(kind=LedgerKind.SPEND, amount__lt=0, spend_request__isnull=False)
                    | Q(kind=LedgerKind.REFUND, amount__gt=0, spend_request__isnull=False)
                    | Q(kind=LedgerKind.AWARD, amount__gt=0, scene__isnull=False)
                ),
                name="game_xpledgerentry_kind_shape",
                violation_error_message=(
                    "Spends are negative and name their request, refunds are positive and name "
                    "their request, awards are positive and name their scene."
                ),
            ),
            models.UniqueConstraint(
                fields=["scene", "character"],
                condition=Q(kind=LedgerKind.AWARD),
                name="game_xpledgerentry_award_once_per_scene",
                violation_error_message="This character already received XP for this scene.",
            ),
            models.UniqueConstraint(
                fields=["spend_request"],
                condition=Q(kind=LedgerKind.SPEND),
                name="game_xpledgerentry_spend_once_per_request",
                violation_error_message="This request already has its spend entry.",
            ),
            models.UniqueConstraint(
                fields=["spend_request"],
                condition=Q(kind=LedgerKind.REFUND),
                name="game_xpledgerentry_refund_once_per_request",
                violation_error_message="This request was already refunded.",
            ),
        ]

    def __str__(self):
        return f"{self.character}: {self.amount:+d} ({self.kind})"


def participants_error(scene: Scene, character_ids) -> str | None:
    """Why these characters cannot join ``scene`` (another chronicle), or None."""
    from characters.models import Character

    strangers = list(
        Character.objects.filter(pk__in=character_ids)
        .exclude(chronicle_id=scene.chronicle_id)
        .values_list("name", flat=True)
    )
    if not strangers:
        return None
    return (
        f"Only characters of {scene.chronicle} can take part in “{scene}”: "
        f"{', '.join(sorted(strangers))} belong to another chronicle."
    )


def _lock_before_adding(scene_ids, character_ids, using: str) -> None:
    """Lock the scene rows, then the character rows in primary-key order, before new
    participant rows point at them.

    Each new participant row's foreign keys are checked when the transaction commits,
    and the check takes ``FOR KEY SHARE`` on the scene and character rows in the order
    the rows were inserted. An award holds the scene row and locks its characters
    ``FOR UPDATE`` in primary-key order, so a scene saved with participants in another
    order deadlocked with it. Taking the locks here, in the one order every writer
    follows (``characters.locks``), leaves the commit's check nothing to wait for.
    Django adds m2m rows inside a transaction, so the locks last until it ends.
    """
    from characters.locks import lock_characters

    list(
        Scene.objects.using(using)
        .filter(pk__in=sorted(scene_ids))
        .order_by("pk")
        .select_for_update()
        .values_list("pk", flat=True)
    )
    lock_characters(character_ids, using=using)


@receiver(m2m_changed, sender=Scene.participants.through)
def _participants_of_the_chronicle(sender, instance, action, reverse, pk_set, using, **kwargs):
    """Refuse adding a character of another chronicle, from either side of the relation;
    lock what the new rows point at, in the lock order."""
    if action != "pre_add" or not pk_set:
        return
    if reverse:
        _lock_before_adding(pk_set, [instance.pk], using)
        scenes = Scene.objects.filter(pk__in=pk_set).select_related("chronicle")
        pairs = [(scene, [instance.pk]) for scene in scenes]
    else:
        _lock_before_adding([instance.pk], pk_set, using)
        pairs = [(instance, pk_set)]
    for scene, ids in pairs:
        message = participants_error(scene, ids)
        if message:
            raise ValidationError({"participants": message}, code="wrong_chronicle")


class StorytellerAction(models.TextChoices):
    ADDED = "added", "Added"
    REMOVED = "removed", "Removed"
    HEAD_TRANSFERRED = "head_transferred", "Head role transferred"


class StorytellerChange(models.Model):
    """A record: someone became or stopped being a storyteller of a chronicle.

    ``user`` is the person affected (for a head transfer: the new head storyteller; the
    note names the previous one); ``gameline`` is the line of an assistant's
    relationship (empty for a head transfer); ``by`` who made the change (empty: a
    script). Written by ``record_storyteller_change``, never edited.
    """

    chronicle = models.ForeignKey(
        Chronicle, on_delete=models.CASCADE, related_name="storyteller_changes"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    gameline = models.ForeignKey(
        Gameline, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=StorytellerAction.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: tg itself or a script.",
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["chronicle", "-at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=StorytellerAction.values),
                name="game_storytellerchange_action_valid",
                violation_error_message="Action must be added, removed or head_transferred.",
            )
        ]

    def __str__(self):
        line = f" ({self.gameline})" if self.gameline_id else ""
        return f"{self.chronicle}: {self.user} {self.get_action_display().lower()}{line}"


def record_storyteller_change(
    *,
    chronicle: Chronicle,
    user,
    action: str,
    by=None,
    gameline: Gameline | None = None,
    note: str = "",
) -> StorytellerChange:
    """Record that ``user`` was added to or removed from ``chronicle``'s storytellers (for
    ``gameline``), or became its head storyteller, by ``by``.

    Call it in the same transaction as the change it records, so that a change that
    rolls back leaves no record. ``action`` is a ``StorytellerAction``; for a head
    transfer ``user`` is the new head and ``note`` should name the previous one.
    """
    if action not in StorytellerAction.values:
        raise ValueError(f"{action!r} is not a storyteller action.")
    return StorytellerChange.objects.create(
        chronicle=chronicle,
        user=user,
        gameline=gameline,
        action=action,
        by=by if getattr(by, "pk", None) else None,
        note=note[:500],
    )
