"""The chronicles the browser tests walk through, built with the ORM and the XP operations.

``player_world`` and ``storyteller_world`` are the starting points of the two walks;
``build_showcase`` is a lived-in chronicle with fixed names, ratings and dates, for the
phone tests and the README's screenshots (the same picture on every run).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction

from characters.models import CharacterChange, Human
from game.models import (
    Chronicle,
    ChronicleMembership,
    Gameline,
    Invitation,
    Scene,
    STRelationship,
    XPLedgerEntry,
    XPSpendingRequest,
)
from game.operations import xp
from game.operations.ledger import ledger_repair
from tests.support import make_person

INVITATION_TOKEN = "welcome-to-chicago"
# The showcase's history happens on one evening; its dates never move.
EVENING = datetime(2025, 3, 1, 20, 0, tzinfo=UTC)


make_user = make_person


def chicago(*, head, storyteller=None) -> Chronicle:
    """Chicago by Night, ``head``'s chronicle; ``storyteller`` runs its Vampire scenes."""
    chronicle = Chronicle.objects.create(name="Chicago by Night", head_st=head)
    if storyteller is not None:
        STRelationship.objects.create(user=storyteller, chronicle=chronicle, gameline=vampire())
    return chronicle


def vampire() -> Gameline:
    """The game line of the data migration, made again if an earlier browser test's flush
    (transactional database) removed it."""
    gameline, _ = Gameline.objects.get_or_create(
        short_name="vtm", defaults={"name": "Vampire: the Masquerade"}
    )
    return gameline


def join(chronicle: Chronicle, *users) -> None:
    for user in users:
        ChronicleMembership.objects.create(user=user, chronicle=chronicle)


@dataclass
class PlayerWorld:
    head: object
    member: object
    chronicle: Chronicle
    invitation: Invitation


def player_world() -> PlayerWorld:
    """A chronicle, its head storyteller, one member, and an open invitation link."""
    head = make_user("sophia")
    member = make_user("mia")
    chronicle = chicago(head=head)
    join(chronicle, member)
    invitation = Invitation.objects.create(
        chronicle=chronicle, created_by=head, token=INVITATION_TOKEN, note="Nadia"
    )
    return PlayerWorld(head, member, chronicle, invitation)


@dataclass
class StorytellerWorld:
    head: object
    storyteller: object
    player: object
    chronicle: Chronicle
    ada: Human  # Approved, with four Pending requests
    bea: Human  # Submitted, waiting for approval
    requests: dict  # trait name -> XPSpendingRequest


def storyteller_world() -> StorytellerWorld:
    """Sophia (head) and Ash (Vampire storyteller); Pat's Ada asks for four dots, Mia's Bea
    waits for approval."""
    head, storyteller = make_user("sophia"), make_user("ash")
    player, other = make_user("pat"), make_user("mia")
    chronicle = chicago(head=head, storyteller=storyteller)
    join(chronicle, player, other)
    ada = Human.objects.create(
        name="Ada", owner=player, chronicle=chronicle, status="App", xp=40, brawl=1, wits=2
    )
    requests = {trait: ada.spend_xp(trait) for trait in ("brawl", "strength", "wits", "alertness")}
    bea = Human.objects.create(
        name="Bea", concept="Street medium", owner=other, chronicle=chronicle, status="Sub"
    )
    return StorytellerWorld(head, storyteller, player, chronicle, ada, bea, requests)


@dataclass
class Showcase:
    head: object
    storyteller: object
    player: object
    chronicle: Chronicle
    ada: Human  # Approved, a full history, one Pending request (Brawl)
    una: Human  # Unfinished
    scene: Scene  # finished, awaiting XP


def build_showcase() -> Showcase:
    """Chicago by Night after a few sessions: what the README's pictures show."""
    head, storyteller = make_user("sophia"), make_user("ash")
    player, mia, leo = make_user("pat"), make_user("mia"), make_user("leo")
    chronicle = chicago(head=head, storyteller=storyteller)
    join(chronicle, player, mia, leo)
    mortal = {"owner": player, "chronicle": chronicle, "status": "App"}
    ada = Human.objects.create(
        name="Ada Moreau",
        concept="Jazz pianist who hears the dead",
        xp=16,
        age=34,
        apparent_age=30,
        willpower=5,
        temporary_willpower=3,
        strength=2, dexterity=3, stamina=2,
        charisma=4, manipulation=2, appearance=3,
        perception=3, intelligence=2, wits=2,
        alertness=2, athletics=1, brawl=2, empathy=3, expression=4, subterfuge=1,
        drive=1, etiquette=2, stealth=1,
        academics=2, investigation=2, medicine=1,
        **mortal,
    )  # fmt: skip
    bea = Human.objects.create(
        name="Bea Lindqvist", concept="Street medium", xp=12, wits=3, **{**mortal, "owner": mia}
    )
    cal = Human.objects.create(
        name="Cal Okafor", concept="Retired boxer", xp=6, brawl=3, **{**mortal, "owner": leo}
    )
    una = Human.objects.create(
        name="Una Vance", concept="Night-shift nurse", status="Un", owner=player,
        chronicle=chronicle,
    )  # fmt: skip

    rooftops = Scene.objects.create(
        chronicle=chronicle, name="Rooftops", date_played=EVENING.date(), finished=True
    )
    rooftops.participants.set([ada, bea, cal])
    xp.award_scene_xp(scene=rooftops, character_awards={ada: 3, bea: 2, cal: 2}, by=head)
    alertness = xp.spend_xp(character=ada, trait_name="alertness")
    xp.approve_xp_spend(
        character=ada,
        request_id=alertness.pk,
        trait_property_name="alertness",
        new_value=3,
        approver=storyteller,
    )
    stealth = xp.spend_xp(character=ada, trait_name="stealth")
    xp.deny_xp_spend(
        character=ada,
        request_id=stealth.pk,
        approver=storyteller,
        reason="Nobody in the coterie can teach it yet",
    )
    # Waiting in the queue ("0 minutes": made now, so the picture stays the same).
    xp.spend_xp(character=ada, trait_name="brawl")
    xp.spend_xp(character=bea, trait_name="wits")
    xp.spend_xp(character=cal, trait_name="athletics")

    masquerade = Scene.objects.create(
        chronicle=chronicle,
        name="The Masquerade Ball",
        date_played=EVENING.date() + timedelta(days=7),
        finished=True,
    )
    masquerade.participants.set([ada, bea, cal])

    _fix_the_clock(chronicle)
    return Showcase(head, storyteller, player, chronicle, Human.objects.get(pk=ada.pk),
                    una, masquerade)  # fmt: skip


def _fix_the_clock(chronicle: Chronicle) -> None:
    """Give every dated row of the chronicle a fixed time on EVENING, in the order made."""
    minute = timedelta(minutes=1)
    entries = XPLedgerEntry.objects.filter(character__chronicle=chronicle).order_by("pk")
    # The ledger is append-only: back-dating the set-up's entries is a repair by hand.
    with transaction.atomic(), ledger_repair():
        for n, pk in enumerate(entries.values_list("pk", flat=True)):
            XPLedgerEntry.objects.filter(pk=pk).update(created_at=EVENING + n * minute)
    changes = CharacterChange.objects.filter(character__chronicle=chronicle).order_by("pk")
    for n, pk in enumerate(changes.values_list("pk", flat=True)):
        CharacterChange.objects.filter(pk=pk).update(changed_at=EVENING + n * minute)
    decided = XPSpendingRequest.objects.filter(
        character__chronicle=chronicle, decided_at__isnull=False
    )
    decided.update(decided_at=EVENING + 30 * minute)
    Scene.objects.filter(chronicle=chronicle, finished=True).update(finished_at=EVENING)
    Scene.objects.filter(chronicle=chronicle, xp_given=True).update(xp_awarded_at=EVENING)
