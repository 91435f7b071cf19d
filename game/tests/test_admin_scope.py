"""The admin is a superuser's tool: every other role, even staff holding every model
permission, is turned away from every admin form of every registered model, and nothing
it posts changes anything.

The attacks a storyteller with the admin's model permissions could run before (each
reproduced by the third adversarial review) are posted as written, then the whole
matrix: every role × every registered model × changelist, add, change, delete and
history, by GET and by POST.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from characters.models import Human
from game.models import Chronicle, Invitation, STRelationship, XPLedgerEntry
from game.tests.web_world import ROLES, build_world, snapshot

pytestmark = pytest.mark.django_db

# Every signed-in role but the superuser, each made staff with every model permission:
# the strongest position a non-superuser can be given.
REFUSED_ROLES = [role for role in ROLES if role not in ("anonymous", "superuser")]


@pytest.fixture
def world():
    world = build_world()
    every_permission = list(Permission.objects.all())
    for role in REFUSED_ROLES:
        user = world.users[role]
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.set(every_permission)
    return world


def admin_url(model, view: str, *args) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def everything() -> dict:
    """The web world's snapshot and the row count of every model the admin shows."""
    counts = {model.__name__: model.objects.count() for model in admin.site._registry}
    return {**snapshot(), "counts": counts}


def turned_away(response) -> bool:
    """The admin's answer to someone it does not open for: its sign-in page."""
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_a_staff_storyteller_with_every_permission_is_turned_away_at_the_door(client, world):
    client.force_login(world.users["head"])
    response = client.get(reverse("admin:index"))
    assert turned_away(response)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "not authorized to access this page" in page.content.decode()


def test_the_attacks_of_the_review_change_nothing(client, world):
    """Approving one's own character, raising dots without XP, moving a character with
    its ledger to another chronicle, taking over another player's character, inviting
    into another chronicle, making oneself a storyteller elsewhere."""
    head = world.users["head"]
    mine = Human.objects.create(name="Sophia's own", owner=head, chronicle=world.chronicle)
    mine.status = "Sub"
    mine.save()
    before = everything()
    client.force_login(head)
    ada = world.approved
    common = {"name": ada.name, "npc": "", "concept": "", "version": ada.version}
    attacks = [
        (admin_url(Human, "change", mine.pk), {**common, "name": mine.name, "status": "App"}),
        (admin_url(Human, "change", ada.pk), {**common, "strength": 5, "brawl": 5}),
        (admin_url(Human, "change", ada.pk), {**common, "chronicle": world.other.pk}),
        (admin_url(Human, "change", ada.pk), {**common, "owner": head.pk}),
        (admin_url(Invitation, "add"), {"chronicle": world.other.pk, "note": "me"}),
        (
            admin_url(STRelationship, "add"),
            {"user": head.pk, "chronicle": world.other.pk, "gameline": 1},
        ),
        (admin_url(Chronicle, "change", world.other.pk), {"name": "Mine", "head_st": head.pk}),
    ]
    for url, data in attacks:
        response = client.post(url, data)
        assert turned_away(response), (url, response.status_code)
    assert everything() == before
    ada.refresh_from_db()
    assert (ada.owner, ada.chronicle, ada.strength) == (world.users["owner"], world.chronicle, 1)
    assert ada.xp_entries.count() == XPLedgerEntry.objects.filter(character=ada).count() > 0


def matrix_urls(world) -> list[str]:
    """Changelist, add, change, delete and history of every registered model, on an
    existing row where the model has one."""
    urls = []
    for model in admin.site._registry:
        urls += [admin_url(model, "changelist"), admin_url(model, "add")]
        row = model.objects.order_by("pk").first()
        if row is not None:
            urls += [admin_url(model, view, row.pk) for view in ("change", "delete", "history")]
    return urls


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_every_admin_form_of_every_model_refuses_every_role_but_the_superuser(client, world, role):
    urls = matrix_urls(world)
    assert len(urls) >= 2 * len(admin.site._registry) + 3 * 10  # every model, most rows
    before = everything()
    client.force_login(world.users[role])
    for url in urls:
        assert turned_away(client.get(url)), (role, "GET", url)
        posted = client.post(url, {"post": "yes", "name": "taken", "status": "App"})
        assert turned_away(posted), (role, "POST", url)
    # An admin action (approve the selected requests) posted to the changelist.
    action = client.post(
        reverse("admin:game_xpspendingrequest_changelist"),
        {"action": "approve_requests", "_selected_action": [world.pending.pk]},
    )
    assert turned_away(action)
    assert everything() == before


def test_the_superuser_still_opens_the_admin(admin_client, world):
    """The control: the same URLs open for a superuser — the page itself, a 403 where a
    read-only model has no add, change or delete form, or the refusal to delete a
    character with XP history — never the admin's sign-in page."""
    opened = 0
    for url in matrix_urls(world):
        response = admin_client.get(url)
        assert response.status_code in (200, 302, 403), (url, response.status_code)
        assert not turned_away(response), url
        opened += response.status_code == 200
    assert opened >= 2 * len(admin.site._registry)
