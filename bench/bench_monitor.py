"""monitor_validation at scale: time and SQL statements, beside the validate report.

Run it with ``bench/run.sh bench/bench_monitor.py`` (a throwaway PostgreSQL) or with
DATABASE_URL pointing at an empty PostgreSQL database. It fills the database
with COPY: ``--characters`` Humans through ``fill_characters.fill`` (the same data as
the validate_data_integrity benchmark, 1% of them breaking a rule) and ``--records``
OperationRecords spread over the last 24 hours, i.e. all inside the report's period
(the worst case for the outcome and percentile query). Then it times, in-process:

* ``validate_data_integrity`` (the report, no --fix): the yardstick;
* ``monitor_validation --json`` (which runs the same checks plus its own figures).

Each is run ``--repeat`` times; the median is reported with the SQL statement count.
The target is monitor_validation within 2x of the validate report.
"""

import argparse
import contextlib
import io
import random
import statistics
import sys
import time
from datetime import timedelta

from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fill_characters import fill, prepare_schema  # also sets Django up

from core.models import MonitorSnapshot, Operation, OperationRecord, Outcome

CHUNK = 100_000


def copy_rows(model, columns, rows) -> None:
    """COPY ``rows`` (tuples in ``columns`` order) into ``model``'s table, in chunks."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's own cursor, for copy_expert
        buffer = io.StringIO()
        pending = 0
        for row in rows:
            buffer.write("\t".join(r"\N" if v is None else str(v) for v in row) + "\n")
            pending += 1
            if pending == CHUNK:
                buffer.seek(0)
                raw.copy_expert(f"COPY {table} ({names}) FROM STDIN", buffer)
                buffer, pending = io.StringIO(), 0
        if pending:
            buffer.seek(0)
            raw.copy_expert(f"COPY {table} ({names}) FROM STDIN", buffer)


def fill_records(count: int) -> None:
    """``count`` OperationRecords in the last 24 h: mostly successes and refusals."""
    rng = random.Random(5)
    now = timezone.now()
    operations = Operation.values
    outcomes = [Outcome.SUCCESS] * 90 + [Outcome.REJECTED] * 9 + [Outcome.ERROR]

    def rows():
        for i in range(count):
            when = now - timedelta(seconds=rng.uniform(0, 86_000))
            yield (
                operations[i % len(operations)],
                rng.choice(outcomes),
                "",
                round(rng.lognormvariate(3, 0.6), 3),
                i % 1000 + 1,
                when.isoformat(),
            )

    copy_rows(
        OperationRecord,
        ["operation", "outcome", "code", "duration_ms", "character_id", "created_at"],
        rows(),
    )


def measure(label, call, repeat, profile=0):
    """Median seconds and SQL statements of ``call`` over ``repeat`` runs, after one
    unmeasured run that warms the database's cache. With ``profile``, the last run's
    slowest statements are printed too."""
    with contextlib.suppress(CommandError, SystemExit):
        call()
    times, statements = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            # An unhealthy verdict is an answer, not a failure of the benchmark.
            with contextlib.suppress(CommandError, SystemExit):
                call()
            times.append(time.perf_counter() - started)
        statements = len(captured)
    median = statistics.median(times)
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(f"{label:<34} median {median:6.2f} s  ({runs})  {statements:3d} SQL statements")
    slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:profile]
    for query in slowest:
        print(f"    {float(query['time']):6.3f} s  {' '.join(query['sql'].split())[:150]}")
    return median, statements


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--characters", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="print the N slowest SQL statements of each command's last run",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench_monitor needs PostgreSQL (DATABASE_URL); see bench/run.sh")

    prepare_schema()
    started = time.perf_counter()
    fill(args.characters)
    fill_records(args.records)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"filled {args.characters:,} characters and {args.records:,} operation records "
        f"in {time.perf_counter() - started:.0f} s"
    )

    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    validate, _ = measure(
        "validate_data_integrity",
        lambda: call_command("validate_data_integrity", **quiet),
        args.repeat,
        args.profile,
    )
    monitor, _ = measure(
        "monitor_validation --json",
        lambda: call_command("monitor_validation", "--json", **quiet),
        args.repeat,
        args.profile,
    )
    print(f"monitor / validate = {monitor / validate:.2f} (target: at most 2)")
    print(f"snapshots stored: {MonitorSnapshot.objects.count()}")


if __name__ == "__main__":
    main()
