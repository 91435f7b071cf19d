"""Each person turns either kind of mail off on their account page."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from game.tests.web_world import build_world
from notifications.models import NotificationPreferences

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def checkboxes(html: str) -> dict[str, bool]:
    return {
        name: "checked" in tag
        for tag, name in re.findall(
            r'(<input class="form-check-input"[^>]*name="(\w+)"[^>]*>)', html
        )
    }


def test_both_kinds_are_on_by_default_and_labelled(client, world):
    client.force_login(world.users["owner"])

    html = client.get(reverse("account")).content.decode()

    assert checkboxes(html) == {"decisions": True, "digest": True}
    assert '<label class="form-check-label" for="id_decisions">E-mail me the storytellers' in html
    assert 'for="id_digest">E-mail me a daily digest of what waits for me as a storyteller' in html
    assert f'action="{reverse("notification-preferences")}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert not NotificationPreferences.objects.exists()  # created on demand, not on a visit


def test_turning_decisions_off_is_saved_and_shown(client, world):
    owner = world.users["owner"]
    client.force_login(owner)

    response = client.post(reverse("notification-preferences"), {"digest": "on"}, follow=True)

    assert response.redirect_chain == [(reverse("account"), 302)]
    html = response.content.decode()
    assert "Notification settings saved: you get e-mail for daily digest." in html
    assert checkboxes(html) == {"decisions": False, "digest": True}
    saved = NotificationPreferences.objects.get(user=owner)
    assert (saved.decisions, saved.digest) == (False, True)


def test_turning_both_off(client, world):
    client.force_login(world.users["head"])

    response = client.post(reverse("notification-preferences"), {}, follow=True)

    assert "Notification settings saved: no e-mail." in response.content.decode()
    assert NotificationPreferences.objects.filter(
        user=world.users["head"], decisions=False, digest=False
    ).exists()


def test_saving_keeps_the_last_digest_date(client, world):
    from datetime import date

    NotificationPreferences.objects.create(
        user=world.users["head"], last_digest_on=date(2026, 1, 2)
    )
    client.force_login(world.users["head"])

    client.post(reverse("notification-preferences"), {"decisions": "on", "digest": "on"})

    assert NotificationPreferences.objects.get().last_digest_on == date(2026, 1, 2)


def test_the_form_needs_a_post_with_a_csrf_token(world):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.users["owner"])

    assert strict.get(reverse("notification-preferences")).status_code == 405
    assert strict.post(reverse("notification-preferences"), {}).status_code == 403
    assert not NotificationPreferences.objects.exists()


def test_an_account_without_an_address_is_told(client, world):
    world.users["owner"].email = ""
    world.users["owner"].save()
    client.force_login(world.users["owner"])

    html = client.get(reverse("account")).content.decode()

    assert "Your account has no e-mail address, so tg cannot send you any." in html
