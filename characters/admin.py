"""Admin for characters.

Human's fieldsets are generated from ``characters.traits``: a trait added there shows up
here without an edit. XP is locked: it changes only through the ledgered operations,
so that a character's balance always equals the sum of its ledger entries. Status
edits go through the model's state machine, so an illegal move is a form error that
names the allowed targets.
"""

from django.contrib import admin

from core.admin import GuardedAdmin

from .models import ALLOWED_TRANSITIONS, Character, Human, Status
from .traits import ABILITIES, AGE, APPARENT_AGE, ATTRIBUTES, TEMPORARY_WILLPOWER, WILLPOWER

XP_HELP = (
    "Read-only: XP changes only through ledgered operations (scene awards, spend "
    "requests and their approval or denial, storyteller adjustments), so the balance "
    "always matches the XP ledger."
)

CHARACTER_FIELDS = ("name", "owner", "chronicle", "npc", "concept", "status", "xp")


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


def human_fieldsets() -> list[tuple[str | None, dict]]:
    """Character fields, then attributes and abilities by group, advantages and ages."""
    return [
        (None, {"fields": CHARACTER_FIELDS}),
        *trait_rows(ATTRIBUTES, " attributes"),
        *trait_rows(ABILITIES),
        *trait_rows((WILLPOWER, TEMPORARY_WILLPOWER)),
        ("Age", {"fields": ((AGE.name, APPARENT_AGE.name),)}),
    ]


class CharacterAdminBase(GuardedAdmin):
    """What every kind of character shares in the admin."""

    list_display = ["name", "owner", "chronicle", "status", "xp", "npc", "updated_at"]
    list_filter = ["status", "npc", "chronicle"]
    search_fields = ["name", "concept", "owner__username", "chronicle__name"]
    list_select_related = ["owner", "chronicle"]
    autocomplete_fields = ["owner"]
    locked_fields = ("xp",)
    locked_help = XP_HELP

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "status" in form.base_fields:
            form.base_fields["status"].help_text = status_help(obj.status)
        return form


@admin.register(Character)
class CharacterAdmin(CharacterAdminBase):
    """Every character, whatever its kind: identity, status and XP balance."""

    fields = CHARACTER_FIELDS


@admin.register(Human)
class HumanAdmin(CharacterAdminBase):
    fieldsets = human_fieldsets()
