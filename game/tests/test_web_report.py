"""The chronicle's XP report: what a storyteller reads in its tables and charts."""

import re
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from characters.models import Human
from game.models import Scene, XPLedgerEntry
from game.operations.ledger import ledger_repair
from game.pages.charts import bar_chart, nice_ceiling
from game.queries.report import chronicle_report, month_start, months_between
from game.tests.web_world import build_world

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

TODAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(time_machine):
    """The report is read on 2026-11-20: its months (Sep-Nov 2026) come from the clock."""
    time_machine.move_to(TODAY, tick=False)


def at(year, month, day=15):
    return timezone.make_aware(datetime(year, month, day, 12, 0))


def award(world, name, awards, when, by="head"):
    scene = Scene.objects.create(chronicle=world.chronicle, name=name, finished=True)
    scene.participants.set(list(awards))
    scene.award_xp(awards, awarded_by=world.users[by])
    with ledger_repair():  # the ledger is append-only; the test back-dates the award
        XPLedgerEntry.objects.filter(scene=scene).update(created_at=when)
    return scene


@pytest.fixture
def world():
    """Ada (with a Pending Brawl request) and Bea; awards in two months; spends decided
    every way: approved, denied, withdrawn, reversed."""
    world = build_world()
    bea = Human.objects.create(
        name="Bea", owner=world.users["member"], chronicle=world.chronicle, status="App", xp=30
    )
    world.bea = bea
    award(world, "Docks", {world.approved: 2, bea: 3}, at(2026, 9))
    award(world, "Elysium", {world.approved: 1}, at(2026, 11))
    head = world.users["head"]
    for trait in ("strength", "willpower"):  # 4 XP and 3 XP, approved
        request = bea.spend_xp(trait)
        bea.approve_xp_spend(request.pk, trait, request.new_value, head)
    denied = bea.spend_xp("dexterity")
    bea.deny_xp_spend(denied.pk, head, "Not yet")
    withdrawn = bea.spend_xp("stamina")
    bea.withdraw_xp_spend(withdrawn.pk, world.users["member"])
    reversed_ = bea.spend_xp("charisma")
    bea.approve_xp_spend(reversed_.pk, "charisma", 2, head)
    bea.reverse_approval(reversed_.pk, by=head, reason="Mistake")
    return world


def get(client, world, role="head", **params):
    client.force_login(world.users[role])
    return client.get(reverse("chronicle-report", args=[world.chronicle.pk]), params)


def rows(html: str, table_id: str) -> list[list[str]]:
    """The text of each row of a table, cell by cell."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def test_the_report_adds_up_awards_per_character_and_month(client, world):
    html = get(client, world, months="all").content.decode()

    table = rows(html, "awards-by-month")
    assert table[0] == ["Character", "Sep 2026", "Oct 2026", "Nov 2026", "Total"]
    assert table[1:] == [
        ["Ada", "2", "0", "1", "3"],
        ["Bea", "3", "0", "0", "3"],
        ["All characters", "5", "0", "1", "6"],
    ]


def test_the_report_lists_each_scene_with_its_xp(client, world):
    html = get(client, world, months="all").content.decode()

    table = rows(html, "awards-by-scene")
    assert [row[0] for row in table[1:]] == ["Elysium", "Docks"]
    assert [row[-2:] for row in table[1:]] == [["1", "1"], ["2", "5"]]


def test_spending_counts_approved_requests_only(client, world):
    """Denied, withdrawn and reversed requests gave their XP back: not spent."""
    html = get(client, world).content.decode()

    assert rows(html, "spent-by-category")[1:] == [
        ["Attribute", "1", "4"],
        ["Ability", "0", "0"],
        ["Willpower", "1", "3"],
        ["All", "", "7"],
    ]


def test_pending_totals_count_the_requests_and_the_xp_they_hold(client, world):
    world.bea.spend_xp("brawl")  # 3 XP, beside Ada's Pending Brawl (2 XP)

    html = get(client, world).content.decode()

    text = re.sub(r"\s+", " ", re.search(r'<p id="pending-totals">(.*?)</p>', html, re.S)[1])
    assert text.startswith(" <strong>2</strong> requests waiting, holding <strong>5 XP</strong>")


def test_the_period_leaves_older_awards_out(client, world):
    html = get(client, world, months="3").content.decode()

    assert rows(html, "awards-by-month")[0] == [
        "Character",
        "Sep 2026",
        "Oct 2026",
        "Nov 2026",
        "Total",
    ]
    html = get(client, world, months="6").content.decode()
    assert rows(html, "awards-by-month")[0][1] == "Jun 2026"
    assert rows(html, "awards-by-month")[-1] == [
        "All characters",
        "0",
        "0",
        "0",
        "5",
        "0",
        "1",
        "6",
    ]


def test_an_unknown_period_falls_back_to_twelve_months(client, world):
    html = get(client, world, months="forever").content.decode()

    assert rows(html, "awards-by-month")[0][1] == "Dec 2025"
    assert '<option value="12" selected>' in html
    assert "There is no period “forever”: showing the last 12 months." in html


def test_the_charts_are_inline_svg_labelled_for_screen_readers(client, world):
    html = get(client, world, months="all").content.decode()

    assert html.count('<svg class="bar-chart"') == 2
    assert 'role="img" aria-labelledby="awarded-chart-title awarded-chart-desc"' in html
    assert '<title id="awarded-chart-title">Scene XP awarded per month</title>' in html
    assert "the highest is Sep 2026 with 5 XP. The table below gives every number." in html
    assert "<title>Attribute: 4</title>" in html
    assert "<script>" not in html and "cdn" not in html.lower()


def test_names_are_escaped_in_tables_and_charts(client, world):
    Human.objects.filter(pk=world.bea.pk).update(name="<b>Bea</b>")

    html = get(client, world, months="all").content.decode()

    assert "<b>Bea</b>" not in html
    assert "&lt;b&gt;Bea&lt;/b&gt;" in html


def test_an_empty_chronicle_says_so(client, world):
    client.force_login(world.users["outsider_st"])

    html = client.get(reverse("chronicle-report", args=[world.other.pk])).content.decode()

    assert "No scene XP was awarded in this period." in html
    assert "No request is waiting." in html


def test_the_chronicle_page_links_the_report_and_audit_for_storytellers_only(client, world):
    url = reverse("chronicle", args=[world.chronicle.pk])
    report = reverse("chronicle-report", args=[world.chronicle.pk])
    audit = reverse("chronicle-audit", args=[world.chronicle.pk])
    for role, shown in [("member", False), ("owner", False), ("storyteller", True)]:
        client.force_login(world.users[role])
        html = client.get(url).content.decode()
        assert (f'href="{report}"' in html, f'href="{audit}"' in html) == (shown, shown), role


# --- The pieces -------------------------------------------------------------------------


def test_months_are_counted_across_years():
    assert month_start(date(2026, 2, 27), 3) == date(2025, 11, 1)
    assert months_between(date(2025, 11, 3), date(2026, 1, 31)) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
    ]


def test_the_chart_scale_is_a_round_number_above_the_highest_bar():
    assert [nice_ceiling(n) for n in (0, 1, 3, 5, 7, 11, 99, 120)] == [1, 1, 5, 5, 10, 20, 100, 200]
    chart = bar_chart(id="c", title="T", points=[("a", 10), ("b", 5), ("c", 0)])
    assert [bar.height for bar in chart.bars] == [168.0, 84.0, 0.0]
    assert [bar.y + bar.height for bar in chart.bars] == [chart.baseline] * 3
    assert [tick.value for tick in chart.ticks] == [0, 5, 10]


def test_the_report_is_built_in_four_queries(world, django_assert_num_queries):
    with django_assert_num_queries(4):
        chronicle_report(world.chronicle, months=None, today=date(2026, 11, 20))
