"""One small chronicle seen by every role, for the page tests.

``World`` builds it; ``ROLES`` names who looks at it; ``snapshot()`` is everything a
refused request must leave unchanged.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from characters.models import Character, Human
from game.models import (
    Chronicle,
    ChronicleMembership,
    Gameline,
    Invitation,
    Scene,
    StorytellerChange,
    STRelationship,
    XPLedgerEntry,
    XPSpendingRequest,
)
from notifications.models import NotificationPreferences

ROLES = (
    "anonymous",
    "outsider_player",
    "member",
    "owner",
    "outsider_st",
    "storyteller",
    "head",
    "superuser",
)


@dataclass
class World:
    users: dict
    chronicle: Chronicle
    other: Chronicle
    approved: Human  # the owner's Approved character, with one Pending request
    unfinished: Human  # the owner's Unfinished character
    pending: XPSpendingRequest
    scene: Scene


def build_world() -> World:
    make = get_user_model().objects.create_user
    users = {
        "outsider_player": make("oscar", password="pw", email="oscar@example.test"),
        "member": make("mia", password="pw", email="mia@example.test"),
        "owner": make("pat", password="pw", email="pat@example.test"),
        "outsider_st": make("olga", password="pw", email="olga@example.test"),
        "storyteller": make("ash", password="pw", email="ash@example.test"),
        "head": make("sophia", password="pw", email="sophia@example.test"),
        "superuser": make(
            "root", password="pw", email="root@example.test", is_staff=True, is_superuser=True
        ),
    }
    chronicle = Chronicle.objects.create(name="Chicago by Night", head_st=users["head"])
    other = Chronicle.objects.create(name="London by Night", head_st=users["outsider_st"])
    # A transactional test before this one may have flushed the migration's game lines.
    vampire, _ = Gameline.objects.get_or_create(
        short_name="vtm", defaults={"name": "Vampire: the Masquerade"}
    )
    STRelationship.objects.create(user=users["storyteller"], chronicle=chronicle, gameline=vampire)
    ChronicleMembership.objects.create(user=users["member"], chronicle=chronicle)
    ChronicleMembership.objects.create(user=users["owner"], chronicle=chronicle)
    ChronicleMembership.objects.create(user=users["outsider_player"], chronicle=other)
    Human.objects.create(
        name="Oliver", owner=users["outsider_player"], chronicle=other, status="App", xp=5
    )
    approved = Human.objects.create(
        name="Ada", owner=users["owner"], chronicle=chronicle, status="App", xp=20, brawl=1
    )
    unfinished = Human.objects.create(
        name="Una", owner=users["owner"], chronicle=chronicle, status="Un"
    )
    pending = approved.spend_xp("brawl")
    scene = Scene.objects.create(chronicle=chronicle, name="Rooftops", finished=True)
    scene.participants.set([approved])
    return World(users, chronicle, other, approved, unfinished, pending, scene)


def snapshot() -> dict:
    """Everything a refused page request must leave as it was."""
    return {
        "characters": list(
            Human.objects.order_by("pk").values_list(
                "pk", "status", "xp", "version", "name", "strength", "brawl", "willpower"
            )
        ),
        "requests": list(XPSpendingRequest.objects.order_by("pk").values_list("pk", "status")),
        "ledger": XPLedgerEntry.objects.count(),
        "invitations": Invitation.objects.count(),
        "memberships": ChronicleMembership.objects.count(),
        "character_rows": Character.objects.count(),
        "storyteller_changes": StorytellerChange.objects.count(),
        "notification_preferences": list(
            NotificationPreferences.objects.order_by("pk").values_list(
                "user_id", "decisions", "digest", "last_digest_on"
            )
        ),
    }
