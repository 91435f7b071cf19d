"""A player is e-mailed when a storyteller approves their submitted character or returns
it to Unfinished (with the note recorded on that status change) — not for their own
moves, and not for other status changes."""

import pytest
from django.urls import reverse

from characters.models import Human
from game.operations import lifecycle
from game.tests.web_world import build_world
from notifications.models import NotificationPreferences

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    world = build_world()
    lifecycle.change_status(character_id=world.unfinished.pk, status="Sub", by=world.users["owner"])
    return world


def test_approving_a_submitted_character_on_its_page_mails_the_player(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    una = Human.objects.get(pk=world.unfinished.pk)
    client.force_login(world.users["storyteller"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("character-status", args=[una.pk, "App"]), {"version": una.version}
        )

    assert response.status_code == 302
    [mail] = mailoutbox
    assert mail.to == ["pat@example.test"]
    assert mail.subject == "Una approved by ash"
    assert "ash approved Una: the character is in play and can spend XP." in mail.body
    assert f"The sheet: http://127.0.0.1:8000/characters/{una.pk}/" in mail.body
    assert "Note from" not in mail.body


def test_returning_a_character_mails_the_note_of_that_status_change(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.change_status(
            character_id=world.unfinished.pk,
            status="Un",
            by=world.users["head"],
            reason="Brawl 5 is too much for a librarian.",
        )

    [mail] = mailoutbox
    assert mail.subject == "Una returned to Unfinished by sophia"
    assert "sophia returned Una to you: it is Unfinished again" in mail.body
    assert "Note from sophia:\nBrawl 5 is too much for a librarian.\n" in mail.body


def test_the_player_withdrawing_their_submission_gets_no_mail(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.change_status(
            character_id=world.unfinished.pk, status="Un", by=world.users["owner"]
        )

    assert mailoutbox == []


def test_other_status_changes_send_nothing(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.change_status(
            character_id=world.approved.pk, status="Dec", by=world.users["storyteller"]
        )

    assert mailoutbox == []


def test_a_player_who_turned_decisions_off_gets_no_status_mail(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    NotificationPreferences.objects.create(user=world.users["owner"], decisions=False)

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.change_status(
            character_id=world.unfinished.pk, status="App", by=world.users["head"]
        )

    assert mailoutbox == []
    assert Human.objects.get(pk=world.unfinished.pk).status == "App"
