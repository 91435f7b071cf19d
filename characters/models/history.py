"""The history of a character: every change of a field, who made it, when and why.

XP is not here: the XP ledger (``game.XPLedgerEntry``) is its record. Everything else
— status, traits, willpower, name, concept — is written here by ``Character.save``
(which compares with the stored row it has locked anyway), by status updates in bulk,
and by the XP operations that move a trait (approval, reversal).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class CharacterChange(models.Model):
    character = models.ForeignKey(
        "characters.Character", on_delete=models.CASCADE, related_name="changes"
    )
    field = models.CharField(max_length=50)
    old = models.TextField(null=True, blank=True)
    new = models.TextField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: tg itself or a script.",
    )
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["character", "-changed_at"])]

    def __str__(self):
        return f"{self.character_id}.{self.field}: {self.old} → {self.new}"


def _text(value) -> str | None:
    return None if value is None else str(value)


def record_changes(character_id: int, changes: dict, *, by=None, reason: str = "") -> None:
    """Write one row per changed field; ``changes`` maps field to (old, new)."""
    now = timezone.now()
    CharacterChange.objects.bulk_create(
        CharacterChange(
            character_id=character_id,
            field=field,
            old=_text(old),
            new=_text(new),
            changed_by=by if getattr(by, "pk", None) else None,
            changed_at=now,
            reason=reason[:500],
        )
        for field, (old, new) in changes.items()
        if old != new
    )
