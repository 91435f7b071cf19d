"""Player pages: dashboard, XP (spend, withdraw, history), scenes, chronicles, invitations.

Every object is fetched through ``game.permissions`` (404 outside the user's scope);
every change goes through the XP operations or ``game.operations.lifecycle``; every POST
redirects (post-redirect-get) with a message saying what happened or why not.
"""

import csv
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from characters.models import Character, CharacterChange, Status
from characters.traits import XP_TRAITS, TraitSpec
from core.ids import parse_id
from game import permissions
from game.models import (
    ChronicleMembership,
    Invitation,
    LedgerKind,
    Scene,
    SpendStatus,
    XPLedgerEntry,
    XPSpendingRequest,
)
from game.operations import accounts, xp
from game.operations import chronicles as chronicles_ops
from game.operations import invitations as invitations_ops
from game.operations.costs import trait_cost
from game.pages.common import csv_cell, error_text
from game.pages.forms import AddressForm, ChronicleStartForm, SignupForm
from game.queries import storytellers_of, with_xp_figures
from notifications.forms import NotificationPreferencesForm
from notifications.models import NotificationPreferences

# --- Dashboard ---------------------------------------------------------------------------


@login_required
def dashboard(request):
    user = request.user
    characters = with_xp_figures(
        Character.objects.filter(owner=user).select_related("chronicle").order_by("name")
    )
    mine = Q(character__owner=user)
    pending = (
        XPSpendingRequest.objects.filter(mine, status=SpendStatus.PENDING)
        .select_related("character")
        .order_by("created_at")
    )
    decisions = (
        XPSpendingRequest.objects.filter(mine)
        .decisions()
        .select_related("character", "decided_by")[:10]
    )
    returned = (
        CharacterChange.objects.filter(
            character__owner=user, field="status", new__in=[Status.APPROVED, Status.UNFINISHED]
        )
        .exclude(changed_by=user)
        .exclude(changed_by__isnull=True)
        .select_related("character", "changed_by")
        .order_by("-changed_at", "-pk")[:5]
    )
    awaiting = (
        Scene.objects.filter(participants__owner=user, finished=True, xp_given=False)
        .select_related("chronicle")
        .distinct()
        .order_by("-finished_at")[:10]
    )
    chronicles = permissions.chronicles_visible_to(user).order_by("name")
    return render(
        request,
        "game/dashboard.html",
        {
            "characters": characters,
            "pending": pending,
            "decisions": decisions,
            "returned": returned,
            "awaiting": awaiting,
            "chronicles": chronicles,
            "may_start_chronicle": permissions.may_start_chronicle(user),
            "now": timezone.now(),
        },
    )


# --- Spending ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendOption:
    """One XP trait on the spend page: its rating, any open request and, below its
    maximum, the next dot (``new``), its price and the XP still missing (``short``)."""

    spec: TraitSpec
    rating: int
    pending: XPSpendingRequest | None
    new: int | None = None  # None at the maximum, as are price and short
    price: int | None = None
    short: int | None = None
    left: int | None = None  # the XP after this dot, when affordable

    @property
    def at_max(self) -> bool:
        return self.rating >= self.spec.maximum


def _spend_options(character) -> list[SpendOption]:
    """Every XP trait with its rating, next rating, price, affordability and open request."""
    pending = {r.trait_name: r for r in character.xp_requests.filter(status=SpendStatus.PENDING)}
    options = []
    for spec in XP_TRAITS.values():
        rating = getattr(character, spec.name)
        request = pending.get(spec.name)
        if rating >= spec.maximum:
            options.append(SpendOption(spec, rating, request))
            continue
        price = trait_cost(spec.name, rating)
        short = max(0, price - character.xp)
        left = None if short else character.xp - price
        options.append(SpendOption(spec, rating, request, rating + 1, price, short, left))
    return options


@login_required
def spend(request, pk):
    """GET: the traits and their prices, or (``?trait=``) the confirm step. POST: spend."""
    character = permissions.own_character(request.user, pk)
    if request.method == "POST":
        trait = request.POST.get("trait", "")
        try:
            request_ = xp.spend_xp(
                character=character,
                trait_name=trait,
                player_note=request.POST.get("note", ""),
            )
        except ValidationError as error:
            if error.code == "already_pending":
                messages.info(request, error_text(error))
            else:
                messages.error(request, error_text(error))
            return redirect("xp-spend", pk=character.pk)
        messages.success(
            request,
            f"Requested {request_.trait_display} {request_.current_value} → "
            f"{request_.new_value} for {request_.cost} XP; {character.xp} XP left. "
            "A storyteller will decide.",
        )
        return redirect(character)
    if character.status != Status.APPROVED:
        messages.warning(
            request,
            f"{character} is {character.get_status_display()}: only approved characters spend XP.",
        )
        return redirect(character)
    options = _spend_options(character)
    chosen = request.GET.get("trait")
    if chosen:
        option = next((o for o in options if o.spec.name == chosen), None)
        if option is None:
            raise Http404("No such trait.")
        return render(
            request,
            "game/spend_confirm.html",
            {
                "character": character,
                "option": option,
                "after": character.xp - (option.price or 0),
            },
        )
    groups = [
        ("Attributes", [o for o in options if o.spec.category == "attribute"]),
        ("Abilities", [o for o in options if o.spec.category == "ability"]),
        ("Willpower", [o for o in options if o.spec.category == "willpower"]),
    ]
    open_prices = [o.price for o in options if o.price is not None and not o.pending]
    return render(
        request,
        "game/spend.html",
        {
            "character": character,
            "groups": groups,
            "affordable": any(o.price is not None and not o.short for o in options),
            "cheapest": min(open_prices, default=None),
        },
    )


@login_required
@require_POST
def withdraw(request, pk, request_id):
    character = permissions.own_character(request.user, pk, model=Character)
    try:
        withdrawn = xp.withdraw_xp_spend(
            character=character, request_id=request_id, by=request.user
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            f"Withdrew the request for {withdrawn.trait_display}; {withdrawn.cost} XP came back.",
        )
    return redirect(character)


# --- XP history --------------------------------------------------------------------------


def _history(character):
    entries = list(
        XPLedgerEntry.objects.filter(character=character)
        .select_related("scene", "spend_request", "created_by")
        .order_by("created_at", "pk")
    )
    balance = 0
    for entry in entries:
        balance += entry.amount
        entry.balance = balance  # type: ignore[attr-defined]  # shown as the running balance
    return entries, balance


@login_required
def history(request, pk):
    character, full = permissions.character_for(request.user, pk, model=Character)
    if not full:
        raise PermissionDenied("Only the player and the chronicle's storytellers see the XP.")
    entries, balance = _history(character)
    totals = {kind.label: 0 for kind in LedgerKind}
    for entry in entries:
        totals[LedgerKind(entry.kind).label] += entry.amount
    return render(
        request,
        "game/history.html",
        {
            "character": character,
            "entries": list(reversed(entries)),
            "totals": totals,
            "ledger": balance,
            "matches": balance == character.xp,
        },
    )


@login_required
def history_csv(request, pk):
    character, full = permissions.character_for(request.user, pk, model=Character)
    if not full:
        raise PermissionDenied("Only the player and the chronicle's storytellers see the XP.")
    entries, _ = _history(character)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"xp-history-{character.pk}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(["date", "kind", "amount", "balance", "scene", "request", "by", "note"])
    for entry in entries:
        writer.writerow(
            [
                entry.created_at.isoformat(),
                entry.kind,
                entry.amount,
                entry.balance,
                csv_cell(entry.scene.name if entry.scene else ""),
                csv_cell(str(entry.spend_request) if entry.spend_request else ""),
                csv_cell(entry.created_by.get_username() if entry.created_by else ""),
                csv_cell(entry.note),
            ]
        )
    return response


# --- Scenes and chronicles ---------------------------------------------------------------


@login_required
def my_scenes(request):
    user = request.user
    scenes = (
        Scene.objects.filter(participants__owner=user)
        .distinct()
        .select_related("chronicle", "gameline")
        .prefetch_related(
            Prefetch("participants", queryset=Character.objects.order_by("name")),
            Prefetch(
                "xp_entries",
                queryset=XPLedgerEntry.objects.filter(kind=LedgerKind.AWARD),
                to_attr="awards",
            ),
        )
        .order_by("-date_played", "-created_at")
    )
    rows = []
    for scene in scenes:
        awarded = {entry.character_id: entry.amount for entry in scene.awards}
        cast = [(c, awarded.get(c.pk), c.owner_id == user.pk) for c in scene.participants.all()]
        rows.append((scene, cast))
    return render(request, "game/my_scenes.html", {"rows": rows})


@login_required
def chronicle(request, pk):
    chronicle = permissions.chronicle_for(request.user, pk)
    roster = (
        Character.objects.filter(chronicle=chronicle)
        .exclude(status=Status.UNFINISHED)
        .select_related("owner")
        .order_by("name")
    )
    storytellers = storytellers_of(chronicle)
    return render(
        request,
        "game/chronicle.html",
        {
            "chronicle": chronicle,
            "roster": roster,
            "storytellers": storytellers,
            "members": ChronicleMembership.objects.filter(chronicle=chronicle).count(),
            "is_storyteller": permissions.is_storyteller(request.user, chronicle),
            "is_head": permissions.is_head_storyteller(request.user, chronicle),
        },
    )


@login_required
def chronicle_start(request):
    """Start a chronicle: the person who starts it is its head storyteller, taken next to
    the invitations page to bring their players in."""
    if not permissions.may_start_chronicle(request.user):
        raise PermissionDenied(
            "On this site an operator decides who may start a chronicle: ask one of them."
        )
    form = ChronicleStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            chronicle, started = chronicles_ops.start_chronicle(
                by=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            form.add_error("name", error)
        else:
            if started:
                messages.success(
                    request,
                    f"{chronicle} is started and you are its head storyteller. Now invite "
                    "your players: create a link for each and send it to them.",
                )
            else:
                messages.info(request, f"You already run {chronicle}.")
            return redirect("invitations", pk=chronicle.pk)
    return render(request, "game/chronicle_start.html", {"form": form})


# --- Invitations -------------------------------------------------------------------------


def invitation(request, token):
    """Accept an invitation: a new person creates an account; a signed-in one joins."""
    invitation = get_object_or_404(Invitation.objects.select_related("chronicle"), token=token)
    if invitation.state != "open":
        return render(
            request, "game/invitation_closed.html", {"invitation": invitation}, status=410
        )
    chronicle = invitation.chronicle
    if request.user.is_authenticated:
        if request.method == "POST":
            joined = invitations_ops.accept_invitation(
                invitation_id=invitation.pk, user=request.user
            )
            if joined:
                messages.success(request, f"Welcome to {chronicle}!")
                return _create_a_character_in(chronicle)
            messages.info(request, f"You already belong to {chronicle}.")
            return redirect("chronicle", pk=chronicle.pk)
        return render(request, "game/invitation_join.html", {"invitation": invitation})
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["email"]
        try:
            user = invitations_ops.sign_up_with_invitation(
                invitation_id=invitation.pk,
                address=address,
                save=form.save,
                context=f"an invitation to {chronicle}",
            )
        except ValidationError as taken:
            form.add_error("username", taken)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {chronicle}, {user.get_username()}!")
            messages.info(request, link_sent(address))
            return _create_a_character_in(chronicle)
    return render(request, "game/invitation_signup.html", {"invitation": invitation, "form": form})


def _create_a_character_in(chronicle):
    """Where a new member goes next: the new-character page, their chronicle chosen."""
    return redirect(f"{reverse('character-create')}?chronicle={chronicle.pk}")


@login_required
def invitations(request, pk):
    """The head storyteller's invitation links: create, list, revoke."""
    chronicle = permissions.chronicle_for(request.user, pk)
    if not permissions.is_head_storyteller(request.user, chronicle):
        raise PermissionDenied("Only the head storyteller manages invitations.")
    if request.method == "POST":
        if "revoke" in request.POST:
            revoked = invitations_ops.revoke_invitation(
                chronicle_id=chronicle.pk, invitation_id=parse_id(request.POST.get("revoke"))
            )
            messages.success(request, "Invitation revoked." if revoked else "Nothing to revoke.")
            return redirect("invitations", pk=chronicle.pk)
        try:
            created = invitations_ops.create_invitation(
                chronicle_id=chronicle.pk, by=request.user, note=request.POST.get("note", "")
            )
        except ValidationError as error:
            messages.error(request, f"No invitation was created: {error_text(error)}")
        else:
            link = request.build_absolute_uri(created.get_absolute_url())
            messages.success(request, f"New invitation link: {link}")
        return redirect("invitations", pk=chronicle.pk)
    listed = Invitation.objects.filter(chronicle=chronicle).select_related("used_by")[:50]
    return render(
        request,
        "game/invitations.html",
        {
            "chronicle": chronicle,
            "invitations": [(i, request.build_absolute_uri(i.get_absolute_url())) for i in listed],
        },
    )


# --- Accounts ----------------------------------------------------------------------------


def signup(request):
    """Open registration, when TG_OPEN_REGISTRATION is on; otherwise 404."""
    from django.conf import settings

    if not settings.TG_OPEN_REGISTRATION:
        raise Http404("Accounts are created through invitations.")
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["email"]
        try:
            user = accounts.sign_up(address=address, save=form.save, context="open sign-up")
        except ValidationError as taken:
            form.add_error("username", taken)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.get_username()}!")
            messages.info(request, link_sent(address))
            return redirect("dashboard")
    return render(request, "registration/signup.html", {"form": form})


def link_sent(address: str) -> str:
    """What a person who gave an e-mail address is told: the same whether or not the
    address has an account (its owner is mailed a notice instead of a link)."""
    return (
        f"We sent a link to {address}. Open it to make it your account's e-mail address; "
        "tg mails nothing else there until then."
    )


@login_required
def account(request):
    memberships = permissions.chronicles_visible_to(request.user).order_by("name")
    notifications = NotificationPreferencesForm(
        instance=NotificationPreferences.current(request.user)
    )
    address = AddressForm(request.POST or None)
    if request.method == "POST" and address.is_valid():
        given = address.cleaned_data["email"]
        if given.lower() == request.user.email.lower():
            messages.info(request, f"{given} is your account's address already.")
            return redirect("account")
        try:
            accounts.change_address(
                user=request.user, address=given, password=address.cleaned_data["password"]
            )
        except ValidationError as refused:
            address.add_error("password" if refused.code == "wrong_password" else None, refused)
        else:
            messages.info(request, link_sent(given))
            return redirect("account")
    return render(
        request,
        "registration/account.html",
        {"chronicles": memberships, "notifications": notifications, "address": address},
    )


def confirm_address(request, token):
    """The link mailed to a new address: a page with one button (a mail scanner that
    opens the link changes nothing), which makes the address the account's."""
    try:
        _, address, _ = accounts.read_token(token)
    except ValidationError as error:
        return render(
            request, "registration/confirm_address.html", {"error": error_text(error)}, status=400
        )
    if request.method == "POST":
        try:
            user = accounts.confirm_address(token=token)
        except ValidationError as error:
            return render(
                request,
                "registration/confirm_address.html",
                {"error": error_text(error)},
                status={"address_taken": 409, "link_used": 410}.get(error.code or "", 400),
            )
        messages.success(request, f"{address} is now the e-mail address of {user.get_username()}.")
        return redirect("account" if request.user == user else "login")
    return render(request, "registration/confirm_address.html", {"address": address})
