"""Admin for chronicles, storytellers, scenes, XP requests and the XP ledger.

What the XP operations own stays out of reach of hand edits: the ledger is read-only,
a spending request is decided only through the approve/deny actions (which run the
ledgered operations), and a scene's ``xp_given`` is set only by ``Scene.award_xp``.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.admin import GuardedAdmin, ReadOnlyAdmin
from game.models import (
    Chronicle,
    ChronicleMembership,
    Gameline,
    Invitation,
    Scene,
    SpendStatus,
    StorytellerAction,
    StorytellerChange,
    STRelationship,
    XPLedgerEntry,
    XPSpendingRequest,
    participants_error,
    record_storyteller_change,
)


@admin.register(Gameline)
class GamelineAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name"]
    search_fields = ["name", "short_name"]


# --- Storytellers: every change made in the admin is recorded (StorytellerChange) ---------

ADMIN_NOTE = "In the admin."


def _record_relationship(relation: STRelationship, action: str, by) -> None:
    record_storyteller_change(
        chronicle=relation.chronicle,
        user=relation.user,
        gameline=relation.gameline,
        action=action,
        by=by,
        note=ADMIN_NOTE,
    )


def _stored_relationship(relation: STRelationship) -> STRelationship | None:
    """The relationship as the database holds it (before the admin's edit is saved)."""
    if relation.pk is None:
        return None
    return (
        STRelationship.objects.select_related("user", "chronicle", "gameline")
        .filter(pk=relation.pk)
        .first()
    )


def save_relationship(relation: STRelationship, by) -> None:
    """Save an STRelationship from an admin form and record what it changed: an added
    storyteller, or — when an edit moves it to another user, chronicle or line — the
    removal of the old one and the addition of the new one."""
    before = _stored_relationship(relation)
    relation.save()
    key = ("user_id", "chronicle_id", "gameline_id")
    if before is not None and all(getattr(before, k) == getattr(relation, k) for k in key):
        return
    if before is not None:
        _record_relationship(before, StorytellerAction.REMOVED, by)
    _record_relationship(relation, StorytellerAction.ADDED, by)


def delete_relationship(relation: STRelationship, by) -> None:
    _record_relationship(relation, StorytellerAction.REMOVED, by)
    relation.delete()


class STRelationshipInline(admin.TabularInline):
    model = STRelationship
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Chronicle)
class ChronicleAdmin(admin.ModelAdmin):
    list_display = ["name", "head_st", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "description", "head_st__username"]
    list_select_related = ["head_st"]
    autocomplete_fields = ["head_st"]
    inlines = [STRelationshipInline]

    def save_model(self, request, obj, form, change):
        """A new head storyteller is recorded as a head transfer."""
        previous = (
            Chronicle.objects.filter(pk=obj.pk).values_list("head_st__username", flat=True).first()
            if change
            else None
        )
        super().save_model(request, obj, form, change)
        if change and "head_st" in form.changed_data:
            record_storyteller_change(
                chronicle=obj,
                user=obj.head_st,
                action=StorytellerAction.HEAD_TRANSFERRED,
                by=request.user,
                note=f"{ADMIN_NOTE} Previous head storyteller: {previous}.",
            )

    def save_formset(self, request, form, formset, change):
        """The storytellers inline: additions, edits and deletions are recorded."""
        if formset.model is not STRelationship:
            return super().save_formset(request, form, formset, change)
        relations = formset.save(commit=False)
        for relation in formset.deleted_objects:
            delete_relationship(relation, request.user)
        for relation in relations:
            save_relationship(relation, request.user)
        formset.save_m2m()


@admin.register(STRelationship)
class STRelationshipAdmin(admin.ModelAdmin):
    list_display = ["user", "chronicle", "gameline", "created_at"]
    list_filter = ["gameline", "chronicle"]
    search_fields = ["user__username", "chronicle__name", "gameline__name"]
    list_select_related = ["user", "chronicle", "gameline"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        save_relationship(obj, request.user)

    def delete_model(self, request, obj):
        delete_relationship(obj, request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for relation in queryset.select_related("user", "chronicle", "gameline"):
                delete_relationship(relation, request.user)


@admin.register(StorytellerChange)
class StorytellerChangeAdmin(ReadOnlyAdmin):
    """Who became or stopped being a storyteller, when, by whom: a record, never edited."""

    list_display = ["at", "chronicle", "user", "action", "gameline", "by", "note"]
    list_filter = ["action", "chronicle"]
    search_fields = ["user__username", "chronicle__name", "note"]
    list_select_related = ["chronicle", "user", "gameline", "by"]
    date_hierarchy = "at"


@admin.register(ChronicleMembership)
class ChronicleMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "chronicle", "joined_at"]
    list_filter = ["chronicle"]
    search_fields = ["user__username", "chronicle__name"]
    list_select_related = ["user", "chronicle"]
    autocomplete_fields = ["user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["chronicle", "note", "created_by", "created_at", "expires_at", "state"]
    list_filter = ["chronicle"]
    search_fields = ["note", "chronicle__name"]
    list_select_related = ["chronicle", "created_by"]
    readonly_fields = ["token", "used_by", "used_at", "created_at"]
    autocomplete_fields = ["created_by"]


class SceneForm(forms.ModelForm):
    """Refuses participants from another chronicle as a form error."""

    def clean(self):
        cleaned = super().clean() or {}
        chronicle = cleaned.get("chronicle")
        participants = cleaned.get("participants")
        if chronicle is not None and participants:
            probe = Scene(chronicle=chronicle, name=cleaned.get("name") or "this scene")
            message = participants_error(probe, [c.pk for c in participants])
            if message:
                self.add_error("participants", message)
        return cleaned


@admin.register(Scene)
class SceneAdmin(GuardedAdmin):
    form = SceneForm
    list_display = ["name", "chronicle", "gameline", "date_played", "finished", "xp_given"]
    list_filter = ["finished", "xp_given", "gameline", "chronicle"]
    search_fields = ["name", "chronicle__name"]
    list_select_related = ["chronicle", "gameline"]
    date_hierarchy = "date_played"
    filter_horizontal = ["participants"]
    locked_fields = ("xp_given", "xp_awarded_at")
    locked_help = "Read-only: set once, when the scene's XP is awarded (Scene.award_xp)."


@admin.register(XPSpendingRequest)
class XPSpendingRequestAdmin(ReadOnlyAdmin):
    """Requests are shown, and decided only by the actions that run the XP operations."""

    list_display = [
        "created_at",
        "character",
        "trait_display",
        "current_value",
        "new_value",
        "cost",
        "status",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status", "category", "character__chronicle"]
    search_fields = ["character__name", "trait_name", "trait_display", "note"]
    list_select_related = ["character", "decided_by"]
    date_hierarchy = "created_at"
    actions = ["approve_requests", "deny_requests"]

    # Deciding is not editing the row by hand: the actions need only the view permission,
    # and the operations themselves check that the user storytells the chronicle.
    @admin.action(
        description="Approve selected pending requests (the traits rise)", permissions=["view"]
    )
    def approve_requests(self, request, queryset):
        self._decide(
            request,
            queryset,
            "approved",
            lambda r: r.character.approve_xp_spend(r.pk, r.trait_name, r.new_value, request.user),
        )

    @admin.action(
        description="Deny selected pending requests (their XP is refunded)", permissions=["view"]
    )
    def deny_requests(self, request, queryset):
        self._decide(
            request,
            queryset,
            "denied",
            lambda r: r.character.deny_xp_spend(r.pk, request.user, "Denied in the admin."),
        )

    def _decide(self, request, queryset, verb, operation):
        """Run ``operation`` on each Pending request; report successes and refusals."""
        done = 0
        skipped = queryset.exclude(status=SpendStatus.PENDING).count()
        for spend_request in queryset.filter(status=SpendStatus.PENDING).select_related(
            "character"
        ):
            try:
                operation(spend_request)
            except (ValidationError, PermissionDenied) as error:
                detail = "; ".join(getattr(error, "messages", [str(error)]))
                self.message_user(request, f"{spend_request}: {detail}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} request(s) {verb}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} request(s) skipped: already decided.", messages.WARNING
            )


@admin.register(XPLedgerEntry)
class XPLedgerEntryAdmin(ReadOnlyAdmin):
    """The XP ledger: every change of every balance, never edited by hand."""

    list_display = [
        "created_at",
        "character",
        "amount",
        "kind",
        "scene",
        "spend_request",
        "created_by",
        "note",
    ]
    list_filter = ["kind", "created_at"]
    search_fields = ["character__name", "note", "scene__name"]
    list_select_related = ["character", "scene", "spend_request", "created_by"]
    date_hierarchy = "created_at"
