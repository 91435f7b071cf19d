"""Query budgets of the storytellers' record pages (XP report, audit, audit CSV): the
same number of queries with 5 as with 500 rows in every table they read."""

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from characters.models import Character, CharacterChange
from game.models import Scene, StorytellerChange, XPLedgerEntry, XPSpendingRequest
from game.tests.test_web_queries import grow
from game.tests.web_world import build_world

pytestmark = pytest.mark.django_db


def grow_records(world, total: int) -> None:
    """``total`` characters (see ``grow``), and as many decided requests, awarded scenes,
    character changes and storyteller changes."""
    grow(world, total)
    head = world.users["head"]
    now = timezone.now()
    have = Scene.objects.filter(name__startswith="Award ").count()
    characters = list(Character.objects.filter(chronicle=world.chronicle).order_by("pk"))
    scenes = Scene.objects.bulk_create(
        Scene(chronicle=world.chronicle, name=f"Award {n}", finished=True, xp_given=True)
        for n in range(have, total)
    )
    XPLedgerEntry.objects.bulk_create(
        XPLedgerEntry(character=characters[n % len(characters)], amount=1, kind="award", scene=s)
        for n, s in enumerate(scenes)
    )
    XPSpendingRequest.objects.bulk_create(
        XPSpendingRequest(
            character=characters[n % len(characters)],
            trait_name="melee",
            trait_display="Melee",
            category="ability",
            current_value=0,
            new_value=1,
            cost=3,
            status="Approved" if n % 2 else "Denied",
            decided_at=now,
            decided_by=head,
        )
        for n in range(have, total)
    )
    CharacterChange.objects.bulk_create(
        CharacterChange(character=characters[n % len(characters)], field=f, old="1", new="2")
        for n in range(have, total)
        for f in ("status", "concept")
    )
    StorytellerChange.objects.bulk_create(
        StorytellerChange(chronicle=world.chronicle, user=head, action="added", by=head)
        for _ in range(have, total)
    )


def count_queries(client, url) -> tuple[int, int]:
    """(the response's status, the number of queries it took, its streamed body included)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    return response.status_code, len(queries)


PAGES = {
    # Each page's own queries plus the navigation's (storyteller badge: 3, operator link: 1)
    # and the session's read (sessions live in the database only: docs/deployment).
    "xp report": (lambda w: reverse("chronicle-report", args=[w.chronicle.pk]), 12),
    "xp report, all time": (
        lambda w: reverse("chronicle-report", args=[w.chronicle.pk]) + "?months=all",
        12,
    ),
    "audit": (lambda w: reverse("chronicle-audit", args=[w.chronicle.pk]), 23),
    "audit, page 3 filtered": (
        lambda w: (
            reverse("chronicle-audit", args=[w.chronicle.pk])
            + f"?page=3&person={w.users['head'].pk}"
        ),
        25,
    ),
    "audit csv": (lambda w: reverse("chronicle-audit-csv", args=[w.chronicle.pk]), 11),
}


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker):
    """{page: ((status, queries) with 5 rows, (status, queries) with 500)}. Growing every
    table to 500 rows is most of the time, so it is done once for the whole module: every
    page is measured at 5, then at 500, in one transaction rolled back at the end, as each
    test's own would be."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        client = Client()
        client.force_login(world.users["head"])
        urls = {name: url_of(world) for name, (url_of, _) in PAGES.items()}
        grow_records(world, 5)
        small = {name: count_queries(client, url) for name, url in urls.items()}
        grow_records(world, 500)
        large = {name: count_queries(client, url) for name, url in urls.items()}
        transaction.set_rollback(True)
    return {name: (small[name], large[name]) for name in urls}


@pytest.mark.parametrize("name", PAGES)
def test_a_record_page_costs_the_same_queries_for_5_and_500_rows(measured, name):
    (status, small), (status_large, large) = measured[name]
    ceiling = PAGES[name][1]

    assert status == status_large == 200, name
    assert small == large, f"{name}: {small} queries with 5 rows, {large} with 500"
    assert large <= ceiling
