"""Data for the HTTP load test: one chronicle, its storytellers and players, approved
characters with XP, finished scenes waiting for their award.

    DATABASE_URL=postgres://... python bench/load/prepare.py --players 40 --out users.json

Every XP change goes through the XP operations, so the ledger agrees from the start.
Writes the usernames and the shared password to ``--out`` for the load script.
"""

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tg.settings.production")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from characters.models import Human  # noqa: E402
from game.models import Chronicle, ChronicleMembership, Gameline, Scene, STRelationship  # noqa: E402

PASSWORD = "load-test-password-1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=40)
    parser.add_argument("--storytellers", type=int, default=3)
    parser.add_argument("--scenes", type=int, default=200)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    users = get_user_model().objects
    with transaction.atomic():
        head = users.create_user("load_head", password=PASSWORD)
        chronicle = Chronicle.objects.create(name="Load by Night", head_st=head)
        vampire = Gameline.objects.get_or_create(
            short_name="vtm", defaults={"name": "Vampire: the Masquerade"}
        )[0]
        storytellers = [head]
        for n in range(1, args.storytellers):
            st = users.create_user(f"load_st{n}", password=PASSWORD)
            STRelationship.objects.create(user=st, chronicle=chronicle, gameline=vampire)
            storytellers.append(st)
        players, characters = [], []
        for n in range(args.players):
            player = users.create_user(f"load_player{n}", password=PASSWORD)
            ChronicleMembership.objects.create(user=player, chronicle=chronicle)
            players.append(player)
            for k in range(2):
                character = Human.objects.create(
                    name=f"Load {n}-{k}", owner=player, chronicle=chronicle, status="App"
                )
                character.add_xp(400, by=head, note="Load test starting XP")
                characters.append(character)
        now = timezone.now()
        for n in range(args.scenes):
            scene = Scene.objects.create(
                chronicle=chronicle,
                gameline=vampire,
                name=f"Scene {n}",
                finished=True,
                date_played=now.date(),
            )
            scene.participants.set(characters[(n * 5) % len(characters) :][:5] or characters[:5])
    Path(args.out).write_text(
        json.dumps(
            {
                "password": PASSWORD,
                "players": [p.username for p in players],
                "storytellers": [s.username for s in storytellers],
            }
        )
    )
    print(f"{len(players)} players, {len(characters)} characters, {args.scenes} scenes")


if __name__ == "__main__":
    main()
