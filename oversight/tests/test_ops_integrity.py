"""The integrity page as an operator reads it: every check computed now, the offending
rows linked to the admin, and the exact ``--fix --dry-run`` preview — which does the
repair in a transaction and rolls it back, so the database is unchanged afterwards."""

import html as html_lib
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from characters.models import Character
from core.models import IntegrityFix
from game.models import XPLedgerEntry, XPSpendingRequest
from oversight.integrity import REGISTRY
from oversight.tests.ops_support import database_state, make_operator, table_rows
from tests.support import corrupt, validate

pytestmark = pytest.mark.django_db

URL = reverse("ops-integrity")
EXAMPLES = 5  # TG_MONITORING["VERBOSE_EXAMPLES"], the page's rows per check


@pytest.fixture
def operator(client, make_user):
    user = make_operator(make_user("otto"))
    client.force_login(user)
    return user


@pytest.fixture
def broken(make_human):
    """Three balances from before the ledger; a retired character's pending request."""
    drifted = [make_human(name, xp=0) for name in ("Ada", "Bob", "Cy")]
    for extra, character in enumerate(drifted, start=1):
        corrupt(Character, character.pk, xp=10 + extra)
    dee = make_human("Dee", xp=9)
    request = dee.spend_xp("wits", "Wits", 4, "attribute")
    corrupt(Character, dee.pk, status="Ret")  # retired around tg: the request stayed pending
    return {"drifted": drifted, "dee": dee, "request": request}


def page(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def preview_lines(html: str) -> list[str]:
    match = re.search(r'<pre[^>]*id="preview"><samp>(.*?)</samp></pre>', html, re.S)
    assert match, "no preview on the page"
    return html_lib.unescape(match.group(1)).rstrip("\n").split("\n")


def test_every_check_is_listed_with_its_count(client, operator, broken):
    html = page(client)

    rows = table_rows(html, "checks")
    assert rows[0] == ["Check", "What it finds", "Issues", "Fixable by --fix"]
    assert [row[0] for row in rows[1:]] == list(REGISTRY)
    counts = {row[0]: row[2:] for row in rows[1:]}
    assert counts["xp_ledger"] == ["3", "3"]
    assert counts["pending_spends_inactive"] == ["1", "1"]
    assert counts["negative_xp"] == ["0", "–"]
    assert counts["lost_dots"] == ["0", "never (a person decides)"]
    assert "4 issue(s) in 2 check(s); 4 can be fixed with --fix." in html


def test_each_offending_row_links_to_its_admin_page(client, operator, broken):
    ada = broken["drifted"][0]
    request = broken["request"]

    html = page(client)

    assertInHTML(
        f'<a href="/admin/characters/character/{ada.pk}/change/">'
        f"Ada (#{ada.pk}) xp = 11, ledger 0 → opening-balance entry of +11</a>",
        html,
    )
    assertInHTML(
        f'<a href="/admin/game/xpspendingrequest/{request.pk}/change/">'
        f"Dee (request #{request.pk}) status = Pending, character_status Ret, "
        "request Wits for 4 XP → deny and refund 4 XP</a>",
        html,
    )
    assert "ℹ balances with no ledger entry yet (--fix records them): 3" in html


def test_examples_stop_at_the_limit_and_say_how_many_more(client, operator, make_human):
    for n in range(EXAMPLES + 2):
        human = make_human(f"P{n}", xp=0)
        corrupt(Character, human.pk, xp=5)

    html = page(client)

    section = html.split('id="examples-xp_ledger"')[1].split("</section>")[0]
    assert section.count("<li><a href=") == EXAMPLES
    assert "<li>and 2 more</li>" in section


def test_the_preview_is_the_commands_own_output_and_writes_nothing(client, operator, broken):
    before = database_state()

    lines = preview_lines(page(client))

    assert database_state() == before
    assert not IntegrityFix.objects.exists()
    assert not get_user_model().objects.filter(username="tg-integrity-repair").exists()
    status, out, _ = validate("--fix", "--dry-run", "--verbose", "--limit", str(EXAMPLES))
    assert status == 1
    changes, rest = out.split("\n\nNow:\n")
    assert lines == changes.splitlines() + ["After --fix, no issue would remain."]
    assert "After --fix, no issue would remain." in rest
    dee, request = broken["dee"], broken["request"]
    assert lines[:3] == [
        "Dry run: nothing is written. --fix would change:",
        "  xp_ledger: 3 row(s), 3 change(s) (amount ×3)",
        "      Ada: new ledger entry of +11",
    ]
    assert f"      XPSpendingRequest #{request.pk} Dee: status Pending → Denied" in lines
    assert f"      Character #{dee.pk} Dee: xp 5 → 9" in lines


def test_after_the_preview_the_rows_are_as_they_were(client, operator, broken):
    """What the preview showed as done (a refund, entries) did not happen."""
    ledger = XPLedgerEntry.objects.count()

    page(client)

    broken["request"].refresh_from_db()
    assert broken["request"].status == "Pending"
    assert Character.objects.get(pk=broken["dee"].pk).xp == 5
    assert XPLedgerEntry.objects.count() == ledger


def test_fixing_is_left_to_the_command_line_with_the_exact_command(client, operator, broken):
    html = page(client)
    assert "<strong>Fixing is a command-line action.</strong> This page changes nothing." in html
    assert ">python manage.py validate_data_integrity --fix</code>" in html
    assert (
        "The output of <code>python manage.py validate_data_integrity --fix --dry-run "
        f"--verbose --limit {EXAMPLES}</code>, computed now"
    ) in html
    assert "<form" not in html.split('<main id="content"')[1]


def test_a_clean_database_needs_no_preview(client, operator, make_human):
    make_human("Ada", xp=4)

    html = page(client)

    assert "No issues: every check passed." in html
    assert "Nothing: no issue can be fixed automatically." in html
    assert 'id="preview"' not in html


def test_issues_only_a_person_can_decide_get_no_preview(client, operator, make_human):
    """Balances a bulk update raised, with ledger history: --fix leaves them alone."""
    eve = make_human("Eve", xp=10)
    corrupt(Character, eve.pk, xp=110)

    html = page(client)

    assert "1 issue(s) in 1 check(s); 0 can be fixed with --fix." in html
    assert "(the remaining ones need a person: see each example)" in html
    assert "an operator decides: --accept-balances or --restore-balances" in html


@pytest.mark.postgres
def test_while_a_fix_runs_the_preview_says_so_and_the_checks_still_show(client, operator, broken):
    from oversight.integrity import FIX_LOCK_KEY

    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s), pg_backend_pid()", [FIX_LOCK_KEY])
            pid = cursor.fetchone()[1]
        html = page(client)
    finally:
        other.close()

    assert (
        "The preview could not be computed: Another validate_data_integrity --fix is running "
        f"(PostgreSQL backend pid {pid}); nothing was changed."
    ) in html
    assert "4 issue(s) in 2 check(s)" in html


def queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


def retire_around_tg(make_human, total: int) -> None:
    """``total`` retired characters in all, each with a request left pending."""
    for n in range(XPSpendingRequest.objects.count(), total):
        human = make_human(f"R{n}", xp=9)
        human.spend_xp("wits", "Wits", 4, "attribute")
        corrupt(Character, human.pk, status="Ret")


def test_5_or_500_characters_cost_the_same_queries(client, operator, make_human, broken):
    def grow(total):
        for n in range(Character.objects.count(), total):
            make_human(f"H{n}", xp=n % 7)

    grow(5)
    small = queries(client)
    grow(500)
    large = queries(client)

    # The checks (7 on SQLite), their examples, and the preview: the checks before and
    # after the rolled-back repair, and the repair's own reads and writes.
    assert small == large <= 70


@pytest.mark.postgres
def test_5_or_500_offending_rows_cost_the_same_queries(client, operator, make_human):
    """The preview writes (and rolls back) one audit row per change, in one INSERT per
    2,000 rows. (SQLite splits an INSERT at its limit of bound parameters, so there the
    count grows by one statement per few hundred rows.)"""
    retire_around_tg(make_human, 5)
    small = queries(client)
    retire_around_tg(make_human, 500)
    large = queries(client)

    assert small == large
