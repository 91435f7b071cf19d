"""Query budgets: each page issues the same number of queries with 5 characters in the
chronicle as with 500 (no query per row), and stays under a fixed ceiling."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from characters.models import Character, Human
from game.models import Scene, XPLedgerEntry, XPSpendingRequest
from game.tests.web_world import build_world

pytestmark = pytest.mark.django_db


def grow(world, total: int) -> None:
    """Make the chronicle hold ``total`` characters of the owner, each with history."""
    owner = world.users["owner"]
    have = Character.objects.filter(chronicle=world.chronicle).count()
    for n in range(have, total):
        character = Human.objects.create(
            name=f"Extra {n}", owner=owner, chronicle=world.chronicle, status="App", xp=10
        )
        XPSpendingRequest.objects.create(
            character=character,
            trait_name="brawl",
            trait_display="Brawl",
            category="ability",
            current_value=0,
            new_value=1,
            cost=3,
        )
        world.scene.participants.add(character)
    extra = Scene.objects.create(chronicle=world.chronicle, name="Docks", finished=True)
    extra.participants.set(Character.objects.filter(chronicle=world.chronicle)[:total])
    XPLedgerEntry.objects.bulk_create(
        XPLedgerEntry(character=world.approved, amount=1, kind="adjustment", note=f"bonus {n}")
        for n in range(total)
    )


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


PAGES = {
    "dashboard": (lambda w: reverse("dashboard"), 12),
    "sheet": (lambda w: reverse("character-sheet", args=[w.approved.pk]), 14),
    "xp history": (lambda w: reverse("xp-history", args=[w.approved.pk]), 10),
    "spend": (lambda w: reverse("xp-spend", args=[w.approved.pk]), 10),
    "my scenes": (lambda w: reverse("my-scenes"), 12),
    "chronicle": (lambda w: reverse("chronicle", args=[w.chronicle.pk]), 14),
}


@pytest.mark.parametrize("name", PAGES)
def test_a_page_costs_the_same_queries_for_5_and_500_characters(client, name):
    world = build_world()
    client.force_login(world.users["owner"])
    url_of, ceiling = PAGES[name]
    url = url_of(world)
    grow(world, 5)
    small = count_queries(client, url)
    grow(world, 500)
    large = count_queries(client, url)

    assert small == large, f"{name}: {small} queries with 5 characters, {large} with 500"
    assert large <= ceiling


def test_the_storyteller_badge_costs_the_same_for_any_size(client):
    world = build_world()
    client.force_login(world.users["head"])
    url = reverse("account")
    grow(world, 5)
    small = count_queries(client, url)
    grow(world, 500)
    large = count_queries(client, url)
    assert small == large <= 10
    response = client.get(url)
    assert response.context["nav"].requests_to_decide == 499  # the extras, and Ada's
