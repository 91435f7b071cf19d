"""Checks on the game tables: storyteller duplicates, scene XP, the ledger, stale requests.

XP is never created or lost by a repair: where a balance and its ledger disagree the
ledger gets an adjustment entry recording the difference, and a request denied because
its character left play is refunded exactly as ``game.operations.xp.deny_xp_spend`` would.
"""

from collections import Counter
from contextvars import ContextVar

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from characters.locks import lock_characters
from characters.models import Character, Human, Status
from game.models import (
    LedgerKind,
    Scene,
    SpendStatus,
    STRelationship,
    XPLedgerEntry,
    XPSpendingRequest,
)
from game.operations import ledger
from game.operations.xp import refund_requests
from game.queries import current_rating
from oversight.integrity.base import (
    Change,
    Check,
    CheckResult,
    Example,
    FieldCheck,
    FixLog,
    FixOutcome,
    batches,
    example_of,
    id_batches,
)

CHARACTER_TABLE = Character._meta.db_table
HUMAN_TABLE = Human._meta.db_table
LEDGER_TABLE = XPLedgerEntry._meta.db_table
INACTIVE = (Status.RETIRED, Status.DECEASED)


class DuplicateSTRelationships(Check):
    """The same user storytelling the same line of the same chronicle more than once."""

    name = "duplicate_st_relationships"
    title = "Duplicate storyteller relationships (same user, chronicle and game line)"
    model = STRelationship
    tables = (STRelationship._meta.db_table,)
    fix_description = "the oldest relationship is kept, the later copies deleted"

    def violation(self) -> Q:
        older = STRelationship.objects.filter(
            user=OuterRef("user"), chronicle=OuterRef("chronicle"), gameline=OuterRef("gameline")
        ).filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
        )
        return Q(Exists(older))

    def _offenders(self):
        return (
            STRelationship.objects.filter(self.violation())
            .order_by("pk")
            .values(
                "pk",
                "user_id",
                "chronicle_id",
                "gameline_id",
                "created_at",
                "user__username",
                "chronicle__name",
                "gameline__name",
            )
        )

    @staticmethod
    def _change(row: dict) -> Change:
        return {
            "model": STRelationship._meta.label,
            "id": row["pk"],
            "name": (
                f"{row['user__username']} in {row['chronicle__name']} ({row['gameline__name']})"
            ),
            "field": "",
            "old": (
                f"user_id={row['user_id']} chronicle_id={row['chronicle_id']} "
                f"gameline_id={row['gameline_id']} created_at={row['created_at'].isoformat()}"
            ),
            "new": None,
        }

    def examples(self, limit: int) -> tuple[list[Example], int]:
        rows = list(self._offenders()[:limit])
        examples = [example_of(self._change(row), field="duplicate", fix="delete") for row in rows]
        return examples, len(rows)

    def fix(self, log: FixLog, outcome: FixOutcome) -> None:
        for ids in id_batches(STRelationship.objects.filter(self.violation())):
            rows = list(self._offenders().filter(pk__in=ids))
            changes = [self._change(row) for row in rows]
            for change in changes:
                change["note"] = "Deleted: a later copy of an existing storyteller relationship"
            log.record(outcome, changes, rows=len(rows))
            STRelationship.objects.filter(pk__in=[row["pk"] for row in rows]).delete()


def _awards():
    return XPLedgerEntry.objects.filter(scene=OuterRef("pk"), kind=LedgerKind.AWARD)


class SceneXP(FieldCheck):
    """A scene's XP flags must agree with its award entries.

    Fixed, because the ledger says what happened: award entries on a scene not marked
    ``xp_given`` (marked, and finished if it was not: an award needs a finished scene);
    a scene marked ``xp_given`` but unfinished with award entries (finished); the same
    with no award entry at all (unmarked: nobody received XP, so the storyteller can
    still award it once the scene ends). Reported as information only: finished scenes
    awaiting XP, and finished scenes marked ``xp_given`` without an award entry, which
    ``Scene.award_xp`` produces legitimately when every participant got 0.
    """

    name = "scene_xp"
    title = "Scenes whose XP flags disagree with their award entries"
    model = Scene
    tables = (Scene._meta.db_table, LEDGER_TABLE)
    fix_description = "flags made to agree with the scene's award entries"

    def rules(self):
        has_awards = Exists(_awards())
        first_award = Subquery(_awards().order_by("created_at", "pk").values("created_at")[:1])
        given_unfinished_unawarded = Q(xp_given=True, finished=False) & ~has_awards
        return {
            "xp_given": (
                (Q(xp_given=False) & has_awards) | given_unfinished_unawarded,
                has_awards,
            ),
            "finished": (Q(finished=False) & has_awards, Value(True)),
            "finished_at": (
                Q(finished=False, finished_at__isnull=True) & has_awards,
                Coalesce(F("xp_awarded_at"), first_award),
            ),
            "xp_awarded_at": (
                (Q(xp_awarded_at__isnull=True) & has_awards)
                | (given_unfinished_unawarded & Q(xp_awarded_at__isnull=False)),
                first_award,
            ),
        }

    def aggregates(self) -> dict:
        no_awards = Q(~Exists(_awards()))
        return {
            **super().aggregates(),
            "scenes_awaiting_xp": Count("pk", filter=Q(finished=True, xp_given=False) & no_awards),
            "scenes_given_without_awards": Count(
                "pk", filter=Q(finished=True, xp_given=True) & no_awards
            ),
        }

    def result(self, figures: dict):
        result = super().result(figures)
        result.info = {
            "scenes_awaiting_xp": figures["scenes_awaiting_xp"],
            "scenes_given_without_awards": figures["scenes_given_without_awards"],
        }
        return result


class XPLedger(Check):
    """A character's xp must equal the sum of its ledger entries.

    The ledger is the record of truth. A character with no entry at all holds XP from
    before the ledger existed: ``--fix`` records that balance as its opening entry. A
    character *with* entries whose balance drifted was changed outside the XP operations
    (a bulk update, a raw write): nobody can tell which figure is right, so ``--fix``
    leaves it and lists it; an operator decides with ``--accept-balances`` (the balance
    is right: an adjustment entry records the difference) or ``--restore-balances`` (the
    ledger is right: the balance is set back to it).
    """

    name = "xp_ledger"
    title = "Characters whose XP differs from the sum of their ledger entries"
    tables = (CHARACTER_TABLE, LEDGER_TABLE)
    fix_description = (
        "characters with no ledger entry get an opening-balance entry; a balance that "
        "drifted from its ledger is left for an operator (--accept-balances or "
        "--restore-balances)"
    )

    def count(self, existing: set[str]) -> dict:
        """Drifted balances: against the checkpoints plus the entries since (routine), or
        against a fresh sum of every entry (``--full``, and before core 0004 migrated)."""
        if FULL_SCAN.get() or ledger.CHECKPOINT_TABLE not in existing:
            figures = ledger.ledger_drift().aggregate(
                total=Count("pk"), drifted=Count("pk", filter=Q(entries__gt=0))
            )
            return {self.name: figures["total"], "drifted": figures["drifted"]}
        mark = ledger.checkpoint_mark()
        with connection.cursor() as cursor:
            cursor.execute(ledger.checkpointed_drift_sql(), [mark])
            total, drifted = cursor.fetchone()
        return {self.name: total or 0, "drifted": drifted or 0}

    def result(self, figures: dict) -> CheckResult:
        result = super().result(figures)
        result.info = {
            "drifted_from_ledger": figures["drifted"],
            "without_ledger": figures[self.name] - figures["drifted"],
        }
        result.fixable_count = result.info["without_ledger"]
        return result

    def examples(self, limit: int) -> tuple[list[Example], int]:
        rows = list(
            ledger.ledger_drift()
            .order_by("pk")
            .values("pk", "name", "xp", "ledger", "entries")[:limit]
        )
        examples: list[Example] = [
            {
                "model": Character._meta.label,
                "id": row["pk"],
                "name": row["name"],
                "field": "xp",
                "value": row["xp"],
                "ledger": row["ledger"],
                "fix": (
                    f"opening-balance entry of {row['xp']:+d}"
                    if not row["entries"]
                    else "an operator decides: --accept-balances or --restore-balances"
                ),
            }
            for row in rows
        ]
        return examples, len(rows)

    def fix(self, log: FixLog, outcome: FixOutcome) -> None:
        drifted = _drifted_ids()
        left = 0
        for ids in batches(drifted):
            # The lock every XP operation takes first; then re-read the figures.
            lock_characters(ids)
            rows = list(
                ledger.ledger_drift()
                .filter(pk__in=ids)
                .order_by("pk")
                .values("pk", "name", "xp", "entries")
            )
            opening = [row for row in rows if not row["entries"]]
            left += len(rows) - len(opening)
            self._record(
                log,
                outcome,
                opening,
                note="Opening balance: XP held before the ledger recorded it",
                by=log.repair_user(),
            )
        if left:
            outcome.remaining_note = (
                f"{left} character(s) with ledger history have a balance that differs from it; "
                "not changed: an operator decides with --accept-balances or --restore-balances "
                "(see docs/deployment/validation_workflow.md)."
            )

    @staticmethod
    def _record(log: FixLog, outcome: FixOutcome, rows: list[dict], *, note: str, by) -> None:
        """An adjustment entry of (balance − ledger) for each row; the balance is unchanged."""
        entries = ledger.record_adjustments(
            [
                (
                    row["pk"],
                    row["xp"] - row.get("ledger", 0),
                    f"{note} (integrity run {log.run_id})",
                )
                for row in rows
            ],
            by=by,
        )
        changes: list[Change] = [
            {
                "model": XPLedgerEntry._meta.label,
                "id": entry.pk,
                "name": row["name"],
                "field": "amount",
                "old": None,
                "new": entry.amount,
                "note": f"{row['name']} (#{row['pk']}): {note}; balance {row['xp']} unchanged",
            }
            for row, entry in zip(rows, entries, strict=True)
        ]
        log.record(outcome, changes, rows=len(rows))


# Set by ``validate_data_integrity --full``: re-sum every ledger entry.
FULL_SCAN: ContextVar[bool] = ContextVar("tg_integrity_full_scan", default=False)


def _drifted_ids() -> list[int]:
    """Ids of the characters whose balance drifted: found from the checkpoints when they
    exist (each is then re-checked against a fresh sum under its lock), from a fresh sum
    of every entry otherwise or under ``--full``."""
    if FULL_SCAN.get() or ledger.CHECKPOINT_TABLE not in connection.introspection.table_names():
        return sorted(ledger.ledger_drift().values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            ledger.checkpointed_drift_sql("c.id") + " ORDER BY c.id", [ledger.checkpoint_mark()]
        )
        return [pk for (pk,) in cursor.fetchall()]


def settle_balances(
    character_ids: list[int], *, keep: str, reason: str, log: FixLog, outcome: FixOutcome
) -> list[int]:
    """An operator's decision on characters whose balance drifted from their ledger.

    ``keep="balance"``: the balance is right; an adjustment entry records the difference.
    ``keep="ledger"``: the ledger is right; the balance is set back to its sum.
    Returns the ids that were not drifting (nothing to settle). Caller runs it inside the
    fix transaction.
    """
    ids = sorted(set(character_ids))
    lock_characters(ids)
    rows = list(
        ledger.ledger_drift().filter(pk__in=ids).order_by("pk").values("pk", "name", "xp", "ledger")
    )
    if keep == "balance":
        XPLedger._record(
            log,
            outcome,
            rows,
            note=f"Balance accepted by an operator: {reason}",
            by=log.repair_user(),
        )
    else:
        changes: list[Change] = [
            {
                "model": Character._meta.label,
                "id": row["pk"],
                "name": row["name"],
                "field": "xp",
                "old": row["xp"],
                "new": row["ledger"],
                "note": f"Balance restored to its ledger by an operator: {reason}"[:300],
            }
            for row in rows
        ]
        log.record(outcome, changes, rows=len(rows))
        ledger.restore_balances({row["pk"]: row["ledger"] for row in rows})
    settled = {row["pk"] for row in rows}
    return [pk for pk in ids if pk not in settled]


class _PendingRefundCheck(Check):
    """A check whose offenders are Pending requests that --fix denies and refunds."""

    model = XPSpendingRequest
    fix_tables = (LEDGER_TABLE,)
    note = ""

    def _offenders(self):
        return (
            XPSpendingRequest.objects.filter(self.violation())
            .order_by("pk")
            .values(
                "pk",
                "character_id",
                "character__name",
                "character__status",
                "cost",
                "trait_display",
                "created_at",
            )
        )

    def fix(self, log: FixLog, outcome: FixOutcome) -> None:
        by = log.repair_user()
        for ids in id_batches(XPSpendingRequest.objects.filter(self.violation())):
            character_ids = XPSpendingRequest.objects.filter(pk__in=ids).values_list(
                "character_id", flat=True
            )
            # Same lock order as game.operations.xp: the characters (by pk), then the requests. A
            # storyteller may have decided some meanwhile: re-read after locking.
            lock_characters(set(character_ids))
            rows = list(self._offenders().filter(pk__in=ids).select_for_update(of=("self",)))
            if not rows:
                continue
            before = dict(
                Character.objects.filter(pk__in={r["character_id"] for r in rows}).values_list(
                    "pk", "xp"
                )
            )
            entries = refund_requests(
                [
                    {"pk": r["pk"], "character_id": r["character_id"], "cost": r["cost"]}
                    for r in rows
                ],
                by=by,
                note=self.note,
                now=timezone.now(),
            )
            refunds: Counter[int] = Counter()
            for row in rows:
                refunds[row["character_id"]] += row["cost"]
            names = {row["character_id"]: row["character__name"] for row in rows}
            changes: list[Change] = [
                {
                    "model": XPSpendingRequest._meta.label,
                    "id": row["pk"],
                    "name": row["character__name"],
                    "field": "status",
                    "old": SpendStatus.PENDING.value,
                    "new": SpendStatus.DENIED.value,
                    "note": f"refund ledger entry #{entry.pk} of +{row['cost']} XP",
                }
                for row, entry in zip(rows, entries, strict=True)
            ] + [
                {
                    "model": Character._meta.label,
                    "id": pk,
                    "name": names[pk],
                    "field": "xp",
                    "old": before[pk],
                    "new": before[pk] + refunds[pk],
                    "note": "refund of pending XP requests denied by integrity repair",
                }
                for pk in sorted(refunds)
            ]
            log.record(outcome, changes, rows=len(rows))


class PendingSpendsInactive(_PendingRefundCheck):
    """Pending XP requests of Retired or Deceased characters: denied and refunded."""

    name = "pending_spends_inactive"
    title = "Pending XP requests of Retired or Deceased characters"
    tables = (XPSpendingRequest._meta.db_table, CHARACTER_TABLE)
    fix_description = "denied and refunded, decided by the integrity repair account"
    note = "Denied by integrity repair: the character is no longer active; cost refunded."

    def violation(self) -> Q:
        return Q(status=SpendStatus.PENDING, character__status__in=INACTIVE)

    def examples(self, limit: int) -> tuple[list[Example], int]:
        rows = list(self._offenders()[:limit])
        examples: list[Example] = [
            {
                "model": XPSpendingRequest._meta.label,
                "id": row["pk"],
                "name": row["character__name"],
                "field": "status",
                "value": SpendStatus.PENDING.value,
                "character_status": row["character__status"],
                "request": f"{row['trait_display']} for {row['cost']} XP",
                "fix": f"deny and refund {row['cost']} XP",
            }
            for row in rows
        ]
        return examples, len(rows)


class DuplicatePending(_PendingRefundCheck):
    """Several Pending requests for one trait of one character (a double click before tg
    refused it): the oldest stays, the later ones are denied and refunded."""

    name = "duplicate_pending"
    title = "Pending XP requests for a trait that already had one pending"
    tables = (XPSpendingRequest._meta.db_table, CHARACTER_TABLE)
    fix_description = "the oldest request stays pending; later copies denied and refunded"
    note = "Denied by integrity repair: a second pending request for the same trait; refunded."

    def violation(self) -> Q:
        older = XPSpendingRequest.objects.filter(
            character=OuterRef("character"),
            trait_name=OuterRef("trait_name"),
            status=SpendStatus.PENDING,
            pk__lt=OuterRef("pk"),
        )
        return Q(status=SpendStatus.PENDING) & Q(Exists(older))

    def examples(self, limit: int) -> tuple[list[Example], int]:
        rows = list(self._offenders()[:limit])
        examples: list[Example] = [
            {
                "model": XPSpendingRequest._meta.label,
                "id": row["pk"],
                "name": row["character__name"],
                "field": "status",
                "value": SpendStatus.PENDING.value,
                "request": f"{row['trait_display']} for {row['cost']} XP",
                "fix": f"deny and refund {row['cost']} XP (an older request stays)",
            }
            for row in rows
        ]
        return examples, len(rows)


def _rating():
    """The current rating of each request's trait, read from the character's row."""
    return current_rating()


class LostDots(Check):
    """Dots paid for and missing, and requests that can never be approved.

    An Approved request whose ``new_value`` is above the character's rating for that
    trait: the dot was raised, paid for, and is no longer there. A Pending request whose
    ``current_value`` differs from the rating: approving it would not raise the trait by
    one dot, so it can never be approved. Neither is fixed automatically: which figure is
    right is a storyteller's call, and each example says what to do.
    """

    name = "lost_dots"
    title = "Approved dots that are missing, and pending requests that no longer fit the sheet"
    fixable = False
    tables = (XPSpendingRequest._meta.db_table, HUMAN_TABLE)
    fix_description = "not fixed automatically: a storyteller decides (see each example)"

    @staticmethod
    def _conditions() -> tuple[Q, Q]:
        missing = Q(status=SpendStatus.APPROVED, new_value__gt=F("rating"))
        stale = Q(status=SpendStatus.PENDING) & ~Q(current_value=F("rating"))
        return missing, stale

    def _rows(self):
        return XPSpendingRequest.objects.annotate(rating=_rating()).filter(rating__isnull=False)

    def count(self, existing: set[str]) -> dict:
        missing, stale = self._conditions()
        figures = self._rows().aggregate(
            missing=Count("pk", filter=missing), stale=Count("pk", filter=stale)
        )
        return {self.name: figures["missing"] + figures["stale"], **figures}

    def result(self, figures: dict) -> CheckResult:
        result = super().result(figures)
        result.info = {
            "approved_dots_missing": figures["missing"],
            "pending_stale": figures["stale"],
        }
        return result

    def examples(self, limit: int) -> tuple[list[Example], int]:
        missing, stale = self._conditions()
        rows = list(
            self._rows()
            .filter(missing | stale)
            .order_by("pk")
            .values(
                "pk",
                "character_id",
                "character__name",
                "trait_display",
                "status",
                "current_value",
                "new_value",
                "cost",
                "rating",
            )[:limit]
        )
        examples: list[Example] = []
        for row in rows:
            trait, rating = row["trait_display"], row["rating"]
            if row["status"] == SpendStatus.APPROVED:
                how = (
                    f"{trait} was approved {row['current_value']} → {row['new_value']} and is "
                    f"{rating} now: a storyteller raises it back to {row['new_value']} (the dot "
                    f"was paid for) or gives the {row['cost']} XP back with an adjustment "
                    f"naming request #{row['pk']}"
                )
            else:
                how = (
                    f"pending {row['current_value']} → {row['new_value']} but {trait} is "
                    f"{rating} now: a storyteller denies it (refunds {row['cost']} XP) and "
                    "the player asks again"
                )
            examples.append(
                {
                    "model": XPSpendingRequest._meta.label,
                    "id": row["pk"],
                    "name": row["character__name"],
                    "field": row["status"].lower(),
                    "value": f"{trait} {row['current_value']} → {row['new_value']}",
                    "character_id": row["character_id"],
                    "rating": rating,
                    "fix": how,
                }
            )
        return examples, len(rows)
