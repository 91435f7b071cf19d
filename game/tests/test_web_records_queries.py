"""Query budgets of the storytellers' record pages (XP report, audit, audit CSV): the
same number of queries with 5 as with 500 rows in every table they read."""

import pytest
from django.db import connection
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


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(queries)


PAGES = {
    # Each page's own queries plus the navigation's (storyteller badge: 3, operator link: 1).
    "xp report": (lambda w: reverse("chronicle-report", args=[w.chronicle.pk]), 11),
    "xp report, all time": (
        lambda w: reverse("chronicle-report", args=[w.chronicle.pk]) + "?months=all",
        12,
    ),
    "audit": (lambda w: reverse("chronicle-audit", args=[w.chronicle.pk]), 22),
    "audit, page 3 filtered": (
        lambda w: (
            reverse("chronicle-audit", args=[w.chronicle.pk])
            + f"?page=3&person={w.users['head'].pk}"
        ),
        24,
    ),
    "audit csv": (lambda w: reverse("chronicle-audit-csv", args=[w.chronicle.pk]), 10),
}


@pytest.mark.parametrize("name", PAGES)
def test_a_record_page_costs_the_same_queries_for_5_and_500_rows(client, name):
    world = build_world()
    client.force_login(world.users["head"])
    url_of, ceiling = PAGES[name]
    url = url_of(world)
    grow_records(world, 5)
    small = count_queries(client, url)
    grow_records(world, 500)
    large = count_queries(client, url)

    assert small == large, f"{name}: {small} queries with 5 rows, {large} with 500"
    assert large <= ceiling
