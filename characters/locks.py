"""Row locks on characters, taken in the one order every writer follows.

``game.operations.xp`` documents the order and why it is what it is; in short, after the
scene row (awards only) and before any spending request:

1. character rows (``characters_character``) in primary-key order, in one statement;
2. their ``characters_human`` rows, when a trait is read or written, in a statement of
   their own, after the character locks are held.

Never both tables in one statement: ``Human.objects.select_for_update()`` joins them and
PostgreSQL locks the human row first, so it deadlocks against an operation that holds the
character row and then wants the human row (an approval, a save).

``lock_characters`` is the only place that takes these locks; XP operations, scene
awards, status changes, integrity repairs, ``Character.save`` and the bulk writes of
``CharacterQuerySet`` all go through it (``game/tests/test_layers.py`` holds it so).
It sits with the sheet's models so that the model layer can use it without reaching up.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from characters.models import Character, Human

# What every caller reads under the lock: the fields an XP decision or a status move
# depends on.
COLUMNS = ("pk", "name", "status", "xp", "version", "owner_id", "chronicle_id")


@dataclass(frozen=True, slots=True)
class LockedRow:
    """A character row as read once its lock was held (and its Human, when asked for)."""

    pk: int
    name: str
    status: str
    xp: int
    version: int
    owner_id: int
    chronicle_id: int | None
    # The character as a Human, read in the statement that locked its characters_human
    # row (``humans=True``); None when not asked for or when the character has no sheet.
    human: Human | None = None

    def __str__(self) -> str:
        return self.name

    def rating(self, trait: str) -> int:
        """A trait of the locked Human row (``humans=True``)."""
        if self.human is None:
            raise LookupError(f"{self.name} was locked without its sheet: no {trait}.")
        return getattr(self.human, trait)


def lock_characters(
    ids: Iterable[int] | QuerySet, *, humans: bool = False, using: str | None = None
) -> dict[int, LockedRow]:
    """Lock the character rows ``ids`` in primary-key order, then (``humans=True``) their
    ``characters_human`` rows in a second statement; return what was read under the locks,
    by primary key, in primary-key order. Ids that do not exist are left out.

    Call it inside ``transaction.atomic``; the locks last until the transaction ends.
    Under READ COMMITTED the second statement reads what committed while the first one
    waited, so the Human it returns is current.
    """
    # A queryset of pks stays a subquery (the bulk writes of CharacterQuerySet lock what
    # they are about to update in the same statement); anything else is a list of ids.
    pks: QuerySet | list[int] = ids if isinstance(ids, QuerySet) else sorted(set(ids))
    if isinstance(pks, list) and not pks:
        return {}
    rows = {
        values["pk"]: values
        for values in Character._base_manager.using(using)
        .filter(pk__in=pks)
        .order_by("pk")
        .select_for_update()
        .values(*COLUMNS)
    }
    sheets: dict[int, Human] = {}
    if humans and rows:
        # of=("self",): FOR UPDATE OF characters_human only; the character rows are ours.
        sheets = {
            human.pk: human
            for human in Human._base_manager.using(using)
            .filter(pk__in=list(rows))
            .order_by("pk")
            .select_for_update(of=("self",))
        }
    return {pk: LockedRow(**values, human=sheets.get(pk)) for pk, values in rows.items()}
