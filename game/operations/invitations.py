"""Invitation links: created and revoked by the head storyteller, used once to join."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.types import User
from game.models import ChronicleMembership, Invitation
from game.operations.accounts import sign_up


def create_invitation(*, chronicle_id: int, by, note: str = "") -> Invitation:
    """A new link into the chronicle. A note longer than the column is refused with its
    length, never cut."""
    note = note.strip()
    limit = Invitation._meta.get_field("note").max_length or 200
    if len(note) > limit:
        raise ValidationError(
            f"the note is {len(note)} characters long, at most {limit}.", code="note_too_long"
        )
    return Invitation.objects.create(chronicle_id=chronicle_id, created_by=by, note=note)


def revoke_invitation(*, chronicle_id: int, invitation_id: int | None) -> bool:
    """Revoke an unused link of the chronicle. False when there is none to revoke."""
    if invitation_id is None:
        return False
    return bool(
        Invitation.objects.filter(
            chronicle_id=chronicle_id, pk=invitation_id, used_at__isnull=True
        ).update(revoked_at=timezone.now())
    )


def accept_invitation(*, invitation_id: int, user) -> bool:
    """Use the invitation once (locked), making ``user`` a member. False if they already
    were one (the link stays open); ``PermissionDenied`` if it was used or revoked."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation_id)
        if locked.state != "open":
            raise PermissionDenied("This invitation was used or revoked a moment ago.")
        _, created = ChronicleMembership.objects.get_or_create(
            user=user, chronicle_id=locked.chronicle_id
        )
        if created:
            locked.used_by = user
            locked.used_at = timezone.now()
            locked.save(update_fields=["used_by", "used_at"])
    return created


def sign_up_with_invitation(
    *, invitation_id: int, address: str, save: Callable[[], User], context: str = ""
) -> User:
    """A new account and its membership in one transaction: if the link was used a moment
    ago, no account is left behind. ``address`` is offered to the account by mail
    (``offer_address``) once the transaction commits."""
    with transaction.atomic():
        user = sign_up(address=address, save=save, context=context)
        accept_invitation(invitation_id=invitation_id, user=user)
    return user
