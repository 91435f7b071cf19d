"""E-mail to players about decisions, sent after the decision commits.

The XP operations and status changes register these functions with
``transaction.on_commit``: the mail leaves only once the decision is in the database,
never for a decision that rolled back. A mail that cannot be sent — the mail server
down, a bad address, a bug here — is logged (logger ``tg.notifications``) and
forgotten: it never undoes, fails or blocks a decision, whose transaction and row
locks are over by then. ``EMAIL_TIMEOUT`` bounds how long a stalled server can hold
the response that triggered the mail.

Nobody is mailed about their own action (a player withdrawing, a storyteller deciding
their own character under ``TG_ALLOW_SELF_DECISIONS``), nor when they turned the kind
off on their account page, nor when they have no e-mail address.
"""

import functools
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from characters.models import Status
from notifications.models import NotificationPreferences

logger = logging.getLogger("tg.notifications")


def site_url(path: str) -> str:
    """An absolute link for an e-mail: ``TG_SITE_URL`` + ``path``."""
    return str(settings.TG_SITE_URL).rstrip("/") + path


def one_line(text: str) -> str:
    """A subject line: header injection needs a newline, so none is kept."""
    return " ".join(text.split())


def deliver(*, to: str, subject: str, template: str, context: dict) -> bool:
    """Send one plain-text mail; on any failure log it and return False, never raise."""
    try:
        body = render_to_string(template, context)
        send_mail(one_line(subject), body, None, [to], fail_silently=False)
    except Exception:
        logger.exception("Could not e-mail %s: %s", to, one_line(subject))
        return False
    logger.info("E-mailed %s: %s", to, one_line(subject))
    return True


def _after_commit(function):
    """A notification runs after the decision committed: whatever goes wrong in it is
    logged, never raised into the request or the operation that registered it."""

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception:
            logger.exception("Notification %s%r failed", function.__name__, args)
            return False

    return guarded


DECISION_VERBS = {"Approved": "approved", "Denied": "denied", "Reversed": "reversed"}


@_after_commit
def notify_decision(request_id: int, status: str) -> bool:
    """Tell the player that their XP request was approved, denied (with the
    storyteller's note) or reversed (with the reason). Returns whether a mail left."""
    from game.models import LedgerKind, XPLedgerEntry, XPSpendingRequest

    request = XPSpendingRequest.objects.select_related("character__owner", "decided_by").get(
        pk=request_id
    )
    character, owner = request.character, request.character.owner
    decider, note = request.decided_by, request.note
    if status == "Reversed":
        refund = (
            XPLedgerEntry.objects.filter(spend_request=request, kind=LedgerKind.REFUND)
            .select_related("created_by")
            .first()
        )
        decider, note = (refund.created_by, refund.note) if refund else (None, "")
    if not _should_mail(owner, decider, "decisions"):
        return False
    verb = DECISION_VERBS[status]
    change = f"{request.trait_display} {request.current_value} → {request.new_value}"
    return deliver(
        to=owner.email,
        subject=f"{change} {verb} for {character.name}",
        template="notifications/xp_decision.txt",
        context={
            "player": owner,
            "character": character,
            "request": request,
            "change": change,
            "verb": verb,
            "status": status,
            "decider": decider,
            "note": note,
            "link": site_url(reverse("xp-history", args=[character.pk])),
            "sheet": site_url(character.get_absolute_url()),
            "preferences": site_url(reverse("account")),
        },
    )


STATUS_DECISIONS: dict[tuple[str, str], str] = {
    (Status.SUBMITTED, Status.APPROVED): "approved",
    (Status.SUBMITTED, Status.UNFINISHED): "returned to Unfinished",
}


@_after_commit
def notify_status_decision(character_id: int, status: str) -> bool:
    """Tell the player that a storyteller approved their submitted character or returned
    it to Unfinished; the note is the reason recorded with that status change."""
    from characters.models import CharacterChange

    change = (
        CharacterChange.objects.filter(character_id=character_id, field="status", new=status)
        .select_related("character__owner", "changed_by")
        .order_by("-changed_at", "-pk")
        .first()
    )
    if change is None or (change.old, change.new) not in STATUS_DECISIONS:
        return False
    character, owner = change.character, change.character.owner
    if change.changed_by is None or not _should_mail(owner, change.changed_by, "decisions"):
        return False
    verb = STATUS_DECISIONS[(change.old or "", change.new or "")]
    return deliver(
        to=owner.email,
        subject=f"{character.name} {verb} by {change.changed_by.get_username()}",
        template="notifications/status_decision.txt",
        context={
            "player": owner,
            "character": character,
            "verb": verb,
            "approved": change.new == Status.APPROVED,
            "decider": change.changed_by,
            "note": change.reason,
            "sheet": site_url(character.get_absolute_url()),
            "preferences": site_url(reverse("account")),
        },
    )


def _should_mail(person, actor, kind: str) -> bool:
    if not person.email or not person.is_active:
        return False
    if actor is not None and actor.pk == person.pk:
        return False  # their own action
    return NotificationPreferences.wants(person, kind)


@_after_commit
def mail_address_confirmation(user_id: int, address: str, token: str) -> bool:
    """The link that makes ``address`` the account's e-mail address."""
    user = get_user_model().objects.get(pk=user_id)
    return deliver(
        to=address,
        subject="Confirm your e-mail address for tg",
        template="notifications/address_confirmation.txt",
        context={
            "user": user,
            "address": address,
            "link": site_url(reverse("confirm-address", args=[token])),
        },
    )


@_after_commit
def mail_address_in_use(owner_id: int, *, username: str, context: str) -> bool:
    """Tell an account's owner that someone gave their address to another account (a
    sign-up or an account page): it was not added there, and how to get back in."""
    owner = get_user_model().objects.get(pk=owner_id)
    return deliver(
        to=owner.email,
        subject="Your e-mail address was given for another tg account",
        template="notifications/address_in_use.txt",
        context={
            "owner": owner,
            "username": username,
            "context": context,
            "login": site_url(reverse("login")),
            "reset": site_url(reverse("password_reset")),
        },
    )


@_after_commit
def mail_address_replaced(user_id: int, *, previous: str, address: str) -> bool:
    """Tell the address an account used to have that it has another one now."""
    user = get_user_model().objects.get(pk=user_id)
    return deliver(
        to=previous,
        subject="Your tg account has a new e-mail address",
        template="notifications/address_replaced.txt",
        context={
            "user": user,
            "previous": previous,
            "address": address,
            "reset": site_url(reverse("password_reset")),
        },
    )
