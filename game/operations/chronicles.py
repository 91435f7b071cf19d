"""Starting a chronicle: the person who starts it is its head storyteller."""

import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from game import permissions
from game.models import Chronicle, StorytellerAction, record_storyteller_change


def start_chronicle(*, by, name: str, description: str = "") -> tuple[Chronicle, bool]:
    """A new chronicle headed by ``by``; ``(chronicle, True)``. The same form sent twice
    (a double click, a retried request) starts one: when ``by`` already heads a
    chronicle of that name, it is returned with ``False`` and nothing is created.
    ``PermissionDenied`` when ``by`` may not start one (``TG_CHRONICLE_STARTERS``)."""
    if not permissions.may_start_chronicle(by):
        raise PermissionDenied("Starting a chronicle needs an operator's permission here.")
    name = " ".join(name.split())
    if not any(unicodedata.category(c)[0] in "LN" for c in name):
        raise ValidationError(
            "Give the chronicle a name with at least one letter or digit.", code="name_missing"
        )
    limit = Chronicle._meta.get_field("name").max_length or 200
    if len(name) > limit:
        raise ValidationError(
            f"the name is {len(name)} characters long, at most {limit}.", code="name_too_long"
        )
    with transaction.atomic():
        # One start at a time per person, so that the look for a twin and the insert
        # cannot interleave with a second copy of the same request.
        get_user_model().objects.select_for_update().filter(pk=by.pk).exists()
        twin = Chronicle.objects.filter(head_st=by, name__iexact=name).order_by("pk").first()
        if twin is not None:
            return twin, False
        chronicle = Chronicle.objects.create(name=name, head_st=by, description=description.strip())
        record_storyteller_change(
            chronicle=chronicle,
            user=by,
            action=StorytellerAction.ADDED,
            by=by,
            note="started the chronicle as its head storyteller",
        )
    return chronicle, True
