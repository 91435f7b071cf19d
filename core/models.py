"""Operational records: XP operation outcomes, integrity fixes, monitoring snapshots.

These tables hold plain ids rather than foreign keys on purpose: they are an audit and
telemetry trail that must outlive (and never block the deletion of) the rows it describes.
"""

from django.db import models
from django.utils import timezone


class Operation(models.TextChoices):
    XP_SPEND = "xp_spend", "XP spend"
    XP_WITHDRAW = "xp_withdraw", "XP withdraw"
    XP_APPROVE = "xp_approve", "XP approve"
    XP_DENY = "xp_deny", "XP deny"
    XP_REVERSE = "xp_reverse", "XP reverse approval"
    XP_ADJUST = "xp_adjust", "XP adjustment"
    SCENE_AWARD = "scene_award", "Scene XP award"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    REJECTED = "rejected", "Rejected"
    CONSTRAINT_VIOLATION = "constraint_violation", "Constraint violation"
    DEADLOCK = "deadlock", "Deadlock"
    ERROR = "error", "Error"


class OperationRecord(models.Model):
    """The outcome and duration of one XP operation, written outside its transaction."""

    operation = models.CharField(max_length=20, choices=Operation.choices)
    outcome = models.CharField(max_length=25, choices=Outcome.choices)
    code = models.CharField(max_length=100, blank=True, help_text="Refusal code or error class")
    duration_ms = models.FloatField()
    character_id = models.BigIntegerField(null=True, blank=True)
    scene_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.operation} {self.outcome} {self.duration_ms:.1f} ms"


class IntegrityFix(models.Model):
    """One value changed (or row deleted) by ``validate_data_integrity --fix``."""

    run_id = models.UUIDField(db_index=True, help_text="All fixes of one --fix run share this")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    check_name = models.CharField(max_length=50, db_index=True)
    model = models.CharField(max_length=100, help_text="app_label.ModelName")
    object_id = models.BigIntegerField()
    field = models.CharField(max_length=100, blank=True)
    old_value = models.TextField(blank=True, null=True)
    new_value = models.TextField(blank=True, null=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "integrity fixes"

    def __str__(self):
        return f"{self.check_name}: {self.model}#{self.object_id} {self.field}"


class MonitorSnapshot(models.Model):
    """One ``monitor_validation`` run: its score, status and full JSON report."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    health_score = models.FloatField()
    status = models.CharField(max_length=10)
    report = models.JSONField()
    alert_sent = models.CharField(
        max_length=10, blank=True, help_text="'alert' or 'recovery' when this run notified"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.status} ({self.health_score:.0f})"


class LedgerCheckpoint(models.Model):
    """The sum of one character's XP ledger entries up to ``through_entry``.

    ``validate_data_integrity --full`` re-sums every entry and rewrites all checkpoints in
    one transaction, with one ``through_entry`` for all of them. The ledger is
    append-only, so a checkpoint stays true: the routine check compares each balance
    with its checkpoint plus the entries written since, instead of re-summing the whole
    ledger every hour.
    """

    character_id = models.BigIntegerField(primary_key=True)
    total = models.BigIntegerField()
    entries = models.IntegerField()
    through_entry = models.BigIntegerField(help_text="The last ledger entry id it covers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["character_id"]

    def __str__(self):
        return f"character {self.character_id}: {self.total} through entry {self.through_entry}"
