"""The health page as an operator reads it: the last monitor run with every metric, a
warning when the cron job is overdue, the trend of the stored runs as charts and as a
table, the alerts and recoveries sent — and a query count that does not grow with the
number of snapshots kept."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from core.models import Operation, OperationRecord, Outcome
from oversight.monitoring import build_report
from oversight.monitoring.snapshots import save_snapshot
from oversight.tests.ops_support import make_operator, store_hourly_runs, store_run, table_rows

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

URL = reverse("ops-health")


@pytest.fixture
def operator(client, make_user):
    user = make_operator(make_user("otto"))
    client.force_login(user)
    return user


def page(client, query: str = "", status: int = 200) -> str:
    response = client.get(URL + query)
    assert response.status_code == status
    return response.content.decode()


def hour(moment):
    return timezone.localtime(moment).replace(minute=0, second=0, microsecond=0)


def spends(count: int, *, ms: float, outcome: str = Outcome.SUCCESS) -> None:
    OperationRecord.objects.bulk_create(
        OperationRecord(operation=Operation.XP_SPEND, outcome=outcome, duration_ms=ms)
        for _ in range(count)
    )


# --- The last run -------------------------------------------------------------------------


def test_the_last_run_shows_its_score_status_and_every_metric(client, operator, make_human):
    """A real cron report: a failed award makes it degraded; three spends are too few to
    judge their time, which the page says rather than hiding the figure."""
    make_human("Ada", xp=3)
    spends(3, ms=700)
    OperationRecord.objects.create(
        operation=Operation.SCENE_AWARD,
        outcome=Outcome.ERROR,
        code="OperationalError",
        duration_ms=5,
    )
    save_snapshot(build_report(period_hours=24).data)

    html = page(client)

    assertInHTML('<dd class="col-sm-9" id="health-score">100/100</dd>', html)
    assert '<span class="badge text-bg-success">healthy</span>' in html
    rows = table_rows(html, "metrics")
    assert rows[0] == ["Metric", "Value", "Target", "Alert when", "State"]
    by_label = {row[0]: row[1:] for row in rows[1:]}
    assert by_label["XP spend time (p95)"] == [
        "700 ms",
        "200 ms",
        "> 500 ms",
        "insufficient data (3 < 20 operations)",
    ]
    assert by_label["Scene XP award success"] == [
        "0%",
        "100%",
        "< 99%",
        "insufficient data (1 < 20 operations)",
    ]
    assert by_label["Data integrity issues"] == ["0", "0", "> 0", "ok"]
    assert by_label["Database deadlocks"] == ["0/day", "0/day", "> 1/day", "ok"]
    assert by_label["Health score"] == ["100", "100", "< 90", "ok"]
    assert len(rows) == 1 + 9  # the score and the eight judged metrics
    assert "overdue" not in html


def test_a_crossed_threshold_is_listed_with_what_to_do(client, operator):
    spends(25, ms=10, outcome=Outcome.ERROR)
    save_snapshot(build_report(period_hours=24).data)

    html = page(client)

    assert 'id="health-score">65/100' in html
    assert '<span class="badge text-bg-warning">degraded</span>' in html
    assert "XP spend success: 0%</strong> (alert when &lt; 90%)" in html
    assert "Review errors: `monitor_validation --verbose` lists the failed spends" in html
    by_label = {row[0]: row[1:] for row in table_rows(html, "metrics")[1:]}
    assert by_label["Transaction rollbacks"] == ["100%", "1%", "> 5%", "breach"]


def test_an_overdue_cron_run_is_a_warning_with_its_age(client, operator):
    store_run(timezone.now() - timedelta(minutes=185), score=100)

    html = page(client)

    assert "The monitor is overdue:</strong> its last run was 185 minutes ago" in html
    assert "more than the 120 minutes allowed" in html
    assert "TG_MONITOR_STALE_MINUTES" in html


def test_the_staleness_setting_of_the_endpoints_decides(client, operator, tg_monitoring):
    tg_monitoring(STALE_AFTER_MINUTES=240)
    store_run(timezone.now() - timedelta(minutes=185), score=100)

    html = page(client)

    assert "overdue" not in html
    assert "185 minutes ago</span> (within the 240 minutes allowed)" in html


def test_a_monitor_that_never_ran_says_so(client, operator):
    html = page(client)
    assert "No monitor run has been recorded yet." in html
    assert "python manage.py monitor_validation --json" in html
    assert 'id="metrics"' not in html


def test_broken_monitoring_settings_are_named_not_a_500(client, operator, settings):
    settings.TG_MONITORING = {"STALE_AFTER_MINUTS": 60}
    html = page(client, status=503)
    assert "The monitoring settings are invalid:" in html
    assert "did you mean &#x27;STALE_AFTER_MINUTES&#x27;?" in html


# --- The trend ----------------------------------------------------------------------------


def test_the_week_is_charted_per_hour_with_a_labelled_svg(client, operator):
    now = timezone.now()
    # Hours 10, 9, 8 ago: one stretch; hour 5 ago alone, after a gap of two hours.
    for hours_ago, score, issues in ((10, 100, 0), (9, 65, 2), (8, 70, 1), (5, 100, 0)):
        store_run(now - timedelta(hours=hours_ago), score=score, issues=issues)

    html = page(client)

    assert (
        '<svg id="score-chart" viewBox="0 0 640 200" width="100%" '
        'preserveAspectRatio="xMidYMid meet"\n       role="img" '
        'aria-label="Lowest health score per hour, the last 7 days" data-points="4">'
    ) in html
    assert "<title>Lowest health score per hour, the last 7 days</title>" in html
    assert 'aria-label="Most integrity issues per hour, the last 7 days"' in html
    score_path = re.search(r'<svg id="score-chart".*?<path class="series" d="([^"]+)"', html, re.S)
    # The three consecutive hours are one line; the lonely hour is a dot, not a line to it.
    assert score_path.group(1).count("M") == 1
    assert score_path.group(1).count("L") == 2
    assert html.count('<circle class="series"') == 2  # one per chart
    assert "4 of the 168 hours of the last 7 days had at least one run" in html
    assert (
        "Lowest health score per hour, 4 hour(s) with a monitor run: from 65 to 100, "
        "100 in the latest. The table below gives every number."
    ) in html


def test_the_table_gives_the_numbers_of_the_chart_newest_first(client, operator):
    now = timezone.now()
    runs = [
        store_run(now - timedelta(hours=30), score=100, issues=0),
        store_run(now - timedelta(hours=3), score=65, issues=2, alert_sent="alert"),
        store_run(now - timedelta(hours=2), score=100, issues=0, alert_sent="recovery"),
    ]

    rows = table_rows(page(client), "trend-table")

    assert rows[0] == [
        "Hour starting",
        "Runs",
        "Lowest score",
        "Average score",
        "Most integrity issues",
        "Alerts",
        "Recoveries",
    ]
    expected = [
        [
            f"{hour(run.created_at):%Y-%m-%d %H:%M}",
            "1",
            f"{run.health_score:.0f}",
            f"{run.health_score:.1f}",
            str(issues),
            str(alert),
            str(recovery),
        ]
        for run, issues, alert, recovery in (
            (runs[2], 0, 0, 1),
            (runs[1], 2, 1, 0),
            (runs[0], 0, 0, 0),
        )
    ]
    assert rows[1:] == expected


def test_the_month_is_charted_per_day_lowest_average_and_most(client, operator):
    now = timezone.now()
    day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = day - timedelta(days=1)
    for hours, score, issues in ((1, 100, 0), (5, 65, 3), (9, 90, 1)):
        store_run(yesterday + timedelta(hours=hours), score=score, issues=issues)
    store_run(day - timedelta(days=40), score=0, issues=99)  # outside the 30 days

    html = page(client, "?days=30")

    assert 'aria-label="Lowest health score per day, the last 30 days" data-points="1"' in html
    assert '<a class="nav-link active" aria-current="page" href="?days=30">30 days</a>' in html
    assert table_rows(html, "trend-table")[1:] == [
        [f"{yesterday:%Y-%m-%d %H:%M}", "3", "65", "85.0", "3", "0", "0"]
    ]
    assert "1 of the 30 days of the last 30 days had at least one run" in html


@pytest.mark.parametrize("days", ["9", "abc", "-7", "7.0"])
def test_another_trend_period_is_a_clear_400(client, operator, days):
    store_run(timezone.now() - timedelta(minutes=5), score=100)

    html = page(client, f"?days={days}", status=400)

    assert "The trend covers 7 or 30 days: choose one of them below." in html
    assert 'id="health-score">100/100' in html  # the last run is still shown
    assert "<svg" not in html


# --- Alerts and recoveries ------------------------------------------------------------------


def test_alerts_and_recoveries_are_listed_with_what_they_were_about(client, operator):
    now = timezone.now()
    store_run(
        now - timedelta(hours=5),
        score=55,
        status="degraded",
        issues=1,
        alert_sent="alert",
        notification={
            "kind": "alert",
            "reason": "degraded (score 55)",
            "signature": "degraded:data_integrity_issues,xp_spend_success_rate",
        },
    )
    store_run(now - timedelta(hours=4), score=55, status="degraded", issues=1)  # nothing sent
    store_run(
        now - timedelta(hours=1),
        score=100,
        alert_sent="recovery",
        notification={
            "kind": "recovery",
            "reason": "healthy again after the alert of 2026-11-25 04:00 UTC",
            "signature": "healthy:",
        },
    )

    rows = table_rows(page(client), "notices")

    assert rows[0] == ["Sent", "Kind", "Status", "Score", "About"]
    assert [row[1:] for row in rows[1:]] == [
        ["recovery", "healthy", "100", "healthy again after the alert of 2026-11-25 04:00 UTC"],
        ["alert", "degraded", "55", "Data integrity issues, XP spend success"],
    ]


def test_no_alert_sent_says_how_alerts_are_sent(client, operator):
    store_run(timezone.now() - timedelta(minutes=5), score=100)
    assert "None sent. Alerts go out only from runs with <code>--alert</code>" in page(client)


# --- Query budget -----------------------------------------------------------------------------


def queries(client, query="") -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL + query)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("days", [7, 30])
def test_5_or_500_snapshots_cost_the_same_queries(client, operator, days):
    now = timezone.now()
    save_snapshot(build_report(period_hours=24).data)
    store_hourly_runs(5, now=now - timedelta(minutes=30), score=65, issues=1)
    small = queries(client, f"?days={days}")

    store_hourly_runs(495, now=now - timedelta(hours=5, minutes=30), score=100)
    large = queries(client, f"?days={days}")

    assert small == large <= 12


def test_a_year_of_hourly_snapshots_is_read_a_week_at_a_time(client, operator):
    """Even far past the default retention, the table holds a week of hours at most."""
    # One run a second past each hour, so that the current hour has had its run.
    store_hourly_runs(24 * 365, now=hour(timezone.now()) + timedelta(seconds=1), score=100)

    html = page(client)

    assert len(table_rows(html, "trend-table")) == 1 + 168
    assert "168 of the 168 hours of the last 7 days had at least one run" in html
