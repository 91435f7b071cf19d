"""A mail that cannot be sent never fails a decision: the decision is committed, the
page redirects with its success message, and the failure is logged.

These tests commit for real (``transaction=True``): the mail is sent by the on-commit
callback inside the request, exactly as in production.
"""

import smtplib

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from characters.models import Human
from game.models import Gameline, XPSpendingRequest
from game.operations import lifecycle
from game.tests.web_world import build_world

pytestmark = pytest.mark.django_db(transaction=True)

BACKEND = f"{__name__}.ExplodingBackend"


class ExplodingBackend(BaseEmailBackend):
    """A mail server that is down."""

    sent = 0

    def send_messages(self, email_messages):
        type(self).sent += 1
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def world(settings):
    settings.EMAIL_BACKEND = BACKEND
    ExplodingBackend.sent = 0
    # Transactional tests empty the tables afterwards, the game lines included.
    Gameline.objects.get_or_create(short_name="vtm", defaults={"name": "Vampire: the Masquerade"})
    return build_world()


def failures(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "tg.notifications" and r.levelname == "ERROR"
    ]


def test_approving_a_character_succeeds_when_the_mail_server_is_down(client, world, caplog):
    lifecycle.change_status(character_id=world.unfinished.pk, status="Sub", by=world.users["owner"])
    una = Human.objects.get(pk=world.unfinished.pk)
    client.force_login(world.users["storyteller"])

    response = client.post(
        reverse("character-status", args=[una.pk, "App"]), {"version": una.version}, follow=True
    )

    assert response.redirect_chain == [(una.get_absolute_url(), 302)]
    assert "Una was approved." in response.content.decode()
    assert Human.objects.get(pk=una.pk).status == "App"
    assert ExplodingBackend.sent == 1
    assert failures(caplog) == ["Could not e-mail pat@example.test: Una approved by ash"]


def test_denying_in_the_admin_succeeds_when_the_mail_server_is_down(admin_client, world, caplog):
    changelist = reverse("admin:game_xpspendingrequest_changelist")

    response = admin_client.post(
        changelist,
        {"action": "deny_requests", "_selected_action": [world.pending.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 request(s) denied." in response.content.decode()
    assert XPSpendingRequest.objects.get(pk=world.pending.pk).status == "Denied"
    assert Human.objects.get(pk=world.approved.pk).xp == 20
    assert failures(caplog) == ["Could not e-mail pat@example.test: Brawl 1 → 2 denied for Ada"]


def test_the_operation_returns_its_request_when_the_mail_fails(world, caplog):
    request = world.approved.approve_xp_spend(world.pending.pk, "brawl", 2, world.users["head"])

    assert request.status == "Approved"
    assert XPSpendingRequest.objects.get(pk=request.pk).status == "Approved"
    assert Human.objects.get(pk=world.approved.pk).brawl == 2
    assert ExplodingBackend.sent == 1
    assert len(failures(caplog)) == 1


def test_a_bug_in_a_notification_is_logged_not_raised(world, caplog, monkeypatch):
    def broken(*args, **kwargs):
        raise LookupError("template missing")

    monkeypatch.setattr("notifications.mail.render_to_string", broken)

    world.approved.deny_xp_spend(world.pending.pk, world.users["head"], "No")

    assert XPSpendingRequest.objects.get(pk=world.pending.pk).status == "Denied"
    assert ExplodingBackend.sent == 0
    assert failures(caplog) == ["Could not e-mail pat@example.test: Brawl 1 → 2 denied for Ada"]
