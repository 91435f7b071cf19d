"""XP operation benchmark: latency, throughput and SQL statements per call.

Run it with ``bench/run.sh bench/bench_xp.py`` (a throwaway PostgreSQL with fsync on)
or with DATABASE_URL pointing at a PostgreSQL database you can wipe. It migrates the
database, builds its own characters, and at the end checks that no XP was created or
lost (every balance equals its ledger, and the totals add up).
"""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tg.settings.test")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import F, Sum  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from characters.models import Character, Human  # noqa: E402
from characters.traits import ABILITIES  # noqa: E402
from game.models import Chronicle, Scene, XPLedgerEntry  # noqa: E402

PLENTY = 1_000_000


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def timed(calls):
    """Run each zero-argument call; return durations in milliseconds."""
    durations = []
    for call in calls:
        started = time.perf_counter()
        call()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def statements(call):
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def make_characters(owner, chronicle, count, prefix, xp=PLENTY):
    """``count`` approved Humans with ``xp`` each, starting XP ledgered like ``save()`` does."""
    humans = []
    for i in range(count):
        humans.append(
            Human.objects.create(
                name=f"{prefix}{i}", owner=owner, chronicle=chronicle, status="App", xp=xp
            )
        )
    return humans


def report(name, durations, count_sql):
    print(
        f"{name:<28} median {statistics.median(durations):6.2f} ms   "
        f"p95 {percentile(durations, 0.95):6.2f} ms   max {max(durations):7.2f} ms   "
        f"{count_sql:3d} SQL statements/call   (n={len(durations)})"
    )


def throughput(name, characters, per_thread, traits):
    """8 threads, each spending ``per_thread`` times on its character and withdrawing the
    request at once (one Pending request per trait: a trait can be asked for again only
    once the last request is closed). Reports spends/s and operations/s (spend + withdraw).
    """
    barrier = threading.Barrier(len(characters) + 1)
    errors = []

    def worker(character, trait):
        try:
            barrier.wait()
            for _ in range(per_thread):
                request = character.spend_xp(trait)
                character.withdraw_xp_spend(request.pk, character.owner)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(c, t))
        for c, t in zip(characters, traits, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    total = per_thread * len(characters)
    print(
        f"{name:<44} {total / elapsed:6.0f} spends/s, {2 * total / elapsed:6.0f} operations/s "
        f"({total} spends + {total} withdrawals in {elapsed:.2f} s)"
    )
    if errors:
        raise SystemExit(f"errors during throughput run: {errors[:3]}")


def check_no_xp_lost():
    mismatched = (
        Character.objects.annotate(ledger=Sum("xp_entries__amount")).exclude(xp=F("ledger")).count()
    )
    negatives = Character.objects.filter(xp__lt=0).count()
    total = Character.objects.aggregate(s=Sum("xp"))["s"]
    ledger = XPLedgerEntry.objects.aggregate(s=Sum("amount"))["s"]
    ok = mismatched == 0 and negatives == 0 and total == ledger
    print(
        f"\nXP check: {mismatched} balances differ from their ledger, {negatives} negative, "
        f"total {total} vs ledger {ledger}: {'OK' if ok else 'XP WAS CREATED OR LOST'}"
    )
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls per latency series")
    parser.add_argument("--per-thread", type=int, default=500, help="spends per thread")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("This benchmark needs PostgreSQL: set DATABASE_URL or use bench/run.sh")

    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW fsync")
        fsync = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync = cursor.fetchone()[0]
    print(f"PostgreSQL {connection.pg_version}, fsync={fsync}, synchronous_commit={sync}")
    user_model = get_user_model()
    owner = user_model.objects.create_user("bench_player", password="x")
    st = user_model.objects.create_user("bench_st", password="x")
    chronicle = Chronicle.objects.create(name="Bench", head_st=st)
    n = args.calls

    print(f"\nSingle thread, {n} calls each:")
    spender = make_characters(owner, chronicle, 1, "spender")[0]

    def spend_then_withdraw():
        request = spender.spend_xp("alertness")
        spender.withdraw_xp_spend(request.pk, owner)

    timed([spend_then_withdraw] * 50)  # warm up
    spend_sql = statements(lambda: spender.spend_xp("alertness"))
    spender.withdraw_xp_spend(spender.xp_requests.get(status="Pending").pk, owner)
    spends, withdrawals = [], []
    for _ in range(n):
        started = time.perf_counter()
        request = spender.spend_xp("alertness")
        middle = time.perf_counter()
        spender.withdraw_xp_spend(request.pk, owner)
        spends.append((middle - started) * 1000)
        withdrawals.append((time.perf_counter() - middle) * 1000)
    report("spend_xp", spends, spend_sql)
    request = spender.spend_xp("alertness")
    withdraw_sql = statements(lambda: spender.withdraw_xp_spend(request.pk, owner))
    report("withdraw_xp_spend", withdrawals, withdraw_sql)

    # Approve and deny: one pending request (alertness 0 → 1) on each of n characters.
    approvees = make_characters(owner, chronicle, n + 1, "approvee", xp=10)
    requests = [c.spend_xp("alertness") for c in approvees]
    approve_sql = statements(
        lambda: approvees[0].approve_xp_spend(requests[0].pk, "alertness", 1, st)
    )
    approve = timed(
        [
            lambda c=c, r=r: c.approve_xp_spend(r.pk, "alertness", 1, st)
            for c, r in zip(approvees[1:], requests[1:], strict=True)
        ]
    )
    report("approve_xp_spend", approve, approve_sql)

    deniees = make_characters(owner, chronicle, n + 1, "deniee", xp=10)
    pending = [c.spend_xp("brawl") for c in deniees]
    deny_sql = statements(lambda: deniees[0].deny_xp_spend(pending[0].pk, st))
    deny = timed(
        [
            lambda c=c, r=r: c.deny_xp_spend(r.pk, st)
            for c, r in zip(deniees[1:], pending[1:], strict=True)
        ]
    )
    report("deny_xp_spend", deny, deny_sql)

    # Award: n + 1 finished scenes, each with the same 10 participants.
    cast = make_characters(owner, chronicle, 10, "cast", xp=0)
    now = timezone.now()
    scenes = Scene.objects.bulk_create(
        Scene(chronicle=chronicle, name=f"Scene {i}", finished=True, finished_at=now)
        for i in range(n + 1)
    )
    through = Scene.participants.through
    through.objects.bulk_create(
        through(scene_id=s.pk, character_id=c.pk) for s in scenes for c in cast
    )
    awards = {c.pk: 2 for c in cast}
    award_sql = statements(lambda: scenes[0].award_xp(awards, awarded_by=st))
    award = timed([lambda s=s: s.award_xp(awards, awarded_by=st) for s in scenes[1:]])
    report("award_xp (10 characters)", award, award_sql)

    print(f"\nThroughput, 8 threads × {args.per_thread} spends, each withdrawn at once:")
    own = make_characters(owner, chronicle, 8, "own")
    throughput("8 threads, each on its own character", own, args.per_thread, ["alertness"] * 8)
    shared = make_characters(owner, chronicle, 1, "shared")[0]
    throughput(
        "8 threads on one shared character",
        [Human.objects.get(pk=shared.pk) for _ in range(8)],
        args.per_thread,
        [spec.name for spec in ABILITIES[:8]],
    )
    sys.exit(0 if check_no_xp_lost() else 1)


if __name__ == "__main__":
    main()
