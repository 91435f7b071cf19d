"""Character pages: create, edit while Unfinished, the sheet, and status actions.

Views stay thin: they find the object through ``game.permissions`` (404 outside the
user's scope), call ``game.operations.lifecycle`` or the XP operations, turn a refusal into
a message, and redirect (post-redirect-get).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from characters.models import CharacterChange, Human, Status
from characters.summary import creation_summary
from characters.traits import ABILITIES, ATTRIBUTES, WILLPOWER
from core.ids import parse_id
from game import permissions
from game.models import SpendStatus, XPLedgerEntry
from game.operations import lifecycle
from game.operations.sheets import create_character
from game.pages.common import error_text
from game.pages.sheet_forms import NewCharacterForm, SheetForm, VersionForm
from game.pages.storyteller import ADJUSTMENT_KEPT
from game.queries import with_xp_figures

# The action buttons a sheet offers, by target status: (label, button style, confirm?).
ACTIONS = {
    Status.SUBMITTED: ("Submit for approval", "primary", False),
    Status.UNFINISHED: ("Withdraw the submission", "outline-secondary", False),
    Status.APPROVED: ("Approve", "success", False),
    Status.RETIRED: ("Retire", "outline-danger", True),
    Status.DECEASED: ("Mark deceased", "outline-danger", True),
}
# From Retired, "Approved" means coming back into play: asked to confirm like leaving it.
RETURN_TO_PLAY = ("Bring back into play", "outline-success", True)


def _action(character, status) -> tuple[str, str, bool]:
    if character.status == Status.RETIRED and status == Status.APPROVED:
        return RETURN_TO_PLAY
    return ACTIONS[status]


@login_required
def create(request):
    chronicles = permissions.chronicles_visible_to(request.user).order_by("name")
    if not chronicles.exists():
        messages.info(request, "Join a chronicle first: ask its storyteller for an invitation.")
        return redirect("dashboard")
    asked = parse_id(request.GET.get("chronicle"))
    chosen = chronicles.filter(pk=asked).first() if asked else None
    if chosen is None and len(chronicles) == 1:
        chosen = chronicles[0]
    initial = {"chronicle": chosen.pk if chosen else None}
    form = NewCharacterForm(request.POST or None, chronicles=chronicles, initial=initial)
    if request.method == "POST" and form.is_valid():
        character = create_character(
            owner=request.user,
            chronicle=form.cleaned_data["chronicle"],
            name=form.cleaned_data["name"],
            concept=form.cleaned_data["concept"],
        )
        messages.success(request, f"{character} was created. Fill in the dots, then submit it.")
        return redirect("character-edit", pk=character.pk)
    return render(request, "characters/create.html", {"form": form, "chosen": chosen})


@login_required
def edit(request, pk):
    character = permissions.own_character(request.user, pk)
    if character.status != Status.UNFINISHED:
        messages.warning(
            request,
            f"{character} is {character.get_status_display()}: only an Unfinished character "
            "can be edited.",
        )
        return redirect(character)
    form = SheetForm(request.POST or None, instance=character)
    then = request.POST.get("then", "save")
    if request.method == "POST" and then not in ("save", "submit"):
        form.add_error(None, "Choose “Save the sheet” or “Save and submit”: nothing was saved.")
    elif request.method == "POST" and form.is_valid():
        submitting = then == "submit"
        try:
            if submitting:
                lifecycle.save_and_submit(form=form, by=request.user)
            else:
                lifecycle.save_sheet(form=form, by=request.user)
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error_text(error))
        else:
            if submitting:
                messages.success(
                    request,
                    f"{character}'s sheet was saved and submitted: a storyteller of "
                    f"{character.chronicle} will approve it or send it back with a note.",
                )
            else:
                messages.success(request, f"{character}'s sheet was saved.")
            return redirect(character)
    context = {"character": character, "form": form, "summary": creation_summary(character)}
    if form.is_bound and form.is_valid():
        preview = Human(**{name: form.cleaned_data[name] for name in form.sheet_fields})
        context["summary"] = creation_summary(preview)
    return render(request, "characters/edit.html", context)


def _trait_rows(character, specs, pending: dict[str, int] | None = None):
    """``[(group, [(spec, rating, pending new rating or None), ...]), ...]``."""
    pending = pending or {}
    groups: dict[str, list] = {}
    for spec in specs:
        row = (spec, getattr(character, spec.name), pending.get(spec.name))
        groups.setdefault(spec.group, []).append(row)
    return [(group.capitalize(), rows) for group, rows in groups.items()]


# Status moves that take a character out of play: offered at the foot of the sheet, not
# beside its name.
LEAVING_PLAY = (Status.RETIRED, Status.DECEASED)


def history_rows(changes) -> list[list]:
    """The sheet's history, newest first, with the changes one person saved at one
    moment (a whole sheet filled in at creation) as one entry: a list of changes."""
    rows: list[list] = []
    for change in changes:
        last = rows[-1][-1] if rows else None
        same_save = (
            last is not None
            and change.field != "status"
            and last.field != "status"
            and change.changed_by_id == last.changed_by_id
            and abs((last.changed_at - change.changed_at).total_seconds()) < 1
        )
        if same_save:
            rows[-1].append(change)
        else:
            rows.append([change])
    return rows


@login_required
def sheet(request, pk):
    character, full = permissions.character_for(request.user, pk)
    if not full:
        return render(request, "characters/card.html", {"character": character})
    figures = with_xp_figures(Human.objects.filter(pk=character.pk)).values(
        "xp_earned", "xp_spent", "pending_count", "pending_cost"
    )[0]
    moves = permissions.status_moves(request.user, character)
    actions = [(status, *_action(character, status)) for status in Status.values if status in moves]
    pending = list(character.xp_requests.filter(status=SpendStatus.PENDING).order_by("created_at"))
    raising = {request.trait_name: request.new_value for request in pending}
    context = {
        "character": character,
        "attributes": _trait_rows(character, ATTRIBUTES, raising),
        "abilities": _trait_rows(character, ABILITIES, raising),
        "willpower": WILLPOWER,
        "willpower_raise": raising.get("willpower"),
        "figures": figures,
        "pending": pending,
        "recent": XPLedgerEntry.objects.filter(character=character)
        .select_related("scene", "spend_request", "created_by")
        .order_by("-created_at", "-pk")[:5],
        "is_owner": character.owner_id == request.user.pk,
        "is_storyteller": permissions.is_storyteller(request.user, character.chronicle_id),
        "may_restore_willpower": permissions.may_restore_willpower(request.user, character),
        # A refused XP adjustment's input, shown once more (game.pages.storyteller.adjust).
        "adjustment": request.session.pop(ADJUSTMENT_KEPT.format(character.pk), None) or {},
        "history": history_rows(
            CharacterChange.objects.filter(character=character)
            .select_related("changed_by")
            .order_by("-changed_at", "-pk")[:200]
        )[:20],
        "actions": [a for a in actions if a[0] not in LEAVING_PLAY],
        "leaving": [a for a in actions if a[0] in LEAVING_PLAY],
        "summary": creation_summary(character)
        if character.status in (Status.UNFINISHED, Status.SUBMITTED)
        else None,
    }
    return render(request, "characters/sheet.html", context)


@login_required
def status_confirm(request, pk, status):
    """The confirmation page of a move that cannot be taken back lightly (retire, die)."""
    character, _ = permissions.character_for(request.user, pk)
    if status not in permissions.status_moves(request.user, character):
        raise PermissionDenied("You cannot make this change.")
    label, style, _ = _action(character, status)
    pending = character.xp_requests.filter(status=SpendStatus.PENDING).count()
    return render(
        request,
        "characters/status_confirm.html",
        {
            "character": character,
            "status": status,
            "label": label,
            "style": style,
            "pending": pending,
            "form": VersionForm(initial={"version": character.version}),
        },
    )


@login_required
@require_POST
def change_status(request, pk, status):
    character, _ = permissions.character_for(request.user, pk)
    form = VersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    if version is None:
        messages.error(request, "The form was incomplete; nothing changed. Try again.")
        return redirect(character)
    old = character.status
    try:
        lifecycle.change_status(
            character_id=character.pk, status=status, by=request.user, version=version
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"{character} was {lifecycle.describe_move(old, status)}.")
    return redirect(character)
