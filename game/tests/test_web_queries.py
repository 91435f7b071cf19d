"""Query budgets: each page issues the same number of queries with 5 characters in the
chronicle as with 500 (no query per row), and stays under a fixed ceiling."""

import pytest
from django.db import connection, transaction
from django.test import Client
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


def count_queries(client, url) -> tuple[int, int]:
    """(the response's status, the number of queries it took)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response.status_code, len(queries)


PAGES = {
    "dashboard": (lambda w: reverse("dashboard"), 12),
    "sheet": (lambda w: reverse("character-sheet", args=[w.approved.pk]), 14),
    "xp history": (lambda w: reverse("xp-history", args=[w.approved.pk]), 10),
    "spend": (lambda w: reverse("xp-spend", args=[w.approved.pk]), 10),
    "my scenes": (lambda w: reverse("my-scenes"), 12),
    "chronicle": (lambda w: reverse("chronicle", args=[w.chronicle.pk]), 14),
}
BADGE = "the storyteller badge"


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker):
    """{page: ((status, queries) with 5 characters, (status, queries) with 500)}, and the
    storyteller's badge count with 500. Growing the chronicle to 500 characters is most of
    the time, so it is grown once for the whole module: every page (the owner's, and the
    account page with the head storyteller's badge) is measured at 5, then at 500, in one
    transaction rolled back at the end, as each test's own would be."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        owner, head = Client(), Client()
        owner.force_login(world.users["owner"])
        head.force_login(world.users["head"])
        urls = {name: (owner, url_of(world)) for name, (url_of, _) in PAGES.items()}
        urls[BADGE] = (head, reverse("account"))
        grow(world, 5)
        small = {name: count_queries(client, url) for name, (client, url) in urls.items()}
        grow(world, 500)
        large = {name: count_queries(client, url) for name, (client, url) in urls.items()}
        badge = head.get(reverse("account")).context["nav"].requests_to_decide
        transaction.set_rollback(True)
    return {name: (small[name], large[name]) for name in urls}, badge


@pytest.mark.parametrize("name", PAGES)
def test_a_page_costs_the_same_queries_for_5_and_500_characters(measured, name):
    (status, small), (status_large, large) = measured[0][name]
    ceiling = PAGES[name][1]

    assert status == status_large == 200, name
    assert small == large, f"{name}: {small} queries with 5 characters, {large} with 500"
    assert large <= ceiling


def test_the_storyteller_badge_costs_the_same_for_any_size(measured):
    pages, badge = measured
    (status, small), (status_large, large) = pages[BADGE]

    assert status == status_large == 200
    assert small == large <= 10
    assert badge == 499  # the extras, and Ada's
