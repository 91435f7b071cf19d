"""The XP ledger is append-only.

On PostgreSQL a trigger (migration game 0008) refuses every UPDATE and DELETE of a
ledger entry: corrections are new entries, never edits, so the ledger can be checked
cheaply against checkpoints of its past (``validate_data_integrity``) and tells the
whole story. The one way around it is ``ledger_repair()``, for an operator repairing
data by hand in a shell, inside a transaction; docs/xp.md describes it.
"""

from contextlib import contextmanager

from django.db import connection, transaction

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
