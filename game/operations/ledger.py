"""The XP ledger: append-only entries, their checkpoints, and settling a drifted balance.

The entries are ``game.models.XPLedgerEntry``; the checkpoints ``core.models.LedgerCheckpoint``
(the table stays with its migration). Everything else about the ledger is here: the
append-only switch, reading and rewriting the checkpoints, the drift between a balance and
its ledger, and the two writes an operator's settlement makes. ``oversight.integrity``
checks and reports with these; the XP operations (``game.operations.xp``) write entries
one operation at a time.

The ledger is append-only.

On PostgreSQL a trigger (migration game 0008) refuses every UPDATE and DELETE of a
ledger entry: corrections are new entries, never edits, so the ledger can be checked
cheaply against checkpoints of its past (``validate_data_integrity``) and tells the
whole story. The one way around it is ``ledger_repair()``, for an operator repairing
data by hand in a shell, inside a transaction; docs/xp.md describes it.
"""

from collections.abc import Iterable, Mapping
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from characters.models import Character, ledgered_xp
from core.models import LedgerCheckpoint
from game.models import LedgerKind, XPLedgerEntry

REPAIR_SETTING = "tg.ledger_repair"


@contextmanager
def ledger_repair():
    """Allow UPDATE and DELETE of ledger entries until the surrounding transaction ends.

    ``with transaction.atomic(), ledger_repair(): XPLedgerEntry.objects.filter(…).update(…)``
    Run ``validate_data_integrity --full`` afterwards: it re-sums every entry and takes
    new checkpoints.
    """
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError(
            "ledger_repair() works inside a transaction (transaction.atomic())."
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [REPAIR_SETTING])
    try:
        yield
    finally:
        if connection.vendor == "postgresql" and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', true)", [REPAIR_SETTING])


# --- Drift: a balance that differs from its ledger -----------------------------------------


def ledger_drift():
    """Characters whose balance differs from the sum of their ledger entries, with both
    figures and how many entries they have (one grouped pass over both tables)."""
    return (
        Character._base_manager.order_by()
        .values("pk")
        .annotate(
            ledger=Coalesce(Sum("xp_entries__amount"), 0),
            entries=Count("xp_entries"),
        )
        .exclude(xp=F("ledger"))
    )


# --- Checkpoints --------------------------------------------------------------------------

CHECKPOINT_TABLE = LedgerCheckpoint._meta.db_table


def checkpoint_mark() -> int:
    """The ledger entry id every checkpoint covers up to (0: no checkpoint yet)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT through_entry FROM {connection.ops.quote_name(CHECKPOINT_TABLE)} LIMIT 1"
        )
        row = cursor.fetchone()
    return row[0] if row else 0


DRIFT_COUNTS = (
    "COUNT(*), SUM(CASE WHEN COALESCE(k.entries, 0) + COALESCE(s.entries, 0) > 0 THEN 1 ELSE 0 END)"
)


def checkpointed_drift_sql(select: str = DRIFT_COUNTS) -> str:
    """Characters whose balance differs from checkpoint + entries since, in one pass.

    Every checkpoint shares one ``through_entry`` (they are rewritten together), read
    first so that the planner sees it as a value: the entries since are then a short
    range scan of the ledger's primary key, and the rest is one join of characters with
    their checkpoints. Raw SQL: the ORM would make the "entries since" a correlated
    subquery per character (docs/performance.md has the figures).
    """
    q = connection.ops.quote_name
    character, ledger, checkpoint = (
        q(Character._meta.db_table),
        q(XPLedgerEntry._meta.db_table),
        q(CHECKPOINT_TABLE),
    )
    return (
        f"SELECT {select} "
        f"FROM {character} c LEFT JOIN {checkpoint} k ON k.character_id = c.id "
        f"LEFT JOIN (SELECT e.character_id, SUM(e.amount) AS total, COUNT(*) AS entries "
        f"FROM {ledger} e WHERE e.id > %s GROUP BY e.character_id) s "
        f"ON s.character_id = c.id "
        f"WHERE c.xp <> COALESCE(k.total, 0) + COALESCE(s.total, 0)"
    )


def refresh_ledger_checkpoints() -> int:
    """Rewrite every checkpoint from a fresh sum of the ledger; returns how many.

    Runs in one transaction. On PostgreSQL it first takes a SHARE lock on the ledger:
    it waits for XP operations in flight (an entry with an id below the mark but not yet
    committed would otherwise be counted neither in the checkpoint nor "since"), and holds
    new entries back for the seconds the rewrite takes.
    """
    ledger, checkpoint = (
        connection.ops.quote_name(XPLedgerEntry._meta.db_table),
        connection.ops.quote_name(CHECKPOINT_TABLE),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {ledger} IN SHARE MODE")
            cursor.execute(f"TRUNCATE {checkpoint}")
        else:
            cursor.execute(f"DELETE FROM {checkpoint}")
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {ledger}")
        (mark,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {checkpoint} (character_id, total, entries, through_entry, created_at) "
            f"SELECT character_id, SUM(amount), COUNT(*), %s, %s FROM {ledger} "
            f"WHERE id <= %s GROUP BY character_id",
            [mark, connection.ops.adapt_datetimefield_value(timezone.now()), mark],
        )
        return cursor.rowcount


# --- Settling: the two writes of an operator's decision -------------------------------------


def record_adjustments(adjustments: Iterable[tuple[int, int, str]], *, by) -> list[XPLedgerEntry]:
    """One adjustment entry per ``(character_id, amount, note)``: the ledger takes the
    balance as right (an opening balance, a balance an operator accepted, a negative
    balance repaired to 0 with its ledger). Balances are not touched here. Caller holds
    the characters' locks (``characters.locks``)."""
    return XPLedgerEntry.objects.bulk_create(
        XPLedgerEntry(
            character_id=character_id,
            amount=amount,
            kind=LedgerKind.ADJUSTMENT,
            created_by=by,
            note=note[:500],
        )
        for character_id, amount, note in adjustments
    )


def restore_balances(balances: Mapping[int, int]) -> None:
    """Set each character's balance back to its ledger's sum (``{character_id: sum}``):
    the ledger is right and the balance drifted. Caller holds the characters' locks."""
    with ledgered_xp():
        for character_id, total in balances.items():
            Character.objects.filter(pk=character_id).update(xp=total, updated_at=timezone.now())
