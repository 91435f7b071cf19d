"""What each person wants to be e-mailed about, and when their last digest went out."""

from django.conf import settings
from django.db import models


class NotificationPreferences(models.Model):
    """One row per person, created the first time they save the form or get a digest;
    a person without a row gets both kinds of mail (the defaults)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    decisions = models.BooleanField(
        "decisions on my requests and characters",
        default=True,
        help_text="E-mail me when a storyteller approves, denies or reverses one of my XP "
        "requests, or approves my character or returns it to me.",
    )
    digest = models.BooleanField(
        "daily storyteller digest",
        default=True,
        help_text="As a storyteller, e-mail me once a day what waits for me: submitted "
        "characters, pending XP requests, finished scenes without XP. Nothing is sent on a "
        "day when nothing waits.",
    )
    last_digest_on = models.DateField(
        "last digest sent on",
        null=True,
        blank=True,
        help_text="Set by send_storyteller_digest; at most one digest a day.",
    )

    class Meta:
        verbose_name = "notification preferences"
        verbose_name_plural = "notification preferences"

    def __str__(self):
        return f"Notification preferences of {self.user}"

    @classmethod
    def current(cls, user) -> "NotificationPreferences":
        """The user's preferences: their row, or the defaults (unsaved) if they have none."""
        return cls.objects.filter(user=user).first() or cls(user=user)

    @classmethod
    def wants(cls, user, kind: str) -> bool:
        """Does ``user`` want mail of ``kind`` ("decisions" or "digest")?"""
        chosen = cls.objects.filter(user=user).values_list(kind, flat=True).first()
        return True if chosen is None else chosen
