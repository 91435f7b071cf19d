"""Moving a character through its statuses on someone's behalf, and editing its sheet.

Views call these; they never save a character themselves. Each locks the character row
and then its human row, in two statements (``characters.locks``, the order every XP
operation takes them in), refuses a stale form (the ``version`` the page was rendered
with), asks ``game.permissions`` who may do what, and saves through ``Character.save``
— which keeps the state machine, bumps the version and refunds Pending requests when
the character leaves play.
"""

from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from characters.locks import lock_characters
from characters.models import Character, ConcurrentEdit, Human, Status
from notifications.mail import notify_status_decision

VERBS = {
    (Status.UNFINISHED, Status.SUBMITTED): "submitted for approval",
    (Status.SUBMITTED, Status.UNFINISHED): "returned to Unfinished",
    (Status.UNFINISHED, Status.RETIRED): "retired",
    (Status.SUBMITTED, Status.APPROVED): "approved",
    (Status.APPROVED, Status.RETIRED): "retired",
    (Status.APPROVED, Status.DECEASED): "marked Deceased",
    (Status.RETIRED, Status.APPROVED): "brought back into play",
}


def _locked(character_id: int, version: int | None) -> Human:
    """The character, read once its character row and then its human row are locked.

    Not ``Human.objects.select_for_update()``: that one statement locks the human row
    first and deadlocks with an approval, which holds the character row and then wants
    the human row.
    """
    row = lock_characters([character_id], humans=True).get(character_id)
    character = row.human if row is not None else None
    if character is None:
        raise ValidationError("This character no longer exists.", code="unknown_character")
    if version is not None and character.version != version:
        raise ConcurrentEdit(character)
    return character


def change_status(
    *, character_id: int, status: str, by, version: int | None = None, reason: str = ""
) -> Human:
    """Move the character to ``status`` if ``by`` may make that move now.

    ``reason`` is kept in the character's history; returning a submitted character to its
    player needs one (the player reads it on their dashboard).
    """
    from game.permissions import status_moves

    if len(reason) > 500:
        raise ValidationError("The note is longer than 500 characters.", code="invalid_text")
    with transaction.atomic():
        character = _locked(character_id, version)
        if status not in status_moves(by, character):
            raise PermissionDenied(
                f"You cannot move {character} from {character.get_status_display()} to "
                f"{Status(status).label if status in Status.values else status}."
            )
        returning = character.status == Status.SUBMITTED and status == Status.UNFINISHED
        if returning and character.owner_id != by.pk and not reason.strip():
            raise ValidationError(
                "Say what to change: the player reads this note.", code="note_required"
            )
        character.status = status
        character.save(update_fields=["status"], changed_by=by, reason=reason.strip())
        transaction.on_commit(partial(notify_status_decision, character.pk, status))
    return character


def restore_willpower(*, character_id: int, by, version: int | None = None) -> Human:
    """A storyteller restores temporary willpower to the permanent rating (never on their
    own character: ``permissions.may_restore_willpower``)."""
    from game.permissions import is_own, may_restore_willpower

    with transaction.atomic():
        character = _locked(character_id, version)
        if not may_restore_willpower(by, character):
            if is_own(by, character.owner_id):
                raise PermissionDenied(
                    f"You cannot restore the willpower of your own character ({character}): "
                    "another storyteller of the chronicle does."
                )
            raise PermissionDenied("Only a storyteller of the chronicle restores willpower.")
        character.temporary_willpower = character.willpower
        character.save(
            update_fields=["temporary_willpower"], changed_by=by, reason="Willpower restored"
        )
    return character


def describe_move(old: str, new: str) -> str:
    return VERBS.get((Status(old), Status(new)), f"moved to {Status(new).label}")


def save_and_submit(*, form, by) -> Character:
    """Save the player's edit and submit the character for approval, in one transaction:
    a refused submission saves nothing either."""
    with transaction.atomic():
        character = save_sheet(form=form, by=by)
        change_status(character_id=character.pk, status=Status.SUBMITTED, by=by)
    return character


def save_sheet(*, form, by) -> Character:
    """Save the player's edit of an Unfinished character from a validated form."""
    from game.permissions import is_signed_in

    with transaction.atomic():
        character = _locked(form.instance.pk, form.cleaned_data.get("version"))
        if not is_signed_in(by) or character.owner_id != by.pk:
            raise PermissionDenied("Only the character's player can edit it.")
        if character.status != Status.UNFINISHED:
            raise ValidationError(
                f"{character} is {character.get_status_display()}: only an Unfinished "
                "character can be edited.",
                code="not_editable",
            )
        for name in form.sheet_fields:
            setattr(character, name, form.cleaned_data[name])
        character.temporary_willpower = character.willpower
        character.full_clean(exclude=["owner", "chronicle", "xp", "version", "status"])
        character.save(
            update_fields=[*form.sheet_fields, "temporary_willpower"],
            changed_by=by,
            reason="Sheet edited by its player",
        )
    return character
