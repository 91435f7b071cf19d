"""``send_storyteller_digest``: one mail a day per storyteller with what waits for them,
nothing when nothing waits, never twice the same day; exact output and exit status."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from characters.models import Human
from game.models import Gameline, Scene
from game.operations import lifecycle
from game.tests.web_world import build_world
from notifications.models import NotificationPreferences

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

TODAY = date(2026, 11, 26)


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


@pytest.fixture
def today(time_machine):
    """The clock stands at noon on TODAY (time-machine); tests move it a day on."""
    time_machine.move_to(noon(TODAY), tick=False)
    return time_machine


@pytest.fixture
def world(today):
    """Chicago waits on its storytellers: Una submitted, Ada's Brawl request pending,
    Rooftops finished without XP. London (olga's) has nothing waiting."""
    world = build_world()
    lifecycle.change_status(character_id=world.unfinished.pk, status="Sub", by=world.users["owner"])
    return world


def run(*args) -> str:
    out = StringIO()
    call_command("send_storyteller_digest", *args, stdout=out)
    return out.getvalue()


def by_recipient(mailoutbox) -> dict:
    return {mail.to[0]: mail for mail in mailoutbox}


def test_each_storyteller_gets_what_waits_for_them(world, mailoutbox):
    out = run()

    assert out == (
        "Storyteller digests for 2026-11-26: 2 sent, 0 failed, 1 nothing waiting, "
        "0 already sent today, 0 turned off.\n"
    )
    mails = by_recipient(mailoutbox)
    assert sorted(mails) == ["ash@example.test", "sophia@example.test"]
    head = mails["sophia@example.test"]
    assert head.subject == "tg: 1 character to approve, 1 XP request, 1 scene without XP"
    chronicle, una = world.chronicle.pk, world.unfinished.pk
    assert (
        "Here is what waits for you in tg today (Thursday 26 November 2026).\n\n"
        f"Chicago by Night — http://127.0.0.1:8000/chronicles/{chronicle}/\n"
        "- 1 character submitted for approval:\n"
        f"    Una — http://127.0.0.1:8000/characters/{una}/\n"
        f"- 1 XP request pending, the oldest since {timezone.now():%Y-%m-%d}\n"
        "- 1 finished scene without XP: Rooftops\n"
    ) in head.body
    assert NotificationPreferences.objects.get(user=world.users["head"]).last_digest_on == TODAY


def test_never_twice_the_same_day_and_again_the_next(world, mailoutbox, today):
    run()
    second = run()

    assert len(mailoutbox) == 2
    assert "0 sent, 0 failed, 1 nothing waiting, 2 already sent today" in second

    today.move_to(noon(TODAY + timedelta(days=1)), tick=False)
    third = run()
    assert "2 sent" in third
    assert len(mailoutbox) == 4


def test_nothing_waiting_sends_nothing_and_records_nothing(world, mailoutbox):
    world.approved.withdraw_xp_spend(world.pending.pk, world.users["owner"])
    lifecycle.change_status(character_id=world.unfinished.pk, status="Un", by=world.users["owner"])
    Scene.objects.filter(pk=world.scene.pk).update(finished=False)

    out = run()

    assert mailoutbox == []
    assert "0 sent, 0 failed, 3 nothing waiting" in out
    assert not NotificationPreferences.objects.exclude(last_digest_on=None).exists()


def test_a_storyteller_who_turned_the_digest_off_gets_none(world, mailoutbox):
    NotificationPreferences.objects.create(user=world.users["head"], digest=False)

    out = run()

    assert sorted(by_recipient(mailoutbox)) == ["ash@example.test"]
    assert out.endswith("1 turned off.\n")


def test_a_storyteller_is_not_asked_to_decide_for_their_own_character(world, mailoutbox):
    head = world.users["head"]
    Human.objects.create(name="Helena", owner=head, chronicle=world.chronicle, status="Sub")

    run()

    mails = by_recipient(mailoutbox)
    assert "Helena" not in mails["sophia@example.test"].body
    assert "Helena" in mails["ash@example.test"].body
    assert mails["ash@example.test"].subject.startswith("tg: 2 characters to approve")


def test_an_assistant_sees_the_scenes_of_their_game_line_only(world, mailoutbox):
    Scene.objects.filter(pk=world.scene.pk).update(gameline=Gameline.objects.get(short_name="wta"))

    run()

    mails = by_recipient(mailoutbox)
    assert "Rooftops" in mails["sophia@example.test"].body
    assert "Rooftops" not in mails["ash@example.test"].body
    assert mails["ash@example.test"].subject == "tg: 1 character to approve, 1 XP request"


def test_a_superuser_who_storytells_nothing_gets_no_digest(world, mailoutbox):
    run()

    assert "root@example.test" not in by_recipient(mailoutbox)


def test_verbosity_2_names_each_outcome(world):
    out = run("-v", "2")

    assert out.splitlines()[:3] == ["ash: sent", "olga: nothing waiting", "sophia: sent"]


def test_a_dry_run_sends_and_records_nothing(world, mailoutbox):
    out = run("--dry-run")

    assert out == (
        "Storyteller digests for 2026-11-26 (dry run: nothing sent): 2 would send, "
        "1 nothing waiting, 0 already sent today, 0 turned off.\n"
    )
    assert mailoutbox == []
    assert not NotificationPreferences.objects.exists()


def test_a_failed_mail_exits_1_and_is_tried_again_next_run(world, mailoutbox, settings, caplog):
    settings.EMAIL_BACKEND = "notifications.tests.test_mail_failure.ExplodingBackend"

    with pytest.raises(CommandError) as failure:
        run()

    assert failure.value.returncode == 1
    assert str(failure.value) == (
        "2 digests could not be sent (logged by tg.notifications); the next run tries again."
    )
    assert not NotificationPreferences.objects.exclude(last_digest_on=None).exists()
    assert any(
        r.getMessage().startswith("Could not e-mail ash@example.test: tg: ") for r in caplog.records
    )

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert "2 sent" in run()
    assert len(mailoutbox) == 2


def test_many_waiting_characters_are_counted_beyond_the_first_ten(world, mailoutbox):
    for n in range(12):
        Human.objects.create(
            name=f"Extra {n:02}",
            owner=world.users["member"],
            chronicle=world.chronicle,
            status="Sub",
        )

    run()

    body = by_recipient(mailoutbox)["sophia@example.test"].body
    assert "- 13 characters submitted for approval:\n" in body
    assert "    Extra 09 — " in body and "Extra 10" not in body and "Una" not in body
    assert "    … and 3 more\n" in body
