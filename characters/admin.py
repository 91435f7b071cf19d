"""Admin for characters.

Human's fieldsets are generated from ``characters.traits``: a trait added there shows up
here without an edit. XP is locked: it changes only through the ledgered operations,
so that a character's balance always equals the sum of its ledger entries. Status
edits go through the model's state machine, so an illegal move is a form error that
names the allowed targets.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from characters.models import ALLOWED_TRANSITIONS, Character, CharacterChange, Human, Status
from characters.traits import (
    ABILITIES,
    AGE,
    APPARENT_AGE,
    ATTRIBUTES,
    TEMPORARY_WILLPOWER,
    WILLPOWER,
)
from core.admin import GuardedAdmin, ReadOnlyAdmin

XP_HELP = (
    "Read-only: XP changes only through ledgered operations (scene awards, spend "
    "requests and their approval or denial, storyteller adjustments), so the balance "
    "always matches the XP ledger."
)

CHARACTER_FIELDS = ("name", "owner", "chronicle", "npc", "concept", "status", "xp", "version")


def status_help(status: str) -> str:
    """Which statuses a character may move to from ``status`` (shown under the field)."""
    label = Status(status).label if status in Status.values else status
    allowed = ALLOWED_TRANSITIONS.get(status, frozenset())
    if not allowed:
        return f"{label} is final: the status can no longer change."
    targets = ", ".join(s.label for s in Status if s in allowed)
    return f"Allowed from {label}: {targets}."


def trait_rows(specs, suffix: str = "") -> list[tuple[str, dict]]:
    """One fieldset per trait group, its traits on one row, in the order of the specs."""
    groups: dict[str, list[str]] = {}
    for spec in specs:
        groups.setdefault(spec.group, []).append(spec.name)
    return [
        (f"{group.capitalize()}{suffix}", {"fields": (tuple(names),)})
        for group, names in groups.items()
    ]


def human_fieldsets() -> list[Any]:
    """Character fields, then attributes and abilities by group, advantages and ages."""
    return [
        (None, {"fields": CHARACTER_FIELDS}),
        *trait_rows(ATTRIBUTES, " attributes"),
        *trait_rows(ABILITIES),
        *trait_rows((WILLPOWER, TEMPORARY_WILLPOWER)),
        ("Age", {"fields": ((AGE.name, APPARENT_AGE.name),)}),
    ]


class CharacterAdminBase(GuardedAdmin):
    """What every kind of character shares in the admin.

    The form carries the character's ``version`` as a hidden field: a form opened
    before an XP decision, a status change or another edit is refused on save with
    "changed since you opened it" (``Character.clean``), never saved over it.
    Only superusers open the admin (core/admin_site.py). A character with XP history
    cannot be deleted: retire it.
    """

    list_display = ["name", "owner", "chronicle", "status", "xp", "npc", "updated_at"]
    list_filter = ["status", "npc", "chronicle"]
    search_fields = ["name", "concept", "owner__username", "chronicle__name"]
    list_select_related = ["owner", "chronicle"]
    autocomplete_fields = ["owner"]
    locked_fields = ("xp",)
    locked_help = XP_HELP

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs.setdefault("widgets", {})["version"] = forms.HiddenInput
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "status" in form.base_fields:
            form.base_fields["status"].help_text = status_help(obj.status)
        return form

    def save_fields(self, request, obj, fields) -> None:
        # Pending requests refunded by a retirement are decided by this admin user.
        obj.save(update_fields=fields, changed_by=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and has_xp_history(obj):
            self.message_user(
                request,
                f"{obj} has XP history (ledger entries or XP requests) and cannot be deleted: "
                "retire it instead, so its history stays.",
                messages.ERROR,
            )
            return HttpResponseRedirect(
                reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
            )
        return super().delete_view(request, object_id, extra_context)


def has_xp_history(character) -> bool:
    return character.xp_entries.exists() or character.xp_requests.exists()


@admin.register(Character)
class CharacterAdmin(CharacterAdminBase):
    """Every character, whatever its kind: identity, status and XP balance."""

    fields = CHARACTER_FIELDS


@admin.register(Human)
class HumanAdmin(CharacterAdminBase):
    fieldsets = human_fieldsets()


@admin.register(CharacterChange)
class CharacterChangeAdmin(ReadOnlyAdmin):
    """The history of every character: shown, never edited."""

    list_display = ["changed_at", "character", "field", "old", "new", "changed_by", "reason"]
    list_filter = ["field", "changed_at"]
    search_fields = ["character__name", "reason", "changed_by__username"]
    list_select_related = ["character", "changed_by"]
    date_hierarchy = "changed_at"
