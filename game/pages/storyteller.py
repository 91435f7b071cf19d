"""Storyteller pages: dashboard, spend queue with batch decisions, request page, character
approval queue, scenes and awards, and the storyteller actions on a sheet.

Only chronicles the user storytells appear (``game.permissions``). Every decision goes
through the XP operations or ``game.operations.lifecycle``: pages never write XP or traits.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Min, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from characters.models import Character, Human, Status
from characters.summary import creation_summary
from characters.traits import XP_TRAITS
from core.ids import parse_id, parse_ids, parse_version
from game import permissions
from game.models import (
    Chronicle,
    Gameline,
    LedgerKind,
    Scene,
    SpendStatus,
    XPLedgerEntry,
    XPSpendingRequest,
)
from game.operations import lifecycle, xp
from game.operations import scenes as scene_operations
from game.operations.decisions import decide_each, decide_requests
from game.operations.storytellers import change_storytellers
from game.pages.common import error_text
from game.queries import current_rating, storytellers_of


def _storyteller_only(user) -> None:
    if not permissions.storytold_by(user).exists():
        raise Http404("Not a storyteller.")


def _queue(user):
    """Pending requests of the chronicles ``user`` storytells that ``user`` may decide
    (not their own characters'), with the rating now."""
    return (
        XPSpendingRequest.objects.filter(status=SpendStatus.PENDING)
        .filter(permissions.to_decide_q(user, "character__"))
        .filter(permissions.storyteller_scope_q(user, "character__chronicle__"))
        .annotate(rating=current_rating())
        .select_related("character", "character__owner", "character__chronicle")
    )


# --- Dashboard --------------------------------------------------------------------------


@login_required
def dashboard(request):
    user = request.user
    _storyteller_only(user)
    chronicles = (
        permissions.storytold_by(user)
        .annotate(players=Count("memberships", distinct=True))
        .order_by("name")
    )
    pending = (
        _queue(user)
        .values("character__chronicle")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
    )
    pending = {row["character__chronicle"]: row for row in pending}
    submitted = dict(
        permissions.characters_to_decide(Character.objects.filter(status=Status.SUBMITTED), user)
        .values("chronicle")
        .annotate(n=Count("pk"))
        .values_list("chronicle", "n")
    )
    awaiting = dict(
        Scene.objects.filter(chronicle__in=chronicles, finished=True, xp_given=False)
        .values("chronicle")
        .annotate(n=Count("pk"))
        .values_list("chronicle", "n")
    )
    recent = (
        XPSpendingRequest.objects.filter(character__chronicle__in=chronicles)
        .decisions()
        # Decided last by someone else (a reversal is its reverser's decision).
        .filter(Q(last_decided_by_id__isnull=True) | ~Q(last_decided_by_id=user.pk))
        .select_related("character", "decided_by")[:10]
    )
    now = timezone.now()
    rows = [
        {
            "chronicle": chronicle,
            "pending": pending.get(chronicle.pk, {}).get("count", 0),
            "oldest": pending.get(chronicle.pk, {}).get("oldest"),
            "submitted": submitted.get(chronicle.pk, 0),
            "awaiting": awaiting.get(chronicle.pk, 0),
            "is_head": chronicle.head_st_id == user.pk,
        }
        for chronicle in chronicles
    ]
    return render(request, "game/st/dashboard.html", {"rows": rows, "recent": recent, "now": now})


# --- Spend queue and batch decisions -----------------------------------------------------


class QueueFilter(forms.Form):
    chronicle = forms.ModelChoiceField(
        queryset=Chronicle.objects.none(), required=False, empty_label="All my chronicles"
    )
    player = forms.CharField(required=False, max_length=150)
    trait = forms.ChoiceField(required=False)
    older_than = forms.IntegerField(
        required=False, min_value=0, max_value=3650, label="Waiting at least (days)"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        chronicle_field = cast(forms.ModelChoiceField, self.fields["chronicle"])
        chronicle_field.queryset = permissions.storytold_by(user).order_by("name")
        cast(forms.ChoiceField, self.fields["trait"]).choices = [("", "Any trait")] + [
            (spec.name, spec.label) for spec in XP_TRAITS.values()
        ]

    def apply(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["chronicle"]:
            queryset = queryset.filter(character__chronicle=data["chronicle"])
        if data["player"]:
            queryset = queryset.filter(character__owner__username__icontains=data["player"])
        if data["trait"]:
            queryset = queryset.filter(trait_name=data["trait"])
        if data["older_than"]:
            limit = timezone.now() - timedelta(days=data["older_than"])
            queryset = queryset.filter(created_at__lte=limit)
        return queryset


@login_required
def queue(request):
    user = request.user
    _storyteller_only(user)
    if request.method == "POST":
        return _decide_from_form(request, redirect_to=reverse("st-queue"))
    filters = QueueFilter(request.GET or None, user=user)
    rows = filters.apply(_queue(user)).order_by("created_at", "pk")[:200]
    return render(
        request,
        "game/st/queue.html",
        {
            "filters": filters,
            "rows": rows,
            "now": timezone.now(),
            "query": request.GET.urlencode(),
        },
    )


BACK_LENGTH = 1000


REASON_LENGTH = 500


def _back_to(request, redirect_to: str) -> str:
    back = request.POST.get("back", "")
    # The queue's filters to return to: a short query string. Anything longer is no list
    # the page made; it is dropped (a redirect to it would be refused after the decision).
    if len(back) > BACK_LENGTH:
        back = ""
    return redirect_to + (f"?{back}" if back else "")


def _decide_from_form(request, *, redirect_to: str):
    """One decision for every request named (the request page; the queue's batch).
    ``approve_next``/``deny_next`` (the request page) then open the next request waiting
    in the queue."""
    action = request.POST.get("action")
    then_next = action in ("approve_next", "deny_next")
    if then_next:
        action = action.removesuffix("_next")
    ids = parse_ids(request.POST.getlist("request"))
    reason = request.POST.get("reason", "").strip()
    target = _back_to(request, redirect_to)
    if action == "decide":
        return _decide_rows(request, target=target)
    if action not in ("approve", "deny"):
        messages.error(request, "Choose Approve or Deny.")
        return redirect(target)
    if not ids:
        messages.warning(request, "Select at least one request.")
        return redirect(target)
    if action == "deny" and not reason:
        messages.error(request, "Give a reason to deny: the player reads it. Nothing changed.")
        return redirect(target)
    summary = decide_requests(
        user=request.user, request_ids=ids, approve=action == "approve", reason=reason
    )
    lines = summary.lines("approved" if action == "approve" else "denied")
    level = messages.SUCCESS if summary.done and len(lines) == 1 else messages.WARNING
    messages.add_message(request, level, "; ".join(lines) + "." if lines else "Nothing to do.")
    if then_next and summary.done:
        following = _queue(request.user).exclude(pk__in=ids).order_by("created_at", "pk")
        upcoming = following.values_list("pk", flat=True).first()
        return redirect("st-request", pk=upcoming) if upcoming else redirect("st-queue")
    return redirect(target)


def _decide_rows(request, *, target: str):
    """The queue's per-row choices in one POST: ``decision-<id>`` is ``approve``,
    ``deny`` or empty (left pending); a denial's reason is its row's ``reason-<id>``, or
    the shared ``reason``. A denial without a reason changes nothing at all."""
    shared = request.POST.get("reason", "").strip()
    approve: list[int] = []
    deny: dict[int, str] = {}
    unreasoned = too_long = 0
    for key, value in request.POST.items():
        if not key.startswith("decision-"):
            continue
        pk = parse_id(key.removeprefix("decision-"))
        if pk is None or value not in ("approve", "deny"):
            continue
        if value == "approve":
            approve.append(pk)
            continue
        reason = request.POST.get(f"reason-{pk}", "").strip() or shared
        unreasoned += not reason
        too_long += len(reason) > REASON_LENGTH
        deny[pk] = reason
    if too_long:
        messages.error(
            request, f"A reason is at most {REASON_LENGTH} characters long. Nothing changed."
        )
        return redirect(target)
    if unreasoned:
        messages.error(
            request,
            f"Give a reason for each denial ({unreasoned} without one): the player reads "
            "it. Nothing changed.",
        )
        return redirect(target)
    if not approve and not deny:
        messages.warning(request, "Choose Approve or Deny on at least one request.")
        return redirect(target)
    summary = decide_each(user=request.user, approve_ids=approve, deny_reasons=deny)
    lines = summary.lines()
    level = messages.SUCCESS if summary.all_done and lines else messages.WARNING
    messages.add_message(request, level, "; ".join(lines) + "." if lines else "Nothing to do.")
    return redirect(target)


# --- One request ---------------------------------------------------------------------------


@login_required
def request_page(request, pk):
    user = request.user
    spend = get_object_or_404(
        XPSpendingRequest.objects.filter(
            character__in=permissions.sheets_visible_to(user)
        ).select_related("character", "character__owner", "decided_by", "price_set_by"),
        pk=pk,
    )
    character = spend.character
    if not permissions.is_storyteller(user, character.chronicle_id):
        raise PermissionDenied("Only the chronicle's storytellers decide requests.")
    if request.method == "POST":
        if request.POST.get("action") == "reverse":
            try:
                xp.reverse_approval(
                    character=character,
                    request_id=spend.pk,
                    by=user,
                    reason=request.POST.get("reason", "").strip(),
                )
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, error_text(error))
            else:
                messages.success(request, "The approval was reversed and its XP refunded.")
            return redirect("st-request", pk=spend.pk)
        return _decide_from_form(request, redirect_to=reverse("st-request", args=[spend.pk]))
    human = Human.objects.filter(pk=character.pk).first()
    rating = getattr(human, spend.trait_name, None) if human else None
    spec = XP_TRAITS.get(spend.trait_name)
    ledger = (
        XPLedgerEntry.objects.filter(character=character)
        .select_related("created_by", "scene", "spend_request")
        .order_by("-created_at", "-pk")[:8]
    )
    others = (
        XPSpendingRequest.objects.filter(character=character, status=SpendStatus.PENDING)
        .exclude(pk=spend.pk)
        .order_by("created_at", "pk")
    )
    refund = spend.ledger_entries.filter(kind=LedgerKind.REFUND).select_related("created_by")
    return render(
        request,
        "game/st/request.html",
        {
            "spend": spend,
            "character": character,
            "rating": rating,
            "spec": spec,
            "stale": spend.status == SpendStatus.PENDING and rating != spend.current_value,
            "ledger": ledger,
            "refund": refund.first(),
            "own": permissions.is_own(user, character.owner_id),
            "is_head": permissions.is_head_storyteller_of(user, character.chronicle_id),
            "others": others,
            "more_waiting": spend.status == SpendStatus.PENDING
            and _queue(user).exclude(pk=spend.pk).exists(),
        },
    )


# --- Character approval queue --------------------------------------------------------------


@login_required
def approvals(request):
    user = request.user
    _storyteller_only(user)
    submitted = (
        permissions.characters_to_decide(Human.objects.filter(status=Status.SUBMITTED), user)
        .select_related("owner", "chronicle")
        .order_by("updated_at", "pk")
    )
    rows = [(character, creation_summary(character)) for character in submitted[:50]]
    return render(request, "game/st/approvals.html", {"rows": rows})


@login_required
@require_POST
def approval_decision(request, pk):
    character, full = permissions.character_for(request.user, pk)
    if not full:
        raise PermissionDenied("Only the chronicle's storytellers decide characters.")
    approve = request.POST.get("action") == "approve"
    try:
        lifecycle.change_status(
            character_id=character.pk,
            status=Status.APPROVED if approve else Status.UNFINISHED,
            by=request.user,
            version=parse_version(request.POST.get("version")),
            reason=request.POST.get("note", ""),
        )
    except ValidationError as error:
        messages.error(request, f"{character}: {error_text(error)}")
    else:
        verb = "approved" if approve else "returned to its player"
        messages.success(request, f"{character} was {verb}.")
    return redirect("st-approvals")


# --- Storyteller actions on a sheet ----------------------------------------------------------


class AdjustForm(forms.Form):
    amount = forms.IntegerField(
        min_value=-xp.MAX_ADJUSTMENT,
        max_value=xp.MAX_ADJUSTMENT,
        help_text="Positive gives XP, negative takes it (never below 0).",
    )
    reason = forms.CharField(
        max_length=500, help_text="Kept in the XP history; the player sees it."
    )

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise ValidationError("An adjustment of 0 changes nothing.")
        return amount


@login_required
@require_POST
def adjust(request, pk):
    character, full = permissions.character_for(request.user, pk, model=Character)
    if not full or not permissions.is_storyteller(request.user, character.chronicle_id):
        raise PermissionDenied("Only the chronicle's storytellers adjust XP.")
    form = AdjustForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items())
        messages.error(request, f"Nothing changed. {errors}")
        _keep_adjustment(request, character)
        return redirect(character)
    try:
        balance = xp.add_xp(
            character=character,
            amount=form.cleaned_data["amount"],
            by=request.user,
            note=form.cleaned_data["reason"],
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
        _keep_adjustment(request, character)
    else:
        messages.success(
            request, f"{form.cleaned_data['amount']:+d} XP for {character}: {balance} XP now."
        )
    return redirect(character)


ADJUSTMENT_KEPT = "tg:adjustment:{}"


def _keep_adjustment(request, character) -> None:
    """A refused adjustment's typed amount and reason, for the sheet to show once more
    (the sheet pops them): the storyteller corrects them instead of typing them again."""
    request.session[ADJUSTMENT_KEPT.format(character.pk)] = {
        "amount": request.POST.get("amount", "")[:12],
        "reason": request.POST.get("reason", "")[:500],
    }


@login_required
@require_POST
def restore_willpower(request, pk):
    character, _ = permissions.character_for(request.user, pk)
    try:
        lifecycle.restore_willpower(
            character_id=character.pk,
            by=request.user,
            version=parse_version(request.POST.get("version")),
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"{character}'s temporary willpower was restored.")
    return redirect(character)


# --- Scenes -------------------------------------------------------------------------------


class ParticipantsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.chronicle})"


SCENE_DAYS_AHEAD = 366  # a scene may be created for a session planned up to a year ahead


class SceneForm(forms.ModelForm):
    """A scene of a chronicle the user storytells; participants only from that chronicle,
    Approved, and the game line one the user may run."""

    class Meta:
        model = Scene
        fields = ["chronicle", "gameline", "name", "date_played", "participants"]
        widgets = {
            "date_played": forms.DateInput(attrs={"type": "date"}),
            "participants": forms.CheckboxSelectMultiple,
        }
        field_classes = {"participants": ParticipantsField}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        chronicles = permissions.storytold_by(user).order_by("name")
        cast(forms.ModelChoiceField, self.fields["chronicle"]).queryset = chronicles
        gameline = cast(forms.ModelChoiceField, self.fields["gameline"])
        gameline.queryset = Gameline.objects.order_by("name")
        gameline.required = False
        participants = cast(forms.ModelMultipleChoiceField, self.fields["participants"])
        participants.queryset = (
            Character.objects.filter(chronicle__in=chronicles, status=Status.APPROVED)
            .select_related("chronicle")
            .order_by("chronicle__name", "name")
        )
        participants.required = False

    def clean_date_played(self):
        played = self.cleaned_data.get("date_played")
        today = timezone.localdate()
        if played and played > today + timedelta(days=SCENE_DAYS_AHEAD):
            raise ValidationError(
                f"{played:%Y-%m-%d} is more than a year from now: check the date (a scene "
                "may be planned ahead, up to a year)."
            )
        return played

    def clean(self):
        cleaned = super().clean() or {}
        chronicle = cleaned.get("chronicle")
        if chronicle is None:
            return cleaned
        probe = Scene(chronicle=chronicle, gameline=cleaned.get("gameline"))
        if not permissions.may_run_scene(self.user, probe):
            self.add_error(
                "gameline",
                "You storytell other game lines of this chronicle: choose one of yours.",
            )
        strangers = [
            c.name for c in cleaned.get("participants") or [] if c.chronicle_id != chronicle.pk
        ]
        if strangers:
            self.add_error(
                "participants",
                f"Only characters of {chronicle} can take part: {', '.join(strangers)} "
                "belong to another chronicle.",
            )
        return cleaned


def _scene_for(user, pk) -> Scene:
    scene = get_object_or_404(
        Scene.objects.filter(chronicle__in=permissions.storytold_by(user)).select_related(
            "chronicle", "gameline", "xp_awarded_by"
        ),
        pk=pk,
    )
    if not permissions.may_run_scene(user, scene):
        raise PermissionDenied("This scene belongs to a game line you do not storytell.")
    return scene


@login_required
def scenes(request):
    _storyteller_only(request.user)
    runnable = (
        permissions.scenes_run_by(request.user)
        .select_related("chronicle", "gameline")
        .annotate(cast=Count("participants"))
        .order_by("xp_given", "finished", "-date_played", "-created_at")
    )
    return render(request, "game/st/scenes.html", {"scenes": runnable[:100]})


@login_required
def scene_edit(request, pk=None):
    user = request.user
    _storyteller_only(user)
    scene = _scene_for(user, pk) if pk else None
    if scene is not None and scene.xp_given:
        messages.info(request, f"XP for “{scene}” was awarded: it can no longer change.")
        return redirect("st-scene-award", pk=scene.pk)
    form = SceneForm(request.POST or None, instance=scene, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = scene_operations.save_scene(form=form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Scene “{saved}” was saved.")
            return redirect("st-scenes")
    return render(request, "game/st/scene_form.html", {"form": form, "scene": scene})


@login_required
@require_POST
def scene_finish(request, pk):
    scene = _scene_for(request.user, pk)
    if scene_operations.finish_scene(scene_id=scene.pk):
        messages.success(request, f"“{scene}” is finished: its XP can be awarded.")
    return redirect("st-scene-award", pk=scene.pk)


@dataclass(frozen=True)
class AwardLine:
    """One participant on the award page: the override chosen for it (``""``: the
    default), the XP it gets and, when it gets none whatever the amount, why."""

    character: Character
    override: str
    amount: int
    note: str = ""


@login_required
def scene_award(request, pk):
    """Default amount and per-participant overrides, their result ("Gets") shown live by
    the page's script or by "Show what each gets" without it, then one award of exactly
    what was shown."""
    user = request.user
    scene = _scene_for(user, pk)
    maximum: int = settings.TG_MAX_SCENE_XP
    participants = list(scene.participants.select_related("owner").order_by("name"))
    if scene.xp_given:
        if request.method == "POST":
            messages.info(request, error_text(xp.already_awarded(scene)))
        entries = {
            e.character_id: e
            for e in XPLedgerEntry.objects.filter(scene=scene, kind=LedgerKind.AWARD)
        }
        rows = [(c, entries.get(c.pk)) for c in participants]
        return render(request, "game/st/award_done.html", {"scene": scene, "rows": rows})
    data = request.POST if request.method == "POST" else request.GET
    errors: list[str] = []
    default = _xp_amount(data.get("default"), "XP for everyone", maximum, errors, fallback=1)
    plan = []
    for character in participants:
        override = data.get(f"xp_{character.pk}", "")
        amount = _xp_amount(override, character.name, maximum, errors, fallback=default)
        active = character.status == Status.APPROVED
        own = permissions.is_own(user, character.owner_id)
        if not active:
            note = "not in play: no XP"
        elif own:
            note = "your own character: another storyteller awards it"
        else:
            note = ""
        plan.append(AwardLine(character, override, amount if active and not own else 0, note))
    for error in errors:
        messages.error(request, error)
    confirming = request.method == "POST" and data.get("confirm")
    if confirming and errors:
        messages.error(request, "Nothing was awarded: correct the amounts and award again.")
    elif confirming and (changed := _not_as_shown(data, plan)):
        # The page showed other amounts (its script, or the server when it was drawn):
        # award nothing, show the plan these choices give, and let it be confirmed.
        messages.warning(
            request,
            f"The XP shown was not what these choices give ({', '.join(changed)}). "
            "Nothing was awarded: check the “Gets” column and award again.",
        )
    elif confirming:
        if not scene.finished:
            messages.error(request, f"“{scene}” is not finished yet.")
            return redirect("st-scene-award", pk=scene.pk)
        try:
            count = xp.award_scene_xp(
                scene=scene,
                character_awards={row.character.pk: row.amount for row in plan},
                by=user,
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
        else:
            total = sum(row.amount for row in plan)
            messages.success(request, f"Awarded {total} XP to {count} character(s).")
        return redirect("st-scene-award", pk=scene.pk)
    return render(
        request,
        "game/st/award.html",
        {
            "scene": scene,
            "plan": plan,
            "default": default,
            "total": sum(row.amount for row in plan),
            "choices": range(0, maximum + 1),
        },
    )


def _not_as_shown(data, plan: list[AwardLine]) -> list[str]:
    """The participants whose amount differs from the ``gets_<id>`` the page showed
    (missing counts as different), when the page sent any; ``[]`` when it sent none (a
    client that posts only the choices gets what they give)."""
    if not any(key.startswith("gets_") for key in data):
        return []
    changed = []
    for row in plan:
        shown = str(data.get(f"gets_{row.character.pk}", "")).strip()
        if (
            not (shown.isascii() and shown.isdigit() and len(shown) <= 3)
            or int(shown) != row.amount
        ):
            changed.append(f"{row.character.name} gets {row.amount}")
    return changed


def _xp_amount(value, label: str, maximum: int, errors: list[str], *, fallback: int) -> int:
    """A whole number of XP from 0 to ``maximum``; ``fallback`` when empty. Anything else
    (the page only offers that range) is named in ``errors`` and never clamped into it."""
    text = (value or "").strip()
    if not text:
        return fallback
    if text.isascii() and text.isdigit() and len(text) <= 6 and int(text) <= maximum:
        return int(text)
    shown = text if len(text) <= 20 else text[:20] + "…"
    errors.append(f"{label}: “{shown}” is not a whole number of XP from 0 to {maximum}.")
    return fallback


# --- The chronicle's storytellers (head storyteller) -----------------------------------------


def _head_only(user, pk) -> Chronicle:
    chronicle = permissions.chronicle_for(user, pk)
    if not permissions.is_head_storyteller(user, chronicle):
        raise PermissionDenied("Only the head storyteller manages the chronicle's storytellers.")
    return chronicle


@login_required
def storytellers(request, pk):
    """Add or remove assistant storytellers per game line; hand the head role over."""
    user = request.user
    chronicle = _head_only(user, pk)
    if request.method == "POST":
        try:
            message = change_storytellers(
                chronicle_id=chronicle.pk,
                action=request.POST.get("action"),
                by=user,
                username=request.POST.get("username", ""),
                gameline_id=parse_id(request.POST.get("gameline")),
                relation_id=parse_id(request.POST.get("relation")),
                confirm=request.POST.get("confirm", ""),
            )
        except ValidationError as error:
            messages.error(request, f"Nothing changed: {error_text(error)}")
        else:
            messages.success(request, message)
            if not permissions.is_head_storyteller(user, Chronicle.objects.get(pk=pk)):
                return redirect("chronicle", pk=pk)
        return redirect("storytellers", pk=pk)
    relations = storytellers_of(chronicle)
    return render(
        request,
        "game/st/storytellers.html",
        {
            "chronicle": chronicle,
            "relations": relations,
            "gamelines": Gameline.objects.order_by("name"),
        },
    )
