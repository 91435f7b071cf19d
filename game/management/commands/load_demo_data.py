"""Load a small demo chronicle: storytellers, players, characters, scenes and XP.

Idempotent: the first run creates everything in one transaction and prints the
generated passwords, once; later runs find the demo users and change nothing.
Every XP change goes through the ledgered operations (``add_xp``, ``Scene.award_xp``,
``spend_xp``, ``approve_xp_spend``), so each balance equals the sum of its ledger.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from characters.models import Human, Status
from game.models import Chronicle, ChronicleMembership, Gameline, Scene, STRelationship

CHRONICLE_NAME = "Chicago by Night"
SITE_URL = "http://127.0.0.1:8000/"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    staff: bool = False


HEAD_ST = DemoUser("helena", "head storyteller, also the admin (staff, superuser)", staff=True)
ASSISTANT_ST = DemoUser("marcus", "assistant storyteller (Vampire: the Masquerade)")
PLAYERS = (
    DemoUser("ada", "player: Eleanor Vance (approved, one pending request), Lucía (submitted)"),
    DemoUser("ben", "player: Jonah Price (approved), Theo Grant (unfinished)"),
)
DEMO_USERS = (HEAD_ST, ASSISTANT_ST, *PLAYERS)


class Command(BaseCommand):
    help = (
        "Load a demo chronicle with storytellers, players, characters in every status, "
        "a finished scene with its XP awarded and a pending XP request. Passwords are "
        "printed once; running it again changes nothing."
    )

    def handle(self, *args, **options) -> None:
        existing = sorted(
            get_user_model()
            .objects.filter(username__in=[u.username for u in DEMO_USERS])
            .values_list("username", flat=True)
        )
        if existing:
            self.stdout.write(
                f"Demo data is already loaded (existing users: {', '.join(existing)}); "
                "nothing changed."
            )
            return
        vampire = Gameline.objects.filter(short_name="vtm").first()
        if vampire is None:
            raise CommandError(
                "Game line 'vtm' (Vampire: the Masquerade) is missing; it is loaded by the "
                "migration game 0002_gamelines. Nothing was created."
            )
        passwords = {demo.username: secrets.token_urlsafe(12) for demo in DEMO_USERS}
        with transaction.atomic():
            users = self.create_users(passwords)
            summary = self.create_chronicle(users, vampire)
        self.report(passwords, summary)

    def create_users(self, passwords: dict[str, str]) -> dict:
        """The four demo users with the given passwords (stored hashed, as always)."""
        return {
            demo.username: get_user_model().objects.create_user(
                username=demo.username,
                email=f"{demo.username}@example.test",
                password=passwords[demo.username],
                is_staff=demo.staff,
                is_superuser=demo.staff,
            )
            for demo in DEMO_USERS
        }

    def create_chronicle(self, users: dict, vampire: Gameline) -> dict[str, int]:
        """The chronicle and its play, built through the same operations the site uses."""
        head, assistant = users[HEAD_ST.username], users[ASSISTANT_ST.username]
        ada, ben = (users[p.username] for p in PLAYERS)
        chronicle = Chronicle.objects.create(
            name=CHRONICLE_NAME,
            head_st=head,
            description="Mortals caught between the Camarilla and the Chicago police.",
        )
        STRelationship.objects.create(user=assistant, chronicle=chronicle, gameline=vampire)
        for player in (ada, ben):
            ChronicleMembership.objects.create(user=player, chronicle=chronicle)

        def human(name, owner, concept, **traits):
            return Human.objects.create(
                name=name, owner=owner, chronicle=chronicle, concept=concept, **traits
            )

        eleanor = human(
            "Eleanor Vance",
            ada,
            "Occult librarian",
            status=Status.APPROVED,
            intelligence=3,
            perception=2,
            academics=3,
            investigation=2,
            willpower=5,
            temporary_willpower=4,
            age=41,
            apparent_age=38,
        )
        jonah = human(
            "Jonah Price",
            ben,
            "Night-shift paramedic",
            status=Status.APPROVED,
            stamina=3,
            dexterity=2,
            medicine=3,
            drive=2,
            brawl=1,
            willpower=4,
            temporary_willpower=4,
            age=29,
            apparent_age=29,
        )
        detective = human(
            "Detective Rosa Ruiz",
            head,
            "Homicide detective who asks too many questions",
            status=Status.APPROVED,
            npc=True,
            wits=3,
            firearms=2,
            investigation=3,
            willpower=6,
            temporary_willpower=6,
        )
        human("Lucía Moreno", ada, "Street photographer", status=Status.SUBMITTED, wits=2)
        human("Theo Grant", ben, "Bartender (still being written)", status=Status.UNFINISHED)
        retired = human("Father Declan Walsh", ada, "Retired exorcist", status=Status.APPROVED)
        deceased = human("Sam Okafor", ben, "Bike courier", status=Status.APPROVED)

        for character, amount in ((eleanor, 6), (jonah, 4), (retired, 3), (deceased, 2)):
            character.add_xp(amount, by=head, note="Starting XP for the demo chronicle")
        retired.status = Status.RETIRED
        retired.save()
        deceased.status = Status.DECEASED
        deceased.save()

        now = timezone.now()
        lantern = Scene.objects.create(
            chronicle=chronicle,
            gameline=vampire,
            name="The Night at the Lantern Club",
            date_played=(now - timedelta(days=7)).date(),
            finished=True,
            finished_at=now - timedelta(days=7),
        )
        lantern.participants.set([eleanor, jonah, detective])
        lantern.award_xp({eleanor: 3, jonah: 2}, awarded_by=head)
        upcoming = Scene.objects.create(
            chronicle=chronicle, gameline=vampire, name="Blood in the Water"
        )
        upcoming.participants.set([eleanor, jonah])

        # Jonah's brawl request was approved; Eleanor's investigation request waits.
        brawl = jonah.spend_xp("brawl")
        jonah.approve_xp_spend(brawl.pk, "brawl", brawl.new_value, head)
        eleanor.spend_xp("investigation")
        return {
            "characters": Human.objects.filter(chronicle=chronicle).count(),
            "scenes": Scene.objects.filter(chronicle=chronicle).count(),
        }

    def report(self, passwords: dict[str, str], summary: dict[str, int]) -> None:
        """Print what was created and the passwords (the only time they are shown)."""
        self.stdout.write(
            f"Demo data loaded: chronicle “{CHRONICLE_NAME}”, {summary['characters']} "
            f"characters, {summary['scenes']} scenes, 1 pending XP request."
        )
        self.stdout.write(
            f"Sign in at {SITE_URL} (players and storytellers; the admin is at "
            f"{SITE_URL}admin/). These passwords are shown only now; write them down:"
        )
        width = max(len(u.username) for u in DEMO_USERS)
        for demo in DEMO_USERS:
            password = passwords[demo.username]
            self.stdout.write(f"  {demo.username:<{width}}  {password}  {demo.role}")
