"""``monitor_validation``: outputs, JSON schema, exit codes, usage errors and snapshots."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from characters.models import Character
from core.models import MonitorSnapshot, OperationRecord
from tests.support import corrupt

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def run(*args):
    """(stdout, stderr, exit code) of the command called in-process."""
    out, err = StringIO(), StringIO()
    try:
        call_command("monitor_validation", *args, stdout=out, stderr=err)
    except CommandError as error:
        err.write(str(error))
        return out.getvalue(), err.getvalue(), error.returncode
    return out.getvalue(), err.getvalue(), 0


def failing_spends(count=20, *, hours_ago=1):
    when = timezone.now() - timedelta(hours=hours_ago)
    OperationRecord.objects.bulk_create(
        OperationRecord(
            operation="xp_spend",
            outcome="error",
            code="OperationalError",
            duration_ms=12.5,
            created_at=when,
        )
        for _ in range(count)
    )


def test_healthy_report_starts_with_status_and_score_and_exits_0():
    out, err, code = run()
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert lines[0] == "tg health: HEALTHY, score 100/100"
    assert lines[1].startswith("Period: the 24 h up to ")
    assert "Alerts: none" in lines
    assert lines[-2:] == [
        "What to do",
        "  - Nothing: every measured figure is within its threshold.",
    ]


def test_degraded_report_lists_alerts_and_actions_and_exits_1():
    failing_spends()
    out, err, code = run()
    assert code == 1
    assert err == "tg is degraded (health score 65/100)"
    assert out.splitlines()[0] == "tg health: DEGRADED, score 65/100"
    assert "  ! XP spend success: 0% (alert when < 90%)" in out
    assert "  ! Transaction rollbacks: 100% (alert when > 5%)" in out
    assert "  - Review errors: `monitor_validation --verbose` lists the failed spends;" in out


def test_the_longest_period_is_accepted():
    _out, _err, code = run("--json", "--period", "87840")
    assert code == 0


def test_json_is_one_document_with_the_documented_keys():
    out, err, code = run("--json", "--period", "48")
    data = json.loads(out)
    assert code == 0 and err == ""
    assert list(data) == [
        "timestamp",
        "period_hours",
        "status",
        "health_score",
        "checks",
        "metrics",
        "alerts",
    ]
    assert data["period_hours"] == 48
    assert list(data["checks"]) == [
        "data_integrity",
        "xp_activity",
        "xp_operations",
        "scene_xp_awards",
        "character_stats",
        "database",
        "cache",
    ]
    checks = data["checks"]
    assert {"total", "healthy"} <= set(checks["data_integrity"])
    assert {"approval_rate", "all_time_pending"} <= set(checks["xp_activity"])
    assert set(checks["xp_operations"]) == {
        "xp_spend",
        "xp_withdraw",
        "xp_approve",
        "xp_deny",
        "xp_reverse",
        "xp_adjust",
        "scene_award",
        "all",
    }
    assert "scenes_awaiting_xp" in checks["scene_xp_awards"]
    assert set(checks["character_stats"]) == {
        "total",
        "by_status",
        "average_xp",
        "total_characters",
        "status_breakdown",
    }
    assert checks["database"]["vendor"] == connection.vendor
    for metric in data["metrics"].values():
        assert {"value", "target", "threshold", "state"} <= set(metric)


def test_json_alerts_name_metric_value_threshold_and_action():
    failing_spends()
    out, _err, code = run("--json")
    data = json.loads(out)
    assert code == 1
    assert data["status"] == "degraded"
    spend = next(a for a in data["alerts"] if a["metric"] == "xp_spend_success_rate")
    assert (spend["value"], spend["threshold"]) == (0.0, 90)
    assert spend["action"]


def test_verbose_lists_the_slowest_operations():
    OperationRecord.objects.create(
        operation="scene_award", outcome="success", duration_ms=321.0, scene_id=7
    )
    OperationRecord.objects.create(operation="xp_spend", outcome="success", duration_ms=12.0)
    out, _err, code = run("--verbose")
    assert code == 0
    section = out.split("Slowest XP operations of the period\n", 1)[1].splitlines()
    header = ["when", "operation", "outcome", "code", "ms", "character", "scene"]
    assert section[0].split() == header
    assert section[1].split()[1:] == ["scene_award", "success", "-", "321.0", "-", "7"]
    assert section[2].split()[1:] == ["xp_spend", "success", "-", "12.0", "-", "-"]


def test_verbose_json_carries_the_details():
    out, _err, _code = run("--json", "--verbose")
    details = json.loads(out)["details"]
    assert set(details) == {"integrity", "slowest_operations"}


@pytest.mark.parametrize("period", ["0", "-3", "abc", "1.5", "", "87841"])
def test_a_bad_period_is_a_usage_error_that_changes_nothing(period):
    out, err, code = run("--period", period)
    assert code == 2
    assert err == f"--period must be a whole number of hours from 1 to 87840, not {period!r}."
    assert out == ""
    assert not MonitorSnapshot.objects.exists()


def test_a_threshold_for_an_unknown_metric_is_a_settings_error(settings, tg_monitoring):
    tg_monitoring(THRESHOLDS={"xp_spend_time": 800})
    out, err, code = run("--json")
    assert code == 2 and out == ""
    assert err.startswith(
        "settings: TG_MONITORING['THRESHOLDS'] names an unknown metric 'xp_spend_time'; "
        "known metrics: cache_available, constraint_violations_per_day, "
    )
    assert not MonitorSnapshot.objects.exists()


def test_a_threshold_that_is_not_a_number_is_a_settings_error(settings, tg_monitoring):
    tg_monitoring(WEIGHTS={"health_score": "10"})
    _out, err, code = run()
    assert code == 2
    assert err == "settings: TG_MONITORING['WEIGHTS']['health_score'] must be a number, not '10'."


def test_each_run_stores_a_snapshot_of_its_report():
    failing_spends()
    out, _err, _code = run("--json")
    snapshot = MonitorSnapshot.objects.get()
    assert (snapshot.status, snapshot.health_score, snapshot.alert_sent) == ("degraded", 65, "")
    assert snapshot.report == json.loads(out)


def test_snapshots_older_than_the_retention_are_pruned(settings, tg_monitoring):
    tg_monitoring(SNAPSHOT_RETENTION_DAYS=30)
    now = timezone.now()
    for days in (45, 31, 29):
        MonitorSnapshot.objects.create(
            created_at=now - timedelta(days=days), health_score=100, status="healthy", report={}
        )
    run("--json")
    kept = MonitorSnapshot.objects.order_by("created_at").values_list("created_at", flat=True)
    assert len(kept) == 2
    assert (now - kept[0]).days == 29
    assert kept[1] >= now, "this run's own snapshot"


def _manage(*args, env=None):
    return subprocess.run(
        [sys.executable, str(MANAGE), "monitor_validation", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tg.settings.test", **(env or {})},
    )


@pytest.mark.process
def test_manage_py_exits_2_with_one_line_for_a_bad_period():
    result = _manage("--period", "abc", "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "CommandError: --period must be a whole number of hours from 1 to 87840, not 'abc'.\n"
    )


@pytest.mark.process
def test_manage_py_exits_2_with_one_line_when_the_database_cannot_be_read(tmp_path):
    missing = tmp_path / "no-such-dir" / "tg.sqlite3"
    result = _manage("--json", env={"DATABASE_URL": f"sqlite:///{missing}"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "CommandError: cannot read the database: unable to open database file\n"
    )


@pytest.mark.process
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_manage_py_exits_1_when_degraded_and_0_when_healthy():
    """The real process against the test database, as cron would run it."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if db["PASSWORD"]:
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {"DATABASE_URL": url}

    healthy = _manage("--json", env=env)
    assert healthy.returncode == 0, healthy.stderr
    assert json.loads(healthy.stdout)["status"] == "healthy"

    failing_spends()
    degraded = _manage("--json", env=env)
    assert degraded.returncode == 1
    assert json.loads(degraded.stdout)["status"] == "degraded"
    assert degraded.stderr == "CommandError: tg is degraded (health score 65/100)\n"
    assert MonitorSnapshot.objects.count() == 2


def test_integrity_issues_breach_and_verbose_shows_the_rows_behind_them(make_human):
    ada = make_human("Ada", xp=10)
    corrupt(Character, ada.pk, xp=13)  # XP that the ledger never saw

    out, _err, code = run("--verbose")

    assert code == 1
    assert out.splitlines()[0] == "tg health: DEGRADED, score 70/100"
    assert "  ! Data integrity issues: 1 (alert when > 0)" in out
    lines = out.splitlines()
    at = lines.index(
        "  xp_ledger: 1 - Characters whose XP differs from the sum of their ledger entries"
    )
    assert lines[at + 1] == (
        f"      model=characters.Character, id={ada.pk}, name=Ada, field=xp, value=13, "
        "ledger=10, fix=an operator decides: --accept-balances or --restore-balances"
    )
    assert "  - Data audit: `manage.py validate_data_integrity --verbose` shows the rows;" in out
