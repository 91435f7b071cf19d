"""validate_data_integrity on many Humans: time, queries and memory, report and --fix.

    bench/run.sh bench/bench_integrity.py                 # throwaway PostgreSQL, 1,000,000
    bench/run.sh bench/bench_integrity.py --humans 50000  # a quicker look
    DATABASE_URL=postgres://... python bench/bench_integrity.py  # a database you can wipe

It fills the database with ``fill_characters`` (1% of the Humans breaking a rule, in a
child process), then
measures in-process, in this order: one ``SELECT count(*)`` with every range predicate
over characters_character ⋈ characters_human (the baseline), the report, the report
under tracemalloc (peak Python memory), ``--fix --dry-run`` under tracemalloc (the same
work as --fix, rolled back), ``--fix`` itself, and the report and ``--fix`` once more
(nothing left: the second --fix must change nothing). Targets: report ≤ 2× the
baseline, --fix ≤ 5×, peak memory < 200 MB.
"""

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tg.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import CommandError, call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from characters.models import Status  # noqa: E402
from characters.traits import (  # noqa: E402
    ABILITIES,
    AGE,
    APPARENT_AGE,
    ATTRIBUTES,
    TEMPORARY_WILLPOWER,
    WILLPOWER,
)
from core.models import IntegrityFix  # noqa: E402


def baseline_sql() -> str:
    """One count(*) with every range predicate of the report, built from the trait specs."""
    ranged = (*ATTRIBUTES, *ABILITIES, WILLPOWER, TEMPORARY_WILLPOWER, AGE, APPARENT_AGE)
    statuses = ", ".join(f"'{s}'" for s in Status.values)
    predicates = ["c.xp < 0", f"c.status NOT IN ({statuses})"]
    predicates += [f"h.{s.name} NOT BETWEEN {s.minimum} AND {s.maximum}" for s in ranged]
    predicates.append(f"h.{TEMPORARY_WILLPOWER.name} > h.{WILLPOWER.name}")
    return (
        "SELECT count(*) FROM characters_character c "
        "JOIN characters_human h ON h.character_ptr_id = c.id WHERE " + " OR ".join(predicates)
    )


def timed_sql(sql: str) -> tuple[float, int]:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        value = cursor.fetchone()[0]
    return time.perf_counter() - started, value


def single_table_sql() -> str:
    """One count(*) over characters_human alone with every trait-range predicate: the
    cheapest pass over the biggest table, the yardstick of the routine report."""
    ranged = (*ATTRIBUTES, *ABILITIES, WILLPOWER, TEMPORARY_WILLPOWER, AGE, APPARENT_AGE)
    predicates = [f"{s.name} NOT BETWEEN {s.minimum} AND {s.maximum}" for s in ranged]
    predicates.append(f"{TEMPORARY_WILLPOWER.name} > {WILLPOWER.name}")
    return "SELECT count(*) FROM characters_human WHERE " + " OR ".join(predicates)


def command(*args: str, memory: bool = False) -> dict:
    """Run validate_data_integrity in-process; its time, queries, exit status, memory."""
    out = io.StringIO()
    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        try:
            call_command("validate_data_integrity", *args, stdout=out, stderr=out)
            status = 0
        except CommandError as error:
            status = error.returncode
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if memory else 0
    if memory:
        tracemalloc.stop()
    return {"seconds": seconds, "queries": len(queries), "status": status, "peak": peak}


def median_of(runs: list[float]) -> float:
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--humans", type=int, default=1_000_000, help="How many Humans")
    parser.add_argument("--violating", type=float, default=0.01, help="Share breaking a rule")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each timed report")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench_integrity needs PostgreSQL: set DATABASE_URL (or use bench/run.sh)")

    # Filled by a child process so that this one's peak RSS is the command's alone.
    fill = [sys.executable, str(ROOT / "bench" / "fill_characters.py")]
    fill += ["--humans", str(args.humans), "--violating", str(args.violating)]
    subprocess.run(fill, check=True)

    join_sql, single_sql = baseline_sql(), single_table_sql()
    timed_sql(join_sql)  # warm the cache: every measurement below reads warm pages
    timed_sql(single_sql)
    join = [timed_sql(join_sql)[0] for _ in range(args.repeat)]
    single = [timed_sql(single_sql)[0] for _ in range(args.repeat)]
    unchecked = [command() for _ in range(args.repeat)]  # no checkpoint yet: full re-sum
    full = command("--full")  # re-sums every entry and writes the checkpoints
    routine = [command() for _ in range(args.repeat)]  # checkpoints + entries since
    full_again = command("--full")
    report_memory = command(memory=True)
    dry = command("--fix", "--dry-run", memory=True)
    fix = command("--fix")
    changes = IntegrityFix.objects.count()
    after = command()
    again = command("--fix")
    again_changes = IntegrityFix.objects.count() - changes
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    mb = 1024 * 1024
    base_join, base_single = median_of(join), median_of(single)
    runs = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731

    def secs(results):
        return [r["seconds"] for r in results]

    print(f"baseline, join count(*) with every predicate:  median {base_join:.2f} s ({runs(join)})")
    print(
        f"baseline, one-table count(*) over characters_human: median {base_single:.2f} s "
        f"({runs(single)})"
    )
    print(
        f"report, no checkpoints:   median {median_of(secs(unchecked)):.2f} s "
        f"({runs(secs(unchecked))}), {unchecked[0]['queries']} queries, exit "
        f"{unchecked[0]['status']}, {median_of(secs(unchecked)) / base_single:.2f}× one-table"
    )
    print(
        f"report, with checkpoints: median {median_of(secs(routine)):.2f} s "
        f"({runs(secs(routine))}), {routine[0]['queries']} queries, "
        f"{median_of(secs(routine)) / base_single:.2f}× one-table (target ≤ 3×), "
        f"{median_of(secs(routine)) / base_join:.2f}× join"
    )
    for label, run in (("--full (first)", full), ("--full (again)", full_again)):
        print(
            f"{label}: {run['seconds']:.2f} s, {run['queries']} queries, exit {run['status']}, "
            f"{run['seconds'] / base_join:.2f}× join (target ≤ 5×)"
        )
    print(
        f"--fix:          {fix['seconds']:.2f} s, {fix['queries']} queries, exit {fix['status']}, "
        f"{fix['seconds'] / base_join:.2f}× join (target ≤ 5×), {changes:,} changes audited"
    )
    print(
        f"--fix --dry-run: {dry['seconds']:.2f} s, {dry['queries']} queries, "
        f"peak Python memory {dry['peak'] / mb:.1f} MB; report peak "
        f"{report_memory['peak'] / mb:.1f} MB"
    )
    print(f"report after:   {after['seconds']:.2f} s, exit {after['status']}")
    print(
        f"second --fix:   {again['seconds']:.2f} s, {again['queries']} queries, "
        f"exit {again['status']}, {again_changes} changes"
    )
    print(f"peak process RSS (everything above): {rss:.0f} MB")


if __name__ == "__main__":
    main()
