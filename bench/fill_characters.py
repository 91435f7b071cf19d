"""Fill a PostgreSQL database with many Humans, a share of them breaking the rules.

    bench/run.sh bench/fill_characters.py --humans 1000000      # throwaway PostgreSQL
    DATABASE_URL=postgres://... python bench/fill_characters.py  # a database you can wipe

Every character gets ledger entries that add up to its XP, so the ledger reconciles
except where a violation breaks it on purpose. ``--violating`` (default 1%) of the
characters break one rule each, spread evenly over: negative_xp, invalid_status,
attribute_range, ability_range, willpower, age, xp_ledger and pending_spends_inactive;
a few duplicate storyteller relationships and inconsistent scenes are added besides.

The database is first put in its pre-constraint state (``characters`` at
0002_character_chronicle_owner, ``game`` at 0002_gamelines), as an operator's would be
before deploying the constraints. Rows go in with COPY, 100,000 at a time.

Other benchmarks reuse it: ``prepare_schema()`` then ``fill(humans=...)``.
"""

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tg.settings.test")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from characters.traits import (  # noqa: E402
    ABILITIES,
    ATTRIBUTES,
)
from game.models import Chronicle, Gameline, Scene  # noqa: E402

KINDS = (
    "negative_xp",
    "invalid_status",
    "attribute_range",
    "ability_range",
    "willpower",
    "age",
    "xp_ledger",
    "pending_spends_inactive",
)
CHUNK = 100_000
TRAITS = (*ATTRIBUTES, *ABILITIES)
CHARACTER_COLUMNS = (
    "id, name, owner_id, chronicle_id, npc, concept, status, xp, created_at, updated_at"
)
HUMAN_COLUMNS = ", ".join(
    ["character_ptr_id", *(s.name for s in TRAITS)]
    + ["willpower", "temporary_willpower", "age", "apparent_age"]
)
LEDGER_COLUMNS = "character_id, amount, kind, spend_request_id, created_at, note"
REQUEST_COLUMNS = (
    "id, character_id, trait_name, trait_display, category, current_value, new_value, "
    "cost, status, created_at, note"
)


def prepare_schema() -> None:
    """Migrate, then step back to just before the validation constraints, keeping this
    release's columns and tables (the schema-first migrations an operator applies before
    --fix; docs/design/data_validation.md)."""
    call_command("migrate", verbosity=0, interactive=False)
    call_command("migrate", "characters", "0002_character_chronicle_owner", verbosity=0)
    call_command("migrate", "game", "0002_gamelines", verbosity=0)
    for app, name in SCHEMA_FIRST:
        call_command("migrate", app, name, verbosity=0)


SCHEMA_FIRST = (
    ("characters", "0004_character_version"),
    ("game", "0004_memberships_awards_withdrawals"),
    ("game", "0006_storytellerchange"),
)


def _copy(table: str, columns: str, lines: list[str]) -> None:
    if not lines:
        return
    buffer = io.StringIO("".join(lines))
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


def _human(rng: random.Random, kind: str | None) -> list:
    """Trait values of one Human (valid, or breaking ``kind``)."""
    traits = [rng.randint(max(s.minimum, 1), 5) for s in TRAITS]
    willpower = rng.randint(1, 10)
    temporary = rng.randint(0, willpower)
    age, apparent = rng.randint(16, 300), rng.randint(16, 80)
    if kind == "attribute_range":
        traits[rng.randrange(len(ATTRIBUTES))] = rng.choice((0, 11, -2))
    elif kind == "ability_range":
        traits[len(ATTRIBUTES) + rng.randrange(len(ABILITIES))] = rng.choice((-1, 12))
    elif kind == "willpower":
        willpower, temporary = rng.choice(((0, 0), (11, 3), (4, 7)))
    elif kind == "age":
        age, apparent = rng.choice(((-5, 20), (700, 20), (30, 260)))
    return [*traits, willpower, temporary, age, apparent]


def fill(humans: int = 1_000_000, violating: float = 0.01, seed: int = 4) -> dict[str, int]:
    """Add ``humans`` Humans (a ``violating`` share breaking one rule each).

    Needs the pre-constraint schema (``prepare_schema()``). Returns how many rows break
    each rule.
    """
    rng = random.Random(seed)
    owner, _ = get_user_model().objects.get_or_create(username="bench_owner")
    chronicle = Chronicle.objects.create(name="Bench by Night", head_st=owner)
    now = timezone.now().isoformat()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM characters_character")
        first = cursor.fetchone()[0] + 1
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM game_xpspendingrequest")
        request_id = cursor.fetchone()[0]
    every = max(1, round(1 / violating)) if violating else 0
    broken = dict.fromkeys(KINDS, 0)
    wits = ATTRIBUTES[-1]
    for start in range(first, first + humans, CHUNK):
        characters, rows, ledger, requests = [], [], [], []
        for pk in range(start, min(start + CHUNK, first + humans)):
            n = pk - first
            kind = KINDS[(n // every) % len(KINDS)] if every and n % every == 0 else None
            if kind:
                broken[kind] += 1
            status = {"invalid_status": "Zz", "pending_spends_inactive": "Ret"}.get(kind, "App")
            xp = -5 if kind == "negative_xp" else rng.randint(0, 30)
            characters.append(
                f"{pk}\tHuman {pk}\t{owner.pk}\t{chronicle.pk}\tf\t\t{status}\t{xp}\t{now}\t{now}\n"
            )
            values = _human(rng, kind)
            rows.append("\t".join(map(str, [pk, *values])) + "\n")
            recorded = xp + 3 if kind == "xp_ledger" else xp
            if kind == "pending_spends_inactive":
                request_id += 1
                cost = 4
                requests.append(
                    f"{request_id}\t{pk}\t{wits.name}\t{wits.label}\t{wits.category}\t"
                    f"{values[len(ATTRIBUTES) - 1]}\t{values[len(ATTRIBUTES) - 1] + 1}\t"
                    f"{cost}\tPending\t{now}\t\n"
                )
                ledger.append(f"{pk}\t{xp + cost}\tadjustment\t\\N\t{now}\tStarting XP\n")
                ledger.append(f"{pk}\t{-cost}\tspend\t{request_id}\t{now}\t\n")
            elif recorded:
                ledger.append(f"{pk}\t{recorded}\tadjustment\t\\N\t{now}\tStarting XP\n")
        _copy("characters_character", CHARACTER_COLUMNS, characters)
        _copy("characters_human", HUMAN_COLUMNS, rows)
        _copy("game_xpspendingrequest", REQUEST_COLUMNS, requests)
        _copy("game_xpledgerentry", LEDGER_COLUMNS, ledger)
    broken["duplicate_st_relationships"] = _duplicates(owner, chronicle)
    broken["scene_xp"] = _scenes(chronicle)
    with connection.cursor() as cursor:
        for table in ("characters_character", "game_xpspendingrequest"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        cursor.execute("ANALYZE")
    return broken


def _duplicates(owner, chronicle) -> int:
    """Three relationships where one belongs: two extra rows."""
    line = Gameline.objects.order_by("pk").first()
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute(
                "INSERT INTO game_strelationship (user_id, chronicle_id, gameline_id, created_at)"
                " VALUES (%s, %s, %s, now())",
                [owner.pk, chronicle.pk, line.pk],
            )
    return 2


def _scenes(chronicle) -> int:
    """A scene marked XP given while unfinished, and one finished awaiting XP (info)."""
    Scene.objects.create(chronicle=chronicle, name="Awaiting", finished=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO game_scene (chronicle_id, name, finished, xp_given, xp_awarded_at, "
            "created_at) VALUES (%s, 'Flagged too early', false, true, now(), now())",
            [chronicle.pk],
        )
    return 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--humans", type=int, default=1_000_000, help="How many Humans to add")
    parser.add_argument("--violating", type=float, default=0.01, help="Share breaking a rule")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("fill_characters needs PostgreSQL: set DATABASE_URL (or use bench/run.sh)")
    started = time.perf_counter()
    prepare_schema()
    broken = fill(args.humans, args.violating)
    print(f"added {args.humans:,} Humans in {time.perf_counter() - started:.1f} s; broken rows:")
    for name, count in broken.items():
        print(f"  {name:<28} {count:,}")


if __name__ == "__main__":
    main()
