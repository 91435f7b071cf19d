"""Checks on the game tables: storyteller duplicates, scene XP, the ledger, stale requests.

XP is never created or lost by a repair: where a balance and its ledger disagree the
ledger gets an adjustment entry recording the difference, and a request denied because
its character left play is refunded exactly as ``game.xp.deny_xp_spend`` would.
"""

from collections import Counter

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from characters.models import Character, Status
from game.models import (
    LedgerKind,
    Scene,
    SpendStatus,
    STRelationship,
    XPLedgerEntry,
    XPSpendingRequest,
)

from .base import Check, FieldCheck, FixLog, FixOutcome, batches, id_batches, table

CHARACTER_TABLE = Character._meta.db_table
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
    def _change(row: dict) -> dict:
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

    def examples(self, limit: int) -> tuple[list[dict], int]:
        rows = list(self._offenders()[:limit])
        examples = []
        for row in rows:
            change = self._change(row)
            examples.append(
                {**change, "field": "duplicate", "value": change.pop("old"), "fix": "delete"}
            )
            del examples[-1]["new"]
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
        no_awards = ~Exists(_awards())
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
    """A character's xp must equal the sum of its ledger entries."""

    name = "xp_ledger"
    title = "Characters whose XP differs from the sum of their ledger entries"
    tables = (CHARACTER_TABLE, LEDGER_TABLE)
    fix_description = "an adjustment ledger entry records the difference; XP is unchanged"

    def _sql(self, select: str, *, ids: list[int] | None = None, suffix: str = "") -> tuple:
        """The characters whose balance and ledger sum differ, in one grouped pass.

        Joining first and grouping by the character's primary key lets PostgreSQL merge
        both tables in index order (about twice as fast as joining a grouped subquery).
        """
        character, ledger = table(Character), table(XPLedgerEntry)
        where, params = "", []
        if ids is not None:
            where = f" WHERE c.id IN ({', '.join(['%s'] * len(ids))})"
            params = list(ids)
        sql = (
            f"SELECT {select} FROM {character} c LEFT JOIN {ledger} l ON l.character_id = c.id"
            f"{where} GROUP BY c.id HAVING c.xp <> COALESCE(SUM(l.amount), 0){suffix}"
        )
        return sql, params

    def count(self) -> dict:
        sql, params = self._sql("c.id")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) drifted", params)
            return {self.name: cursor.fetchone()[0]}

    def examples(self, limit: int) -> tuple[list[dict], int]:
        sql, params = self._sql(
            "c.id, c.name, c.xp, COALESCE(SUM(l.amount), 0)", suffix=" ORDER BY c.id LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, limit])
            rows = cursor.fetchall()
        examples = [
            {
                "model": Character._meta.label,
                "id": pk,
                "name": name,
                "field": "xp",
                "value": xp,
                "ledger": total,
                "fix": f"adjustment entry of {xp - total:+d}",
            }
            for pk, name, xp, total in rows
        ]
        return examples, len(rows)

    def fix(self, log: FixLog, outcome: FixOutcome) -> None:
        by = log.repair_user()
        sql, params = self._sql("c.id")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            drifted = sorted(pk for (pk,) in cursor.fetchall())
        for ids in batches(drifted):
            # Lock the characters (the lock every XP operation takes) and recompute.
            list(Character.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
            sql_locked, params_locked = self._sql(
                "c.id, c.name, c.xp, COALESCE(SUM(l.amount), 0)", ids=ids, suffix=" ORDER BY c.id"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql_locked, params_locked)
                rows = cursor.fetchall()
            entries = XPLedgerEntry.objects.bulk_create(
                XPLedgerEntry(
                    character_id=pk,
                    amount=xp - total,
                    kind=LedgerKind.ADJUSTMENT,
                    created_by=by,
                    note=(
                        f"Integrity repair {log.run_id}: ledger summed to {total}, balance is {xp}"
                    ),
                )
                for pk, _name, xp, total in rows
            )
            changes = [
                {
                    "model": XPLedgerEntry._meta.label,
                    "id": entry.pk,
                    "name": name,
                    "field": "amount",
                    "old": None,
                    "new": entry.amount,
                    "note": f"{name} (#{pk}): ledger summed to {total}, balance {xp} unchanged",
                }
                for (pk, name, xp, total), entry in zip(rows, entries, strict=True)
            ]
            log.record(outcome, changes, rows=len(rows))


class PendingSpendsInactive(Check):
    """Pending XP requests of Retired or Deceased characters: denied and refunded."""

    name = "pending_spends_inactive"
    title = "Pending XP requests of Retired or Deceased characters"
    model = XPSpendingRequest
    tables = (XPSpendingRequest._meta.db_table, CHARACTER_TABLE)
    fix_tables = (LEDGER_TABLE,)
    fix_description = "denied and refunded, decided by the integrity repair account"

    def violation(self) -> Q:
        return Q(status=SpendStatus.PENDING, character__status__in=INACTIVE)

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
            )
        )

    def examples(self, limit: int) -> tuple[list[dict], int]:
        rows = list(self._offenders()[:limit])
        examples = [
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

    def fix(self, log: FixLog, outcome: FixOutcome) -> None:
        by = log.repair_user()
        for ids in id_batches(XPSpendingRequest.objects.filter(self.violation())):
            candidates = list(self._offenders().filter(pk__in=ids))
            # Same lock order as game.xp: the characters (by pk), then the requests.
            character_ids = sorted({row["character_id"] for row in candidates})
            before = dict(
                Character.objects.select_for_update()
                .filter(pk__in=character_ids)
                .order_by("pk")
                .values_list("pk", "xp")
            )
            rows = list(
                self._offenders()
                .filter(pk__in=[row["pk"] for row in candidates])
                .select_for_update(of=("self",))
            )
            self._deny(rows, before, by, log, outcome)

    def _deny(self, rows, before: dict, by, log: FixLog, outcome: FixOutcome) -> None:
        now = timezone.now()
        ids = [row["pk"] for row in rows]
        refunds = Counter()
        for row in rows:
            refunds[row["character_id"]] += row["cost"]
        character_ids = sorted(refunds)
        # One UPDATE for the batch, each character credited with the sum of its refunds.
        character = table(Character)
        pairs = ", ".join(["(%s, %s)"] * len(character_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH v (id, refund) AS (VALUES {pairs}) "
                f"UPDATE {character} SET xp = {character}.xp + v.refund, updated_at = %s "
                f"FROM v WHERE {character}.id = v.id",
                [*(value for pk in character_ids for value in (pk, refunds[pk])), now],
            )
        note = "Denied by integrity repair: the character is no longer active; cost refunded."
        entries = XPLedgerEntry.objects.bulk_create(
            XPLedgerEntry(
                character_id=row["character_id"],
                amount=row["cost"],
                kind=LedgerKind.REFUND,
                spend_request_id=row["pk"],
                created_by=by,
                note=note,
            )
            for row in rows
        )
        XPSpendingRequest.objects.filter(pk__in=ids).update(
            status=SpendStatus.DENIED, decided_at=now, decided_by=by, note=note
        )
        after = {pk: before[pk] + refunds[pk] for pk in character_ids}
        names = {row["character_id"]: row["character__name"] for row in rows}
        changes = [
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
                "new": after[pk],
                "note": "refund of pending XP requests denied by integrity repair",
            }
            for pk in character_ids
        ]
        log.record(outcome, changes, rows=len(rows))
