"""Every player page and action, as every role: the status code *and* the effect.

The table below is the permission design of docs/permissions.md in executable form.
A refused request must leave XP, traits, statuses, requests, the ledger, invitations
and memberships exactly as they were; an allowed one must do what it says.
"""

from urllib.parse import quote

import pytest
from django.urls import reverse

from characters.models import Human
from game.models import Invitation, XPSpendingRequest
from game.tests.web_world import ROLES, build_world, snapshot
from notifications.models import NotificationPreferences

pytestmark = pytest.mark.django_db

#           anonymous, outsider_player, member, owner, outsider_st, storyteller, head, superuser
EVERYONE = (302, 200, 200, 200, 200, 200, 200, 200)
MEMBERS = (302, 404, 200, 200, 404, 200, 200, 200)
FULL_SHEET = (302, 404, 403, 200, 404, 200, 200, 200)
OWNER_ONLY = (302, 404, 403, 200, 404, 403, 403, 403)
HEAD_ONLY = (302, 404, 403, 403, 404, 403, 200, 200)
STORYTELLERS = (302, 404, 403, 403, 404, 200, 200, 200)

PAGES = {
    "dashboard": (lambda w: reverse("dashboard"), EVERYONE),
    "my scenes": (lambda w: reverse("my-scenes"), EVERYONE),
    "account": (lambda w: reverse("account"), EVERYONE),
    "new character": (lambda w: reverse("character-create"), EVERYONE),
    "chronicle": (lambda w: reverse("chronicle", args=[w.chronicle.pk]), MEMBERS),
    "invitations": (lambda w: reverse("invitations", args=[w.chronicle.pk]), HEAD_ONLY),
    "sheet": (lambda w: reverse("character-sheet", args=[w.approved.pk]), MEMBERS),
    "edit": (lambda w: reverse("character-edit", args=[w.unfinished.pk]), OWNER_ONLY),
    "spend": (lambda w: reverse("xp-spend", args=[w.approved.pk]), OWNER_ONLY),
    "spend confirm": (
        lambda w: reverse("xp-spend", args=[w.approved.pk]) + "?trait=strength",
        OWNER_ONLY,
    ),
    "xp history": (lambda w: reverse("xp-history", args=[w.approved.pk]), FULL_SHEET),
    "xp csv": (lambda w: reverse("xp-history-csv", args=[w.approved.pk]), FULL_SHEET),
    "retire confirm": (
        lambda w: reverse("character-status-confirm", args=[w.approved.pk, "Ret"]),
        FULL_SHEET,
    ),
    "decease confirm": (
        lambda w: reverse("character-status-confirm", args=[w.approved.pk, "Dec"]),
        STORYTELLERS,
    ),
    "xp report": (lambda w: reverse("chronicle-report", args=[w.chronicle.pk]), STORYTELLERS),
    "audit": (lambda w: reverse("chronicle-audit", args=[w.chronicle.pk]), STORYTELLERS),
    "audit csv": (lambda w: reverse("chronicle-audit-csv", args=[w.chronicle.pk]), STORYTELLERS),
}


def client_for(client, world, role):
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page_name", PAGES)
def test_every_page_answers_each_role_as_designed(client, role, page_name):
    world = build_world()
    url_of, expected = PAGES[page_name]
    url = url_of(world)
    before = snapshot()

    response = client_for(client, world, role).get(url)

    assert response.status_code == expected[ROLES.index(role)], (page_name, role)
    if response.status_code == 302 and role == "anonymous":
        assert response["Location"] == f"{reverse('login')}?next={quote(url, safe='/')}"
    assert snapshot() == before, "a GET changed something"


@pytest.mark.parametrize("role", ROLES)
def test_the_sheet_is_full_for_player_and_storytellers_and_a_card_for_members(client, role):
    world = build_world()
    response = client_for(client, world, role).get(world.approved.get_absolute_url())
    if response.status_code != 200:
        return
    text = response.content.decode()
    full = role in ("owner", "storyteller", "head", "superuser")
    assert ("Experience" in text) is full
    assert ('aria-label="Strength 1 of 10"' in text) is full
    assert "The full sheet is for its player" in text or full


# --- Actions: allowed roles change exactly what they should; others change nothing -------


def _spend(world):
    return reverse("xp-spend", args=[world.approved.pk]), {"trait": "strength"}


def _withdraw(world):
    return reverse("xp-withdraw", args=[world.approved.pk, world.pending.pk]), {}


def _retire(world):
    url = reverse("character-status", args=[world.approved.pk, "Ret"])
    return url, {"version": Human.objects.get(pk=world.approved.pk).version}


def _submit(world):
    url = reverse("character-status", args=[world.unfinished.pk, "Sub"])
    return url, {"version": Human.objects.get(pk=world.unfinished.pk).version}


def _edit(world):
    character = Human.objects.get(pk=world.unfinished.pk)
    data = {"name": "Una Prime", "concept": "", "age": "", "apparent_age": ""}
    from characters.traits import ABILITIES, ATTRIBUTES, WILLPOWER

    data |= {s.name: str(getattr(character, s.name)) for s in (*ATTRIBUTES, *ABILITIES, WILLPOWER)}
    data["strength"] = "3"
    data["version"] = str(character.version)
    return reverse("character-edit", args=[character.pk]), data


def _invite(world):
    return reverse("invitations", args=[world.chronicle.pk]), {"note": "for Bob"}


def _spent(world):
    request = XPSpendingRequest.objects.get(character=world.approved, trait_name="strength")
    assert (request.status, request.cost) == ("Pending", 4)
    assert Human.objects.get(pk=world.approved.pk).xp == 14


def _withdrawn(world):
    world.pending.refresh_from_db()
    assert world.pending.status == "Withdrawn"
    assert Human.objects.get(pk=world.approved.pk).xp == 20


def _retired(world):
    assert Human.objects.get(pk=world.approved.pk).status == "Ret"
    world.pending.refresh_from_db()
    assert world.pending.status == "Denied"  # refunded when the character left play


def _submitted(world):
    assert Human.objects.get(pk=world.unfinished.pk).status == "Sub"


def _edited(world):
    una = Human.objects.get(pk=world.unfinished.pk)
    assert (una.name, una.strength) == ("Una Prime", 3)


def _invited(world):
    assert Invitation.objects.filter(chronicle=world.chronicle, note="for Bob").count() == 1


def _notifications(world):
    return reverse("notification-preferences"), {"digest": "on"}


def _notifications_saved(world):
    assert NotificationPreferences.objects.filter(decisions=False, digest=True).count() == 1


ACTIONS = {
    "spend": (_spend, OWNER_ONLY, _spent),
    "withdraw": (_withdraw, OWNER_ONLY, _withdrawn),
    "retire": (_retire, FULL_SHEET, _retired),
    "submit": (_submit, OWNER_ONLY, _submitted),
    "edit": (_edit, OWNER_ONLY, _edited),
    "invite": (_invite, HEAD_ONLY, _invited),
    "notification settings": (_notifications, EVERYONE, _notifications_saved),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_is_done_or_refused_with_no_effect(client, role, action):
    world = build_world()
    request_of, allowed, effect = ACTIONS[action]
    url, data = request_of(world)
    before = snapshot()

    response = client_for(client, world, role).post(url, data)

    expected = allowed[ROLES.index(role)]
    if expected == 200:
        assert response.status_code == 302, (action, role, response.status_code)
        effect(world)
    else:
        assert response.status_code == expected, (action, role)
        assert snapshot() == before, f"{role} was refused {action} but something changed"
