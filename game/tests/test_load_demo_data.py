"""``load_demo_data``: a working demo chronicle, passwords shown once, idempotent."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from characters.models import Character, Human
from core.models import OperationRecord
from game.models import (
    Chronicle,
    Gameline,
    Scene,
    STRelationship,
    XPLedgerEntry,
    XPSpendingRequest,
)

pytestmark = pytest.mark.django_db

ALREADY_LOADED = (
    "Demo data is already loaded (existing users: ada, ben, helena, marcus); nothing changed.\n"
)


def load() -> str:
    out = StringIO()
    call_command("load_demo_data", stdout=out, stderr=StringIO())
    return out.getvalue()


def passwords(output: str) -> dict[str, str]:
    return dict(re.findall(r"^  (\w+) +(\S+)  ", output, flags=re.MULTILINE))


def counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "chronicles": Chronicle.objects.count(),
        "storytellers": STRelationship.objects.count(),
        "characters": Character.objects.count(),
        "scenes": Scene.objects.count(),
        "requests": XPSpendingRequest.objects.count(),
        "ledger": XPLedgerEntry.objects.count(),
        "operations": OperationRecord.objects.count(),
    }


def assert_ledger_reconciles() -> None:
    for character in Character.objects.annotate(ledger=Sum("xp_entries__amount")):
        assert character.xp == (character.ledger or 0), character.name


def test_first_run_prints_every_login_once():
    output = load()

    lines = output.splitlines()
    assert lines[0] == (
        "Demo data loaded: chronicle “Chicago by Night”, 7 characters, 2 scenes, "
        "1 pending XP request."
    )
    assert lines[1] == (
        "Sign in at http://127.0.0.1:8000/ (players and storytellers; the admin is at "
        "http://127.0.0.1:8000/admin/). These passwords are shown only now; write them down:"
    )
    assert len(lines) == 6
    logins = passwords(output)
    assert sorted(logins) == ["ada", "ben", "helena", "marcus"]
    for username, password in logins.items():
        assert authenticate(username=username, password=password) is not None, username


def test_passwords_are_long_random_and_distinct():
    logins = passwords(load())

    assert len(set(logins.values())) == 4
    assert all(len(password) >= 16 for password in logins.values())
    assert get_user_model().objects.get(username="ada").password.startswith("md5$")


def test_head_storyteller_can_use_the_admin_and_the_others_cannot():
    load()

    users = {u.username: u for u in get_user_model().objects.all()}

    assert users["helena"].is_staff and users["helena"].is_superuser
    assert not any(users[name].is_staff for name in ("marcus", "ada", "ben"))
    chronicle = Chronicle.objects.get()
    assert chronicle.head_st == users["helena"]
    assert list(
        chronicle.st_relationships.values_list("user__username", "gameline__short_name")
    ) == [("marcus", "vtm")]


def test_characters_cover_every_status():
    load()

    by_status = dict(Human.objects.values_list("status").annotate(n=Count("pk")))

    assert by_status == {"Un": 1, "Sub": 1, "App": 3, "Ret": 1, "Dec": 1}
    assert Human.objects.filter(npc=True).count() == 1


def test_the_finished_scene_has_its_xp_awarded_through_the_ledger():
    load()

    scene = Scene.objects.get(name="The Night at the Lantern Club")
    awards = dict(
        XPLedgerEntry.objects.filter(scene=scene, kind="award").values_list(
            "character__name", "amount"
        )
    )

    assert scene.finished and scene.xp_given and scene.xp_awarded_at is not None
    assert scene.participants.count() == 3
    assert awards == {"Eleanor Vance": 3, "Jonah Price": 2}
    assert not Scene.objects.get(name="Blood in the Water").finished


def test_one_request_is_pending_and_one_approved():
    load()

    requests = {
        r.character.name: (r.trait_name, r.status, r.current_value, r.new_value, r.cost)
        for r in XPSpendingRequest.objects.select_related("character")
    }

    assert requests == {
        "Eleanor Vance": ("investigation", "Pending", 2, 3, 4),
        "Jonah Price": ("brawl", "Approved", 1, 2, 2),
    }
    assert Human.objects.get(name="Jonah Price").brawl == 2
    assert Human.objects.get(name="Eleanor Vance").investigation == 2


def test_every_balance_equals_its_ledger():
    load()

    assert_ledger_reconciles()
    assert dict(Character.objects.filter(xp__gt=0).values_list("name", "xp")) == {
        "Eleanor Vance": 5,
        "Jonah Price": 4,
        "Father Declan Walsh": 3,
        "Sam Okafor": 2,
    }


def test_second_run_changes_nothing_and_prints_no_password():
    first = load()
    before = counts()

    second = load()

    assert second == ALREADY_LOADED
    assert counts() == before
    assert_ledger_reconciles()
    for username, password in passwords(first).items():
        assert authenticate(username=username, password=password) is not None


def test_an_existing_demo_username_stops_the_load(make_user):
    make_user("ada")
    before = counts()

    output = load()

    assert output == "Demo data is already loaded (existing users: ada); nothing changed.\n"
    assert counts() == before


def test_a_missing_game_line_is_a_clear_error_and_creates_nothing():
    Gameline.objects.filter(short_name="vtm").delete()
    before = counts()

    with pytest.raises(CommandError) as excinfo:
        load()

    assert str(excinfo.value) == (
        "Game line 'vtm' (Vampire: the Masquerade) is missing; it is loaded by the "
        "migration game 0002_gamelines. Nothing was created."
    )
    assert excinfo.value.returncode == 1
    assert counts() == before
