"""One monitor run: measure, judge, alert if asked, store the snapshot, prune old
operation records — the work of ``manage.py monitor_validation`` and of the Health
page's "Run the check now" button, which store the same kind of run.

One run at a time: on PostgreSQL a run holds an advisory lock from the first read to the
last write. Two runs started together (the hourly and the daily timer at 09:00, two
instances' cron, an operator's button) would both read the alert memory before either
wrote it and send the same alert twice; with the lock the second waits for the first,
then finds the alert sent.
"""

from contextlib import contextmanager

from django.db import DatabaseError, OperationalError, connection

from core.locks import advisory_lock_holder
from oversight.monitoring import build_report
from oversight.monitoring.alerting import notify
from oversight.monitoring.retention import prune_operation_records
from oversight.monitoring.snapshots import save_snapshot

# pg_advisory_lock key held by a monitor_validation run ("tg" 0x7467; 0004 is --fix's).
MONITOR_LOCK_KEY = 0x7467_0005
LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE of a wait cut short by lock_timeout


class AnotherRunHoldsTheLock(Exception):
    """A run is in progress and did not finish within the wait."""


@contextmanager
def one_run_at_a_time(wait_seconds: int):
    """Hold the monitor's advisory lock (PostgreSQL) for the block, waiting at most
    ``wait_seconds`` for another run to release it; otherwise raise
    ``AnotherRunHoldsTheLock`` having done nothing.

    A session lock, not a transaction one: the run writes in several short transactions
    (the snapshot, then the retention batches). It ends with the session if the process
    dies. SQLite (development only) has no such lock.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [MONITOR_LOCK_KEY])
        held = cursor.fetchone()[0]
        if not held and wait_seconds:
            cursor.execute(f"SET lock_timeout = {int(wait_seconds) * 1000}")
            try:
                cursor.execute("SELECT pg_advisory_lock(%s)", [MONITOR_LOCK_KEY])
                held = True
            except OperationalError as error:
                if getattr(error.__cause__, "pgcode", None) != LOCK_NOT_AVAILABLE:
                    raise
            finally:
                cursor.execute("RESET lock_timeout")
        if not held:
            holder = advisory_lock_holder(cursor, MONITOR_LOCK_KEY)
            who = f" (PostgreSQL backend pid {holder})" if holder else ""
            raise AnotherRunHoldsTheLock(
                f"Another monitor_validation run holds the lock{who} and did not finish "
                f"within {wait_seconds} s; this run measured, stored and sent nothing."
            )
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MONITOR_LOCK_KEY])
        except DatabaseError:
            pass  # the connection is gone or its transaction failed: the session ends the lock


def run_check(*, period_hours: int, verbose: bool, alert: bool, wait_seconds: int):
    """Measure the last ``period_hours``, alert if ``alert`` and unhealthy, store the
    snapshot and prune; ``(report, notification)``. ``AnotherRunHoldsTheLock`` when
    another run did not finish within ``wait_seconds``."""
    with one_run_at_a_time(wait_seconds):
        report = build_report(period_hours=period_hours, verbose=verbose)
        notification = notify(report.data) if alert else None
        save_snapshot(report.data, notification)
        prune_operation_records()
    return report, notification
