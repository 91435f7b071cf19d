"""Deleting what the monitor no longer needs: operation records past their retention.

One ``OperationRecord`` is written per XP operation, so the table grows with the
site's activity. Each monitor run deletes the records older than
``OPERATION_RETENTION_DAYS`` in batches of ``BATCH_SIZE`` rows, each batch its own
short transaction: a DELETE locks only the rows it removes (the XP operations keep
inserting meanwhile), and no transaction lives longer than one batch, however much
has piled up. Snapshots (one per run) are pruned with each snapshot write instead
(``snapshots.prune_snapshots``).
"""

from datetime import datetime, timedelta

from django.utils import timezone

from core.models import OperationRecord
from oversight.monitoring.config import option

BATCH_SIZE = 5000


def prune_operation_records(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Delete records older than the retention period, oldest first; how many went.

    Call it outside any transaction, so that each batch commits on its own.
    """
    cutoff = (now or timezone.now()) - timedelta(days=option("OPERATION_RETENTION_DAYS"))
    old = OperationRecord.objects.filter(created_at__lt=cutoff).order_by("created_at")
    deleted = 0
    while True:
        batch = old.values("pk")[:batch_size]
        count, _ = OperationRecord.objects.filter(pk__in=batch).delete()
        deleted += count
        if count < batch_size:
            return deleted
