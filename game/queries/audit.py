"""A chronicle's audit trail: XP decisions, ledger entries, status and other character
changes, and storyteller changes, merged into one list, newest first.

The trail lives in five tables (``XPSpendingRequest``, ``XPLedgerEntry``,
``CharacterChange``, ``StorytellerChange``; reversals are the refund entries of Reversed
requests). ``AuditLog`` merges them without ever reading a whole table:

- counting is one ``COUNT(*)`` per source (the paginator's total);
- a page ``[start:stop]`` of the merged list can only hold rows that are among the
  ``stop`` newest of their own source, so each source is read with ``LIMIT stop``,
  newest first, on its indexed time column; the sorted runs are merged
  (``heapq.merge``) and the window is cut out. Page *p* of 50 reads at most 50 × *p*
  rows per source, whatever the size of the tables, and the number of queries is
  fixed (two per source);
- the pages stop at ``limit`` rows (the page view passes 5,000: 100 pages), so even
  the last page reads at most ``limit`` rows per source; older rows are reached by
  narrowing the filters (a date range) or in the CSV;
- the CSV export streams every filtered row: each source is read with a chunked
  iterator and the runs are merged lazily, so memory stays flat too.

Ties in time are broken by source, then by primary key, so the order is stable from
one page to the next.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from itertools import islice

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from characters.models import Character, CharacterChange, status_label
from game.models import (
    Chronicle,
    LedgerKind,
    SpendStatus,
    StorytellerAction,
    StorytellerChange,
    STRelationship,
    XPLedgerEntry,
    XPSpendingRequest,
)


class AuditKind(models.TextChoices):
    DECISION = "decision", "XP decision"
    LEDGER = "ledger", "Ledger entry"
    STATUS = "status", "Status change"
    CHANGE = "change", "Character change"
    STORYTELLER = "storyteller", "Storyteller change"


@dataclass(frozen=True)
class AuditFilters:
    character_id: int | None = None
    person_id: int | None = None  # who acted
    kind: str | None = None
    start: date | None = None  # inclusive
    end: date | None = None  # inclusive


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    kind: str
    character: str
    character_id: int | None
    by: str
    what: str
    amount: int | None
    note: str
    order: tuple  # (at, source rank, pk): the merge key

    @property
    def kind_label(self) -> str:
        return AuditKind(self.kind).label


@dataclass(frozen=True)
class Source:
    """One table of the trail: its filtered rows newest first, and how a row reads."""

    rank: int
    queryset: QuerySet
    event: Callable[[models.Model], AuditEvent]


# --- How each kind of row reads ----------------------------------------------------------

DECISION_VERBS = {
    SpendStatus.APPROVED: "approved",
    SpendStatus.DENIED: "denied",
    SpendStatus.WITHDRAWN: "withdrawn by the player",
    SpendStatus.REVERSED: "approved (reversed later)",
}


def _name(user) -> str:
    return user.get_username() if user is not None else ""


def _request_text(request: XPSpendingRequest) -> str:
    return (
        f"{request.trait_display} {request.current_value} → {request.new_value} ({request.cost} XP)"
    )


def _decision(request: XPSpendingRequest, rank: int) -> AuditEvent:
    self_decided = " (self-decided)" if request.self_decided else ""
    return AuditEvent(
        at=request.decided_at or request.created_at,  # a decided request has both
        kind=AuditKind.DECISION,
        character=request.character.name,
        character_id=request.character_id,
        by=_name(request.decided_by),
        what=f"{_request_text(request)} {DECISION_VERBS[SpendStatus(request.status)]}"
        + self_decided,
        amount=None,
        note=request.note,
        order=(request.decided_at, rank, request.pk),
    )


def _reversal(entry: XPLedgerEntry, rank: int) -> AuditEvent:
    assert entry.spend_request is not None  # a reversal is a refund of its request
    return AuditEvent(
        at=entry.created_at,
        kind=AuditKind.DECISION,
        character=entry.character.name,
        character_id=entry.character_id,
        by=_name(entry.created_by),
        what=f"{_request_text(entry.spend_request)} reversed",
        amount=None,
        note=entry.note,
        order=(entry.created_at, rank, entry.pk),
    )


def _ledger(entry: XPLedgerEntry, rank: int) -> AuditEvent:
    what = LedgerKind(entry.kind).label
    if entry.scene is not None:
        what += f": scene “{entry.scene.name}”"
    elif entry.spend_request is not None:
        what += f": {_request_text(entry.spend_request)}"
    return AuditEvent(
        at=entry.created_at,
        kind=AuditKind.LEDGER,
        character=entry.character.name,
        character_id=entry.character_id,
        by=_name(entry.created_by),
        what=what,
        amount=entry.amount,
        note=entry.note,
        order=(entry.created_at, rank, entry.pk),
    )


def _change(change: CharacterChange, rank: int) -> AuditEvent:
    if change.field == "status":
        kind = AuditKind.STATUS
        what = f"Status: {status_label(change.old)} → {status_label(change.new)}"
    else:
        kind = AuditKind.CHANGE
        label = change.field.replace("_", " ").capitalize()
        what = f"{label}: {'' if change.old is None else change.old} → "
        what += "" if change.new is None else change.new
    return AuditEvent(
        at=change.changed_at,
        kind=kind,
        character=change.character.name,
        character_id=change.character_id,
        by=_name(change.changed_by),
        what=what,
        amount=None,
        note=change.reason,
        order=(change.changed_at, rank, change.pk),
    )


def _storyteller(change: StorytellerChange, rank: int) -> AuditEvent:
    who = _name(change.user)
    if change.action == StorytellerAction.HEAD_TRANSFERRED:
        what = f"{who} became head storyteller"
    else:
        line = f" for {change.gameline.name}" if change.gameline is not None else ""
        verb = "added as" if change.action == StorytellerAction.ADDED else "removed as"
        what = f"{who} {verb} storyteller{line}"
    return AuditEvent(
        at=change.at,
        kind=AuditKind.STORYTELLER,
        character="",
        character_id=None,
        by=_name(change.by),
        what=what,
        amount=None,
        note=change.note,
        order=(change.at, rank, change.pk),
    )


# --- The sources, filtered -----------------------------------------------------------------


def _window(filters: AuditFilters, field: str) -> Q:
    q = Q()
    if filters.start is not None:
        q &= Q(**{f"{field}__gte": _midnight(filters.start)})
    if filters.end is not None:
        q &= Q(**{f"{field}__lt": _midnight(filters.end + timedelta(days=1))})
    return q


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def sources(chronicle: Chronicle, filters: AuditFilters) -> list[Source]:
    """The filtered sources of ``chronicle``'s trail (those the kind filter keeps)."""
    of_character = Q(character__chronicle=chronicle)
    if filters.character_id is not None:
        of_character &= Q(character_id=filters.character_id)

    def person(field: str) -> Q:
        return Q(**{field: filters.person_id}) if filters.person_id is not None else Q()

    specs = [
        (
            AuditKind.DECISION,
            XPSpendingRequest.objects.filter(of_character, decided_at__isnull=False)
            .filter(_window(filters, "decided_at"), person("decided_by"))
            .select_related("character", "decided_by")
            .order_by("-decided_at", "-pk"),
            _decision,
        ),
        (
            AuditKind.DECISION,
            XPLedgerEntry.objects.filter(
                of_character,
                kind=LedgerKind.REFUND,
                spend_request__status=SpendStatus.REVERSED,
            )
            .filter(_window(filters, "created_at"), person("created_by"))
            .select_related("character", "created_by", "spend_request")
            .order_by("-created_at", "-pk"),
            _reversal,
        ),
        (
            AuditKind.LEDGER,
            XPLedgerEntry.objects.filter(of_character)
            .filter(_window(filters, "created_at"), person("created_by"))
            .select_related("character", "created_by", "scene", "spend_request")
            .order_by("-created_at", "-pk"),
            _ledger,
        ),
        (
            AuditKind.STATUS,
            CharacterChange.objects.filter(of_character, field="status")
            .filter(_window(filters, "changed_at"), person("changed_by"))
            .select_related("character", "changed_by")
            .order_by("-changed_at", "-pk"),
            _change,
        ),
        (
            AuditKind.CHANGE,
            CharacterChange.objects.filter(of_character)
            .exclude(field="status")
            .filter(_window(filters, "changed_at"), person("changed_by"))
            .select_related("character", "changed_by")
            .order_by("-changed_at", "-pk"),
            _change,
        ),
    ]
    if filters.character_id is None:
        specs.append(
            (
                AuditKind.STORYTELLER,
                StorytellerChange.objects.filter(chronicle=chronicle)
                .filter(_window(filters, "at"), person("by"))
                .select_related("user", "gameline", "by")
                .order_by("-at", "-pk"),
                _storyteller,
            )
        )
    return [
        Source(rank, queryset, partial(_made, make, rank))
        for rank, (kind, queryset, make) in enumerate(specs)
        if filters.kind in (None, "", kind)
    ]


def _made(make, rank: int, row) -> AuditEvent:
    return make(row, rank)


class AuditLog:
    """The merged trail, sliceable like a list for Django's ``Paginator``.

    See the module's docstring for why a page never reads more than ``stop`` rows of
    each source.
    """

    def __init__(self, sources: list[Source], *, limit: int | None = None):
        self.sources = sources
        self.limit = limit
        self._counts: list[int] | None = None

    def counts(self) -> list[int]:
        if self._counts is None:
            self._counts = [source.queryset.count() for source in self.sources]
        return self._counts

    def total(self) -> int:
        """Every row the filters select."""
        return sum(self.counts())

    def count(self) -> int:
        """The rows that can be paged through: the newest ``limit`` of them."""
        total = self.total()
        return total if self.limit is None else min(total, self.limit)

    @property
    def truncated(self) -> bool:
        return self.count() < self.total()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[AuditEvent]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("An audit log is read a page (a slice) at a time.")
        start = index.start or 0
        stop = self.count() if index.stop is None else min(index.stop, self.count())
        runs = [
            [source.event(row) for row in source.queryset[:stop]]
            for source, total in zip(self.sources, self.counts(), strict=True)
            if total
        ]
        return list(islice(_merge(runs), start, stop))

    def __iter__(self) -> Iterator[AuditEvent]:
        """Every row, newest first, streamed (the CSV export)."""
        return _merge(_stream(source) for source in self.sources)


def _stream(source: Source) -> Iterator[AuditEvent]:
    for row in source.queryset.iterator(chunk_size=500):
        yield source.event(row)


def _merge(runs: Iterable[Iterable[AuditEvent]]) -> Iterator[AuditEvent]:
    return heapq.merge(*runs, key=lambda event: event.order, reverse=True)


def people(chronicle: Chronicle) -> QuerySet:
    """Everyone who may appear as having acted in ``chronicle``'s trail: its storytellers,
    its players, and whoever decided, wrote or changed something of it (one query)."""
    User = get_user_model()
    characters = Character.objects.filter(chronicle=chronicle)
    return User.objects.filter(
        Q(pk=chronicle.head_st_id)
        | Q(pk__in=STRelationship.objects.filter(chronicle=chronicle).values("user"))
        | Q(pk__in=characters.values("owner"))
        | Q(pk__in=XPSpendingRequest.objects.filter(character__in=characters).values("decided_by"))
        | Q(pk__in=XPLedgerEntry.objects.filter(character__in=characters).values("created_by"))
        | Q(pk__in=CharacterChange.objects.filter(character__in=characters).values("changed_by"))
        | Q(pk__in=StorytellerChange.objects.filter(chronicle=chronicle).values("by"))
    ).order_by("username")
