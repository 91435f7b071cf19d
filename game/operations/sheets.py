"""A new character sheet: created Unfinished, owned by the person who starts it."""

from characters.models import Human, Status
from game.models import Chronicle


def create_character(*, owner, chronicle: Chronicle, name: str, concept: str = "") -> Human:
    """A new Unfinished character of ``owner`` in ``chronicle``: its dots are filled in
    on the edit page, then it is submitted. Whether ``owner`` may create one there is
    the page's question (``permissions.chronicles_visible_to``)."""
    return Human.objects.create(
        name=name, concept=concept, chronicle=chronicle, owner=owner, status=Status.UNFINISHED
    )
