"""The chronicle's audit page and its CSV: what a storyteller finds there, how the
filters narrow it, and that merging five tables stays bounded and in order."""

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from characters.models import Character, CharacterChange, Human
from game.models import (
    Gameline,
    StorytellerChange,
    XPLedgerEntry,
    record_storyteller_change,
)
from game.operations.ledger import ledger_repair
from game.queries.audit import AuditFilters, AuditLog, sources
from game.tests.web_world import build_world, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.dates]


@pytest.fixture
def world():
    """A week of a chronicle: an approval, a denial with a note, a reversal, an
    adjustment, a character submitted and returned with a note, a new storyteller."""
    world = build_world()
    head, ash, pat = world.users["head"], world.users["storyteller"], world.users["owner"]
    ada, una = world.approved, world.unfinished
    ada.approve_xp_spend(world.pending.pk, "brawl", 2, head)
    denied = ada.spend_xp("strength")
    ada.deny_xp_spend(denied.pk, ash, "Explain the training first")
    reversed_ = ada.spend_xp("wits")
    ada.approve_xp_spend(reversed_.pk, "wits", 2, ash)
    ada.reverse_approval(reversed_.pk, by=head, reason="Wits was already bought in play")
    ada.add_xp(2, by=ash, note="Good notes")
    una.status = "Sub"
    una.save(update_fields=["status"], changed_by=pat)
    una.refresh_from_db()
    una.status = "Un"
    una.save(update_fields=["status"], changed_by=ash, reason="Too many dots in Brawl")
    record_storyteller_change(
        chronicle=world.chronicle,
        user=world.users["member"],
        gameline=Gameline.objects.get(short_name="wta"),
        action="added",
        by=head,
        note="Runs the Garou",
    )
    return world


def url(world, name="chronicle-audit"):
    return reverse(name, args=[world.chronicle.pk])


def table(response) -> list[dict]:
    """The audit table as the reader sees it: one dict per row."""
    html = response.content.decode()
    body = re.search(r'<table[^>]*id="audit".*?<tbody>(.*?)</tbody>', html, re.S)[1]

    def text(pattern: str, row: str) -> str:
        found = re.search(pattern, row, re.S)
        return re.sub(r"<[^>]+>", "", found[1]).strip() if found else ""

    return [
        {
            "when": " ".join(text(r'<td class="when"[^>]*>(.*?)</td>', row).split()),
            "kind": text(r'class="[^"]*\bkind">(.*?)</span>', row),
            "character": text(r'<td class="character"[^>]*>(.*?)</td>', row),
            "by": text(r'<span class="who">(.*?)</span>', row),
            "what": text(r'<span class="what">(.*?)</span>', row),
            "xp": text(r'<td class="text-end xp"[^>]*>(.*?)</td>', row),
            "note": text(r'<div class="note small">“(.*?)”</div>', row),
        }
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
        if '<td class="when"' in row
    ]


def page(client, world, role="head", **params):
    client.force_login(world.users[role])
    return client.get(url(world), params)


def test_the_audit_shows_every_kind_with_who_and_why(client, world):
    rows = table(page(client, world))

    seen = {(r["kind"], r["by"], r["what"], r["note"]) for r in rows}
    assert {
        ("XP decision", "sophia", "Brawl 1 → 2 (2 XP) approved", ""),
        ("XP decision", "ash", "Strength 1 → 2 (4 XP) denied", "Explain the training first"),
        ("XP decision", "ash", "Wits 1 → 2 (4 XP) approved (reversed later)", ""),
        ("XP decision", "sophia", "Wits 1 → 2 (4 XP) reversed", "Wits was already bought in play"),
        ("Ledger entry", "ash", "Adjustment", "Good notes"),
        ("Ledger entry", "ash", "Refund: Strength 1 → 2 (4 XP)", "Explain the training first"),
        ("Status change", "pat", "Status: Unfinished → Submitted", ""),
        ("Status change", "ash", "Status: Submitted → Unfinished", "Too many dots in Brawl"),
        ("Character change", "sophia", "Brawl: 1 → 2", f"XP request #{world.pending.pk} approved"),
        (
            "Storyteller change",
            "sophia",
            "mia added as storyteller for Werewolf: the Apocalypse",
            "Runs the Garou",
        ),
    } <= seen
    assert rows[0]["what"] == "mia added as storyteller for Werewolf: the Apocalypse"
    assert [r["when"] for r in rows] == sorted((r["when"] for r in rows), reverse=True)
    assert {r["xp"] for r in rows if r["kind"] == "Ledger entry"} >= {"+2", "-4", "+4"}


def test_the_audit_is_read_only(client, world):
    before = snapshot()
    page(client, world)
    client.get(url(world, "chronicle-audit-csv"))
    assert snapshot() == before


def test_the_kind_filter_keeps_one_kind(client, world):
    rows = table(page(client, world, kind="decision"))

    assert {r["kind"] for r in rows} == {"XP decision"}
    assert len(rows) == 4


def test_the_character_filter_keeps_that_character_and_no_storyteller_change(client, world):
    rows = table(page(client, world, character=world.unfinished.pk))

    assert {r["character"] for r in rows} == {"Una"}
    assert [r["what"] for r in rows] == [
        "Status: Submitted → Unfinished",
        "Status: Unfinished → Submitted",
    ]


def test_the_person_filter_keeps_what_that_person_did(client, world):
    rows = table(page(client, world, person=world.users["storyteller"].pk))

    assert {r["by"] for r in rows} == {"ash"}
    assert len(rows) == 6  # deny + its refund, approve + its trait change, adjust, return


def test_the_date_range_includes_both_days(client, world):
    long_ago = timezone.now() - timedelta(days=40)
    with ledger_repair():  # the ledger is append-only; the test back-dates an entry
        XPLedgerEntry.objects.filter(note="Good notes").update(created_at=long_ago)
    day = timezone.localdate(long_ago).isoformat()

    rows = table(page(client, world, start=day, end=day))

    assert [r["what"] for r in rows] == ["Adjustment"]
    assert all(r["when"].startswith(day) for r in rows)
    rows = table(page(client, world, start=(timezone.localdate() - timedelta(days=1)).isoformat()))
    assert "Good notes" not in {r["note"] for r in rows}
    assert len(rows) > 5


def test_a_to_date_before_the_from_date_is_an_error_and_is_ignored(client, world):
    today = timezone.localdate()

    response = page(
        client, world, start=today.isoformat(), end=(today - timedelta(days=3)).isoformat()
    )

    assert "“To” must not be before “From”." in response.content.decode()
    assert len(table(response)) > 5  # only the valid "From" applies


def test_a_character_of_another_chronicle_cannot_be_chosen(client, world):
    oliver = Character.objects.get(name="Oliver")

    response = page(client, world, character=oliver.pk)

    assert "Select a valid choice" in response.content.decode()
    assert "Oliver" not in {r["character"] for r in table(response)}


def test_the_person_list_names_who_acted_and_nobody_else(client, world):
    html = page(client, world).content.decode()
    person = re.search(r'<select[^>]*name="person".*?</select>', html, re.S)[0]

    assert re.findall(r">([^<]+)</option>", person) == ["Anyone", "ash", "pat", "sophia"]


def test_pages_hold_fifty_rows_newest_first_and_keep_the_filters(client, world):
    ada = world.approved
    base = timezone.now() - timedelta(days=1)
    XPLedgerEntry.objects.bulk_create(
        XPLedgerEntry(character=ada, amount=1, kind="adjustment", note=f"bonus {n}")
        for n in range(120)
    )
    for n, pk in enumerate(
        XPLedgerEntry.objects.filter(note__startswith="bonus ")
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        with ledger_repair():  # the ledger is append-only; the test back-dates entries
            XPLedgerEntry.objects.filter(pk=pk).update(created_at=base - timedelta(minutes=n))

    first = page(client, world, kind="ledger")
    third = page(client, world, kind="ledger", page=3)

    total = XPLedgerEntry.objects.filter(character__chronicle=world.chronicle).count()
    assert f"{total} rows · page 1 of 3" in first.content.decode()
    assert len(table(first)) == 50
    assert len(table(third)) == total - 100
    assert table(third)[-1]["note"] == "bonus 119"
    assert table(first)[0]["note"] == "Good notes"
    assert 'href="?kind=ledger&amp;page=2"' in first.content.decode()
    csv_link = f'href="{url(world, "chronicle-audit-csv")}?kind=ledger"'
    assert csv_link in third.content.decode()
    assert "There is no page" not in third.content.decode()
    for same in ("03", " 3", ""):
        assert (
            "There is no page" not in page(client, world, kind="ledger", page=same).content.decode()
        )
    for asked, shown in (("0", 3), ("-1", 3), ("9", 3), ("two", 1)):
        answer = page(client, world, kind="ledger", page=asked).content.decode()
        assert f"{total} rows · page {shown} of 3" in answer
        assert f"There is no page “{asked}” (pages 1 to 3): showing page {shown}." in answer


def _all_events(chronicle):
    """Every event, by reading whole tables: the slow reference the pages must match."""
    events = [
        event
        for source in sources(chronicle, AuditFilters())
        for event in (source.event(row) for row in source.queryset)
    ]
    return sorted(events, key=lambda e: e.order, reverse=True)


def test_merged_pages_equal_one_sorted_list_of_everything(world):
    """Interleaved times across all sources: any window equals the same window of the
    fully sorted list."""
    ada = world.approved
    start = timezone.now() - timedelta(hours=5)
    XPLedgerEntry.objects.bulk_create(
        XPLedgerEntry(character=ada, amount=1, kind="adjustment", note=f"e{n}") for n in range(30)
    )
    CharacterChange.objects.bulk_create(
        CharacterChange(
            character=ada,
            field="concept",
            old=str(n),
            new=str(n + 1),
            changed_at=start + timedelta(minutes=7 * n),
        )
        for n in range(30)
    )
    StorytellerChange.objects.bulk_create(
        StorytellerChange(
            chronicle=world.chronicle,
            user=world.users["storyteller"],
            action="added",
            at=start + timedelta(minutes=11 * n),
        )
        for n in range(20)
    )
    for n, entry in enumerate(XPLedgerEntry.objects.filter(note__startswith="e")):
        with ledger_repair():  # the ledger is append-only; the test back-dates
            XPLedgerEntry.objects.filter(pk=entry.pk).update(
                created_at=start + timedelta(minutes=5 * n)
            )

    expected = _all_events(world.chronicle)
    log = AuditLog(sources(world.chronicle, AuditFilters()))

    assert log.count() == len(expected) > 80
    for window in (slice(0, 25), slice(25, 50), slice(50, 75), slice(75, 200)):
        assert log[window] == expected[window]
    assert list(log) == expected


def test_a_page_reads_a_bounded_window_of_each_table(client, world):
    """Page 2 of 50 reads at most 100 rows of each source: every row query is LIMITed."""
    XPLedgerEntry.objects.bulk_create(
        XPLedgerEntry(character=world.approved, amount=1, kind="adjustment", note=f"b{n}")
        for n in range(300)
    )
    client.force_login(world.users["head"])

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(world), {"page": "2"})

    assert len(table(response)) == 50
    audit_tables = (
        "game_xpspendingrequest",
        "game_xpledgerentry",
        "characters_characterchange",
        "game_storytellerchange",
    )
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if any(q["sql"].startswith(f'SELECT "{t}"."id"') for t in audit_tables)
    ]
    assert len(reads) == 6  # one per source
    assert all(sql.endswith("LIMIT 100") for sql in reads), reads


# --- CSV ----------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_has_every_filtered_row_not_only_one_page(client, world):
    ada = world.approved
    XPLedgerEntry.objects.bulk_create(
        XPLedgerEntry(character=ada, amount=1, kind="adjustment", note=f"bonus {n}")
        for n in range(70)
    )
    client.force_login(world.users["storyteller"])

    rows = read_csv(client.get(url(world, "chronicle-audit-csv"), {"kind": "ledger"}))

    assert rows[0] == ["when", "kind", "character", "by", "what", "xp", "note"]
    assert (
        len(rows) - 1 == XPLedgerEntry.objects.filter(character__chronicle=world.chronicle).count()
    )
    assert {row[1] for row in rows[1:]} == {"ledger"}
    assert rows[-1][2:] == ["Ada", "", "Adjustment", "20", "Starting XP"]


def test_the_csv_rows_match_the_page(client, world):
    client.force_login(world.users["head"])

    rows = read_csv(client.get(url(world, "chronicle-audit-csv"), {"kind": "decision"}))

    assert [row[2:] for row in rows[1:]] == [
        ["Ada", "sophia", "Wits 1 → 2 (4 XP) reversed", "", "Wits was already bought in play"],
        ["Ada", "ash", "Wits 1 → 2 (4 XP) approved (reversed later)", "", ""],
        ["Ada", "ash", "Strength 1 → 2 (4 XP) denied", "", "Explain the training first"],
        ["Ada", "sophia", "Brawl 1 → 2 (2 XP) approved", "", ""],
    ]
    assert datetime.fromisoformat(rows[1][0]) >= datetime.fromisoformat(rows[-1][0])


def test_the_csv_escapes_cells_a_spreadsheet_would_run(client, world):
    Human.objects.filter(pk=world.approved.pk).update(name="=HYPERLINK(1)")
    world.approved.add_xp(1, by=world.users["head"], note="+1 for @everyone")
    client.force_login(world.users["head"])

    rows = read_csv(client.get(url(world, "chronicle-audit-csv"), {"kind": "ledger"}))

    assert rows[1][2] == "'=HYPERLINK(1)"
    assert rows[1][6] == "'+1 for @everyone"
    assert rows[1][5] == "1"


def test_the_page_escapes_what_people_typed(client, world):
    world.approved.add_xp(1, by=world.users["head"], note="<script>alert(1)</script>")

    html = page(client, world).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_paging_stops_at_a_bounded_depth_and_says_where_the_rest_is(client, world, monkeypatch):
    monkeypatch.setattr("game.pages.chronicle.AUDIT_PAGED_ROWS", 100)
    XPLedgerEntry.objects.bulk_create(
        XPLedgerEntry(character=world.approved, amount=1, kind="adjustment", note=f"b{n}")
        for n in range(300)
    )
    client.force_login(world.users["head"])

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(world), {"page": "99"})

    html = response.content.decode()
    total = AuditLog(sources(world.chronicle, AuditFilters())).total()
    assert total > 300
    assert f"{total} rows · page 2 of 2" in html
    assert "The pages go back 100 rows. For older ones, narrow the dates or download" in html
    assert len(table(response)) == 50
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "game_xp')]
    assert reads and all(sql.endswith("LIMIT 100") for sql in reads)
    assert len(read_csv(client.get(url(world, "chronicle-audit-csv")))) == total + 1
