"""Who reaches the operator pages: operators (the "operators" group) and superusers.

Everyone else signed in gets 404, the page of an address that does not exist; anonymous
visitors are sent to sign in. The pages answer GET only, and no page, whoever asks,
changes a row — the integrity preview included, which runs ``--fix`` and rolls it back.
"""

from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from characters.models import Character
from game import permissions
from oversight.tests.ops_support import (
    OPS_PAGES,
    OPS_ROLES,
    database_state,
    make_operator,
    ops_world,
)
from tests.support import corrupt

pytestmark = pytest.mark.django_db

#         anonymous, player, storyteller, staff, operator, superuser
EXPECTED = (302, 404, 404, 404, 200, 200)


@pytest.fixture
def ops(db):
    world = ops_world()
    # A fixable issue, so that the integrity page runs its --fix preview for those who
    # may see it: balances held from before the ledger.
    corrupt(Character, world.world.unfinished.pk, xp=7)
    return world


def get_as(client, ops, role, url):
    if role != "anonymous":
        client.force_login(ops.users[role])
    return client.get(url)


@pytest.mark.parametrize("role", OPS_ROLES)
@pytest.mark.parametrize("url_name", OPS_PAGES)
def test_each_role_gets_the_designed_answer_and_nothing_is_written(client, ops, role, url_name):
    url = reverse(url_name)
    before = database_state()

    response = get_as(client, ops, role, url)

    assert response.status_code == EXPECTED[OPS_ROLES.index(role)], (url_name, role)
    if role == "anonymous":
        assert response["Location"] == f"{reverse('login')}?next={quote(url, safe='/')}"
    elif response.status_code == 404:
        assert "This page does not exist, or it is not yours to see." in response.content.decode()
    assert database_state() == before, f"{url_name} as {role} changed the database"


def test_the_integrity_preview_ran_for_the_operator_and_wrote_nothing(client, ops):
    before = database_state()

    response = get_as(client, ops, "operator", reverse("ops-integrity"))

    assert "Una: new ledger entry of +7" in response.content.decode()
    assert "Dry run: nothing is written. --fix would change:" in response.content.decode()
    assert database_state() == before


@pytest.mark.parametrize("url_name", OPS_PAGES)
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_an_operator_who_writes_gets_405_and_changes_nothing(client, ops, url_name, method):
    client.force_login(ops.users["operator"])
    before = database_state()

    response = getattr(client, method)(reverse(url_name))

    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert database_state() == before


@pytest.mark.parametrize("url_name", OPS_PAGES)
def test_a_non_operator_who_posts_gets_404_not_405(client, ops, url_name):
    """A 405 would tell them that the address exists."""
    client.force_login(ops.users["staff"])
    assert client.post(reverse(url_name)).status_code == 404


def test_an_inactive_operator_is_nobody(make_user):
    user = make_operator(make_user("gone", is_active=False))
    assert permissions.is_operator(user) is False


def test_staff_status_alone_makes_nobody_an_operator(make_user):
    assert permissions.is_operator(make_user("stan", is_staff=True)) is False
    assert permissions.is_operator(make_operator(make_user("otto"))) is True


def test_the_group_comes_from_a_migration():
    assert Group.objects.filter(name=permissions.OPERATORS_GROUP).exists()


# --- The navigation link -------------------------------------------------------------------


@pytest.mark.parametrize("role", OPS_ROLES[1:])
def test_only_operators_see_the_health_link(client, ops, role):
    client.force_login(ops.users[role])

    page = client.get(reverse("account")).content.decode()

    link = f'<a class="nav-link" href="{reverse("ops-health")}">Health</a>'
    assert (link in page) is (role in ("operator", "superuser")), role


def group_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "auth_user_groups" in q["sql"]]


def test_the_link_costs_one_query_on_other_pages_and_none_on_the_operator_pages(client, ops):
    client.force_login(ops.users["operator"])

    with CaptureQueriesContext(connection) as elsewhere:
        client.get(reverse("account"))
    with CaptureQueriesContext(connection) as on_ops:
        client.get(reverse("ops-operations"))

    assert len(group_queries(elsewhere.captured_queries)) == 1
    assert len(group_queries(on_ops.captured_queries)) == 1  # the page's own check, reused


def test_a_superuser_needs_no_query_for_the_link(client, ops):
    client.force_login(ops.users["superuser"])
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("account")).content.decode()
    assert "Health</a>" in page
    assert group_queries(queries.captured_queries) == []


@pytest.mark.parametrize(
    "url_of",
    [
        lambda w: reverse("chronicle", args=[w.chronicle.pk]),
        lambda w: reverse("character-sheet", args=[w.approved.pk]),
        lambda w: reverse("xp-history", args=[w.approved.pk]),
        lambda w: reverse("st-dashboard"),
        lambda w: reverse("st-queue"),
    ],
    ids=["chronicle", "sheet", "xp history", "storytelling", "spend queue"],
)
def test_being_an_operator_opens_nothing_else(client, ops, url_of):
    """An operator outside the chronicle sees it as any outsider does: not at all."""
    client.force_login(ops.users["operator"])
    assert client.get(url_of(ops.world)).status_code == 404
