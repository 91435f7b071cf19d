"""Read-side figures the pages show, each computed in the database in a fixed number of
queries whatever the number of characters (no per-row queries)."""

from django.db.models import (
    Case,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from characters.traits import XP_TRAITS
from game.models import (
    LedgerKind,
    SpendStatus,
    STRelationship,
    XPLedgerEntry,
    XPSpendingRequest,
)


def _ledger_sum(condition: Q):
    entries = (
        XPLedgerEntry.objects.filter(condition, character=OuterRef("pk"))
        .order_by()
        .values("character")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(entries, output_field=IntegerField()), Value(0))


def _pending(aggregate):
    requests = (
        XPSpendingRequest.objects.filter(character=OuterRef("pk"), status=SpendStatus.PENDING)
        .order_by()
        .values("character")
        .annotate(value=aggregate)
        .values("value")
    )
    return Coalesce(Subquery(requests, output_field=IntegerField()), Value(0))


def with_xp_figures(characters):
    """Annotate ``xp_earned`` (awards and adjustments), ``xp_spent`` (spends less
    refunds: approved and pending dots), ``pending_count`` and ``pending_cost``.

    ``xp`` (available) = ``xp_earned`` − ``xp_spent`` whenever the ledger is whole.
    """
    from django.db.models import Count

    earned = Q(kind__in=[LedgerKind.AWARD, LedgerKind.ADJUSTMENT])
    spent = Q(kind__in=[LedgerKind.SPEND, LedgerKind.REFUND])
    return characters.annotate(
        xp_earned=_ledger_sum(earned),
        xp_spent=-_ledger_sum(spent),
        pending_count=_pending(Count("pk")),
        pending_cost=_pending(Sum("cost")),
    )


def storytellers_of(chronicle) -> QuerySet[STRelationship]:
    """The chronicle's assistant storytellers, one row per game line, by line and name."""
    return (
        STRelationship.objects.filter(chronicle=chronicle)
        .select_related("user", "gameline")
        .order_by("gameline__name", "user__username")
    )


def current_rating(prefix: str = "character__"):
    """The rating *now* of each request's trait, read from its character's sheet.

    ``prefix`` leads from the request to its character. NULL for a character with no
    sheet (no ``characters_human`` row).
    """
    return Case(
        *(When(trait_name=name, then=F(f"{prefix}human__{name}")) for name in XP_TRAITS),
        output_field=IntegerField(),
    )
