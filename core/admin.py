"""Admin for the operational records, and the admin building blocks every app shares.

Operational records (XP operation outcomes, integrity fixes, monitoring snapshots) are
an audit trail: the admin shows them and never lets anyone add, change or delete one.
"""

from django.contrib import admin
from django.db import models

from core.models import IntegrityFix, LedgerCheckpoint, MonitorSnapshot, OperationRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    """A model the admin may show but never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GuardedAdmin(admin.ModelAdmin):
    """An editable model some of whose fields only tg's operations may change.

    ``locked_fields`` are shown as disabled form fields: the user cannot change them,
    yet the form still validates the model's constraints with their stored values
    (so unticking "finished" on a scene whose XP was given is a form error, not a
    database error). ``locked_help`` explains why they are locked.

    Editing an existing object saves only the fields the form changed. The admin
    loads an object, validates the form and would otherwise write every field back;
    a locked field changed meanwhile by an operation in another request (an XP
    spend, a scene award) would silently be undone.
    """

    locked_fields: tuple[str, ...] = ()
    locked_help = ""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in self.locked_fields:
            field.disabled = True
            field.help_text = self.locked_help or field.help_text
        return field

    def save_model(self, request, obj, form, change):
        if not change:
            obj.save()
            return
        concrete = {f.name: f for f in obj._meta.concrete_fields if not f.primary_key}
        edited = [name for name in form.changed_data if name in concrete]
        if edited:
            edited += [
                name
                for name, field in concrete.items()
                if isinstance(field, models.DateTimeField) and field.auto_now
            ]
        self.save_fields(request, obj, edited)

    def save_fields(self, request, obj, fields: list[str]) -> None:
        obj.save(update_fields=fields)


@admin.register(OperationRecord)
class OperationRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "operation",
        "outcome",
        "code",
        "duration_ms",
        "character_id",
        "scene_id",
    ]
    list_filter = ["operation", "outcome", "created_at"]
    search_fields = ["code", "character_id", "scene_id"]
    date_hierarchy = "created_at"


@admin.register(IntegrityFix)
class IntegrityFixAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "check_name",
        "model",
        "object_id",
        "field",
        "old_value",
        "new_value",
        "run_id",
    ]
    list_filter = ["check_name", "model", "created_at"]
    search_fields = ["run_id", "check_name", "model", "field", "note"]
    date_hierarchy = "created_at"


@admin.register(MonitorSnapshot)
class MonitorSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "status", "health_score", "alert_sent"]
    list_filter = ["status", "alert_sent", "created_at"]
    search_fields = ["status"]
    date_hierarchy = "created_at"


@admin.register(LedgerCheckpoint)
class LedgerCheckpointAdmin(ReadOnlyAdmin):
    """Checkpoints of the XP ledger, written by validate_data_integrity --full."""

    list_display = ["character_id", "total", "entries", "through_entry", "created_at"]
    search_fields = ["character_id"]
