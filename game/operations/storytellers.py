"""A chronicle's storytellers: assistants per game line, and the head role."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from characters.models import Character
from game.models import (
    Chronicle,
    ChronicleMembership,
    Gameline,
    StorytellerAction,
    STRelationship,
    record_storyteller_change,
)


def _person_of(chronicle: Chronicle, username: str):
    """The active account ``username`` among the chronicle's people: its members, the
    owners of its characters, its storytellers.

    Anyone else — whether the account exists elsewhere on the site or not at all — gets
    the same answer, so this form cannot be used to learn who has an account.
    """
    name = username.strip()
    if not name:
        raise ValidationError("Type the account name (the name they sign in with).")
    of_this_chronicle = (
        Exists(ChronicleMembership.objects.filter(user=OuterRef("pk"), chronicle=chronicle))
        | Exists(Character.objects.filter(owner=OuterRef("pk"), chronicle=chronicle))
        | Exists(STRelationship.objects.filter(user=OuterRef("pk"), chronicle=chronicle))
        | Q(pk=chronicle.head_st_id)
    )
    found = (
        get_user_model().objects.filter(of_this_chronicle, username=name, is_active=True).first()
    )
    if found is None:
        shown = name if len(name) <= 40 else name[:39] + "…"
        raise ValidationError(
            f"Nobody called “{shown}” has joined {chronicle}. Send them an invitation "
            "first; once they have joined, add them here."
        )
    return found


def change_storytellers(
    *,
    chronicle_id: int,
    action: str | None,
    by,
    username: str = "",
    gameline_id: int | None = None,
    relation_id: int | None = None,
    confirm: str = "",
) -> str:
    """Add an assistant storyteller for a game line (``"add"``), remove one
    (``"remove"``), or hand the head role over (``"transfer"``, confirmed by typing the
    chronicle's name). Returns what happened as a sentence; refusals are
    ``ValidationError`` and change nothing. Who may do it is the page's question
    (``permissions.is_head_storyteller``)."""
    with transaction.atomic():
        # One head change at a time: lock the chronicle row.
        chronicle = Chronicle.objects.select_for_update().get(pk=chronicle_id)
        if action == "add":
            user = _person_of(chronicle, username)
            gameline = Gameline.objects.filter(pk=gameline_id or 0).first()
            if gameline is None:
                raise ValidationError("Choose a game line.")
            if user.pk == chronicle.head_st_id:
                raise ValidationError(
                    f"{user} is the head storyteller: they storytell every game line of "
                    f"{chronicle} already."
                )
            _, created = STRelationship.objects.get_or_create(
                user=user, chronicle=chronicle, gameline=gameline
            )
            if not created:
                raise ValidationError(f"{user} already storytells {gameline} here.")
            record_storyteller_change(
                chronicle=chronicle,
                user=user,
                action=StorytellerAction.ADDED,
                by=by,
                gameline=gameline,
            )
            return f"{user} now storytells {gameline} in {chronicle}."
        if action == "remove":
            relation = (
                STRelationship.objects.filter(chronicle=chronicle, pk=relation_id or 0)
                .select_related("user", "gameline")
                .first()
            )
            if relation is None:
                raise ValidationError("That storyteller relationship no longer exists.")
            if relation.user_id == chronicle.head_st_id:
                raise ValidationError(
                    "The head storyteller cannot remove themself; hand the head role over first."
                )
            relation.delete()
            record_storyteller_change(
                chronicle=chronicle,
                user=relation.user,
                action=StorytellerAction.REMOVED,
                by=by,
                gameline=relation.gameline,
            )
            return f"{relation.user} no longer storytells {relation.gameline} in {chronicle}."
        if action == "transfer":
            user = _person_of(chronicle, username)
            if confirm.strip() != chronicle.name:
                raise ValidationError(
                    f"Type the chronicle's name, “{chronicle.name}”, to confirm the transfer."
                )
            if user.pk == chronicle.head_st_id:
                raise ValidationError(f"{user} is already the head storyteller.")
            previous = chronicle.head_st
            chronicle.head_st = user
            chronicle.save(update_fields=["head_st"])
            record_storyteller_change(
                chronicle=chronicle,
                user=user,
                action=StorytellerAction.HEAD_TRANSFERRED,
                by=by,
                note=f"previous head storyteller: {previous}",
            )
            return f"{user} is now the head storyteller of {chronicle}."
    raise ValidationError("Unknown action.")
