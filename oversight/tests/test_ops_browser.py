"""An operator, in Chromium, follows the Health link and reads the trend chart."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from oversight.monitoring import build_report
from oversight.monitoring.snapshots import save_snapshot
from oversight.tests.ops_support import make_operator, store_run
from tests.browser import assert_accessible, login, screenshot

pytestmark = pytest.mark.browser

HOURS = 48


def two_days_of_runs() -> None:
    """An hourly run for two days, with a dip to 65 (two integrity issues) that sent an
    alert and, three hours later, a recovery notice; the last run is a real report."""
    now = timezone.now()
    for hours_ago in range(HOURS - 1, 0, -1):
        dip = 20 <= hours_ago <= 22
        store_run(
            now - timedelta(hours=hours_ago),
            score=65 if dip else 100,
            status="degraded" if dip else "healthy",
            issues=2 if dip else 0,
            alert_sent={22: "alert", 19: "recovery"}.get(hours_ago, ""),
            notification={"signature": "degraded:data_integrity_issues", "reason": ""},
        )
    save_snapshot(build_report(period_hours=24).data)


def test_an_operator_sees_the_health_trend_chart(page, make_user):
    operator = make_operator(make_user("otto_ops"))
    two_days_of_runs()

    login(page, operator)
    page.get_by_role("link", name="Health").click()

    expect(page.get_by_role("heading", name="Health", level=1)).to_be_visible()
    chart = page.get_by_role("img", name="Lowest health score per hour, the last 7 days")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 80
    line = chart.locator("path.series")
    expect(line).to_be_visible()
    points = line.get_attribute("d").removeprefix("M ").split(" L ")
    assert len(points) == HOURS  # one run an hour, no gap: one line through every hour
    heights = [float(point.split(",")[1]) for point in points]
    assert max(heights) > heights[-1]  # the dip to 65 is drawn below 100 (y grows down)
    issues = page.get_by_role("img", name="Most integrity issues per hour, the last 7 days")
    expect(issues).to_be_visible()
    expect(page.get_by_role("cell", name="Data integrity issues")).to_be_visible()
    expect(page.locator("#stale-warning")).to_have_count(0)
    screenshot(page, "ops-health")
    assert_accessible(page)


def test_the_integrity_and_operations_pages_read_well_too(page, make_user, make_human):
    """With something to show on each: a balance from before the ledger (with its --fix
    preview), a refused spend and a slow, failed award."""
    from characters.models import Character
    from core.models import Operation, OperationRecord, Outcome
    from tests.support import corrupt

    operator = make_operator(make_user("otto_ops"))
    ada = make_human("Ada", xp=0)
    corrupt(Character, ada.pk, xp=12)
    OperationRecord.objects.create(
        operation=Operation.XP_SPEND,
        outcome=Outcome.REJECTED,
        code="insufficient_xp",
        duration_ms=3,
    )
    OperationRecord.objects.create(
        operation=Operation.SCENE_AWARD,
        outcome=Outcome.ERROR,
        code="OperationalError",
        duration_ms=850,
    )
    login(page, operator)

    page.goto("/ops/integrity/")
    expect(page.locator("#preview")).to_contain_text("Ada: new ledger entry of +12")
    expect(page.get_by_role("link", name=f"Ada (#{ada.pk}) xp = 12")).to_be_visible()
    screenshot(page, "ops-integrity")
    assert_accessible(page)

    page.get_by_role("link", name="Operations").click()
    expect(page.locator("#refusals")).to_contain_text("insufficient_xp")
    page.get_by_label("Period in hours (1 to 720)").fill("0")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#period-error")).to_contain_text("Choose a period of 1 to 720 hours")
    page.get_by_role("link", name="7 days").click()
    expect(page.locator("#slowest")).to_contain_text("OperationalError")
    screenshot(page, "ops-operations")
    assert_accessible(page)
