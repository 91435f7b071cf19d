"""A chronicle's XP report: awards per scene and per character by month, XP spent by
category, what is pending now.

Every figure is an aggregate computed in the database: four queries whatever the number
of characters, scenes or ledger entries. The page (``game.pages.chronicle.report``)
shows each figure as a table, and the chart beside it is drawn from the same numbers.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, DateField, Max, Min, Sum
from django.db.models.functions import TruncMonth

from characters.traits import Category
from game.models import Chronicle, LedgerKind, SpendStatus, XPLedgerEntry, XPSpendingRequest


@dataclass(frozen=True)
class SceneAward:
    scene_id: int
    name: str
    played: date | None
    awarded_at: datetime
    characters: int
    xp: int


@dataclass
class CharacterAwards:
    """One character's scene XP in each month of the report (``months`` order)."""

    character_id: int
    name: str
    per_month: list[int]

    @property
    def total(self) -> int:
        return sum(self.per_month)


@dataclass(frozen=True)
class CategorySpend:
    category: str
    label: str
    dots: int
    xp: int


@dataclass(frozen=True)
class PendingTotals:
    count: int
    xp: int
    oldest: datetime | None


@dataclass
class ChronicleReport:
    since: date | None  # first day of the period; None: since the chronicle began
    months: list[date]  # first day of each month of the period, oldest first
    scenes: list[SceneAward]
    characters: list[CharacterAwards]
    spending: list[CategorySpend]
    pending: PendingTotals
    month_totals: list[int] = field(default_factory=list)

    @property
    def awarded(self) -> int:
        return sum(self.month_totals)

    @property
    def spent(self) -> int:
        return sum(spend.xp for spend in self.spending)


def month_start(day: date, months_back: int = 0) -> date:
    """The first day of the month ``months_back`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    months, current = [], month_start(first)
    while current <= last:
        months.append(current)
        current = month_start(current, -1)
    return months


def chronicle_report(chronicle: Chronicle, *, months: int | None, today: date) -> ChronicleReport:
    """The report of the last ``months`` months including the current one (None: all time).

    Awards count the scene XP of the chronicle's scenes, by the date it was awarded.
    Spending counts approved requests only, by the date they were approved: a denied,
    withdrawn or reversed request gave its XP back and is not spent. Pending is now,
    whatever the period.
    """
    since = month_start(today, months - 1) if months else None
    awards = XPLedgerEntry.objects.filter(kind=LedgerKind.AWARD, scene__chronicle=chronicle)
    approved = XPSpendingRequest.objects.filter(
        character__chronicle=chronicle, status=SpendStatus.APPROVED
    )
    if since is not None:
        awards = awards.filter(created_at__date__gte=since)
        approved = approved.filter(decided_at__date__gte=since)

    scenes = [
        SceneAward(
            scene_id=row["scene_id"],
            name=row["scene__name"],
            played=row["scene__date_played"],
            awarded_at=row["awarded_at"],
            characters=row["characters"],
            xp=row["xp"],
        )
        for row in awards.order_by()
        .values("scene_id", "scene__name", "scene__date_played")
        .annotate(awarded_at=Max("created_at"), characters=Count("character", distinct=True))
        .annotate(xp=Sum("amount"))
        .order_by("-awarded_at", "-scene_id")
    ]

    monthly = list(
        awards.order_by()
        .annotate(month=TruncMonth("created_at", output_field=DateField()))
        .values("character_id", "character__name", "month")
        .annotate(xp=Sum("amount"))
        .order_by()
    )
    first = since or min((row["month"] for row in monthly), default=None)
    last = max((row["month"] for row in monthly), default=today)
    month_list = months_between(first, max(last, today)) if first else []
    column = {month: n for n, month in enumerate(month_list)}
    characters: dict[int, CharacterAwards] = {}
    for row in monthly:
        awards_of = characters.setdefault(
            row["character_id"],
            CharacterAwards(row["character_id"], row["character__name"], [0] * len(month_list)),
        )
        awards_of.per_month[column[row["month"]]] += row["xp"]
    by_name = sorted(characters.values(), key=lambda c: (c.name.lower(), c.character_id))
    month_totals = [sum(c.per_month[n] for c in by_name) for n in range(len(month_list))]

    spent: dict[str, dict[str, Any]] = {
        row["category"]: dict(row)
        for row in approved.order_by()
        .values("category")
        .annotate(dots=Count("pk"), xp=Sum("cost"))
        .order_by()
    }
    spending = [
        CategorySpend(
            category=category,
            label=label,
            dots=spent.get(category, {}).get("dots", 0),
            xp=spent.get(category, {}).get("xp", 0),
        )
        for category, label in Category.CHOICES
    ]

    waiting = XPSpendingRequest.objects.filter(
        character__chronicle=chronicle, status=SpendStatus.PENDING
    ).aggregate(count=Count("pk"), xp=Sum("cost"), oldest=Min("created_at"))
    pending = PendingTotals(waiting["count"], waiting["xp"] or 0, waiting["oldest"])

    return ChronicleReport(
        since=since,
        months=month_list,
        scenes=scenes,
        characters=by_name,
        spending=spending,
        pending=pending,
        month_totals=month_totals,
    )
