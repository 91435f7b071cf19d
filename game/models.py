"""Chronicles, storytellers, scenes, XP spending requests and the XP ledger."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from characters.traits import Category


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

    def is_storyteller(self, user) -> bool:
        """Head storyteller, an assistant storyteller of any line, or staff."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if user.is_staff or self.head_st_id == user.pk:
            return True
        return self.st_relationships.filter(user=user).exists()


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

    def award_xp(self, character_awards, awarded_by=None):
        """Award scene XP to participants once, all or nothing. Returns how many got XP."""
        from game import xp

        return xp.award_scene_xp(scene=self, character_awards=character_awards, by=awarded_by)


class SpendStatus(models.TextChoices):
    PENDING = "Pending", "Pending"
    APPROVED = "Approved", "Approved"
    DENIED = "Denied", "Denied"


class XPSpendingRequest(models.Model):
    """A player's request to raise a trait; its cost has already left the XP pool."""

    character = models.ForeignKey(
        "characters.Character", on_delete=models.CASCADE, related_name="xp_requests"
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
                violation_error_message="Status must be Pending, Approved or Denied.",
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
        "characters.Character", on_delete=models.CASCADE, related_name="xp_entries"
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
