"""Several instances, one truth: the jobs that must run once, started twice at the same
moment as two machines' cron (or timers) would, as real processes on PostgreSQL.

- ``monitor_validation --alert``: the second run waits for the first (bounded by
  TG_MONITOR_LOCK_WAIT_SECONDS), then finds the alert already sent: one alert, never two.
  A run that waits longer than that exits 2 having done nothing.
- ``validate_data_integrity --fix``: the second run says that another holds the lock and
  exits 2 having changed nothing; one run's repairs, never two.
"""

import json
import subprocess
import sys
import time

import pytest
from django.db import connection

from characters.models import Character
from core.models import IntegrityFix, MonitorSnapshot
from oversight.integrity import FIX_LOCK_KEY
from oversight.management.commands.monitor_validation import MONITOR_LOCK_KEY
from tests.processes import ROOT, child_env
from tests.serving import production_env
from tests.support import Webhook, corrupt, wait_for_backend

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.process]


def start(*args: str, **env) -> subprocess.Popen:
    """``manage.py ARGS`` with the production environment on the test database, started."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_env(production_env(**env)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def waiting_for(key: int, count: int, timeout: float = 60) -> None:
    """Return once ``count`` sessions wait for the advisory lock ``key``."""
    wait_for_backend(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = %s AND objid = %s",
        [key >> 32, key & 0xFFFFFFFF],
        ready=lambda waiting: waiting >= count,
        failure=f"{count} process(es) never waited for the lock",
        timeout=timeout,
    )


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def drifted(make_human):
    """Ada holds XP from before the ledger: an integrity issue (tg is degraded) that --fix
    repairs with an opening-balance entry."""
    ada = make_human("Ada", xp=0)
    corrupt(Character, ada.pk, xp=5)
    return ada


def test_two_alert_runs_at_once_send_one_alert(drifted, webhook, other_session):
    with other_session.cursor() as cursor:  # hold the lock so that both start waiting
        cursor.execute("SELECT pg_advisory_lock(%s)", [MONITOR_LOCK_KEY])
    runs = [
        start("monitor_validation", "--alert", "--json", TG_ALERT_WEBHOOK_URL=webhook.url)
        for _ in range(2)
    ]
    waiting_for(MONITOR_LOCK_KEY, 2)
    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [MONITOR_LOCK_KEY])

    results = [finish(run) for run in runs]

    assert [status for status, _, _ in results] == [1, 1]  # both ran: degraded
    notifications = [json.loads(out)["notification"] for _, out, _ in results]
    assert sorted(n["sent"] for n in notifications) == [False, True]
    assert len(webhook.received) == 1
    assert webhook.received[0]["body"]["kind"] == "alert"
    assert MonitorSnapshot.objects.count() == 2
    assert sorted(MonitorSnapshot.objects.values_list("alert_sent", flat=True)) == ["", "alert"]


def test_a_run_that_waits_too_long_exits_2_and_does_nothing(drifted, other_session):
    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s), pg_backend_pid()", [MONITOR_LOCK_KEY])
        holder = cursor.fetchone()[1]

    status, out, err = finish(
        start("monitor_validation", "--alert", TG_MONITOR_LOCK_WAIT_SECONDS="1")
    )

    assert status == 2
    assert out == ""
    assert err == (
        "CommandError: Another monitor_validation run holds the lock (PostgreSQL backend pid "
        f"{holder}) and did not finish within 1 s; this run measured, stored and sent nothing.\n"
    )
    assert not MonitorSnapshot.objects.exists()


def test_two_fixes_at_once_one_repairs_the_other_says_so(drifted, other_session):
    """The row lock of a storyteller's decision in progress keeps the winner inside its
    transaction (holding the advisory lock) while the other one tries."""
    other_session.autocommit = False
    with other_session.cursor() as cursor:
        cursor.execute("SELECT id FROM characters_character WHERE id = %s FOR UPDATE", [drifted.pk])
    runs = [start("validate_data_integrity", "--fix") for _ in range(2)]

    refused = None
    while refused is None:  # the loser exits at once; the winner waits for the row
        refused = next((run for run in runs if run.poll() is not None), None)
        time.sleep(0.05)
    other_session.rollback()  # the decision ends: the winner goes on
    winner = next(run for run in runs if run is not refused)
    results = {"refused": finish(refused), "winner": finish(winner)}

    status, out, err = results["refused"]
    assert status == 2
    assert err.startswith(
        "CommandError: Another validate_data_integrity --fix is running (PostgreSQL backend pid "
    )
    assert err.endswith("nothing was changed. Run it again once that one has finished.\n")
    assert results["winner"][0] == 0, results["winner"]
    assert IntegrityFix.objects.values("run_id").distinct().count() == 1
    with connection.cursor() as cursor:  # and the lock is free again
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [FIX_LOCK_KEY])
        assert cursor.fetchone()[0]
        cursor.execute("SELECT pg_advisory_unlock(%s)", [FIX_LOCK_KEY])
