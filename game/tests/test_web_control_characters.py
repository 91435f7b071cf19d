"""The requests that answered 500 (with a traceback mailed to the admins), each as the
attack is sent: a NUL byte in a path, in a query string, in a form field; a login name
longer than django-axes' column. Each is now refused (400, or the sign-in form's own
message) and changes nothing: no row, no operation recorded, no mail.

PostgreSQL cannot store a NUL byte at all (hence the 500s there); on SQLite, which can,
the same requests stored it. ``test_web_hostile_input`` sweeps every page and form.
"""

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from characters.models import Human
from core.models import OperationRecord
from game.models import Gameline, Invitation, STRelationship
from game.tests.web_world import build_world, snapshot

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("admins"),
]

REFUSED = "contains a control character (such as a NUL byte)"


@pytest.fixture
def admins():
    """The admins a server error is mailed to: none of these requests may mail them."""
    with override_settings(ADMINS=[("tg admin", "ops@example.test")]):
        yield
    assert mail.outbox == []


@pytest.fixture
def world():
    return build_world()


def signed_in(client, world, role):
    client.force_login(world.users[role])
    return client


def everything() -> dict:
    return {**snapshot(), "operations": OperationRecord.objects.count()}


def assert_refused(response, before):
    assert response.status_code == 400
    page = response.content.decode()
    assert REFUSED in page
    assert "Nothing was changed." in page
    assert everything() == before


def test_a_nul_byte_in_an_invitation_link_is_a_400_even_anonymously(client, world):
    before = everything()
    assert_refused(client.get("/invite/%00/"), before)
    assert_refused(client.post("/invite/%00/", {"username": "eve"}), before)


def test_a_nul_byte_in_an_invitation_note_is_refused(client, world):
    head = signed_in(client, world, "head")
    before = everything()

    response = head.post(reverse("invitations", args=[world.chronicle.pk]), {"note": "Bob\x00"})

    assert_refused(response, before)
    assert not Invitation.objects.exists()


def test_a_nul_byte_in_a_new_storytellers_name_is_refused(client, world):
    head = signed_in(client, world, "head")
    relations = STRelationship.objects.count()
    before = everything()

    response = head.post(
        reverse("storytellers", args=[world.chronicle.pk]),
        {
            "action": "add",
            "username": "oscar\x00",
            "gameline": Gameline.objects.get(short_name="vtm").pk,
        },
    )

    assert_refused(response, before)
    assert STRelationship.objects.count() == relations


@pytest.mark.parametrize("where", ["batch", "request page"])
def test_a_nul_byte_in_a_deny_reason_is_refused(client, world, where):
    head = signed_in(client, world, "head")
    batch, one = reverse("st-queue"), reverse("st-request", args=[world.pending.pk])
    url = batch if where == "batch" else one
    before = everything()

    response = head.post(
        url, {"action": "deny", "request": [world.pending.pk], "reason": "No.\x00"}
    )

    assert_refused(response, before)
    world.pending.refresh_from_db()
    assert world.pending.status == "Pending"


def test_a_nul_byte_in_a_return_note_is_refused(client, world):
    sid = Human.objects.create(name="Sid", owner=world.users["owner"], chronicle=world.chronicle)
    Human.objects.filter(pk=sid.pk).update(status="Sub")
    sid.refresh_from_db()
    head = signed_in(client, world, "head")
    before = everything()

    response = head.post(
        reverse("st-approval-decision", args=[sid.pk]),
        {"action": "return", "version": sid.version, "note": "Fix it\x00"},
    )

    assert_refused(response, before)
    assert Human.objects.get(pk=sid.pk).status == "Sub"


def test_a_nul_byte_in_a_query_string_is_refused(client, world):
    head = signed_in(client, world, "head")
    before = everything()
    assert_refused(head.get(reverse("st-queue") + "?player=%00"), before)
    assert_refused(
        head.get(reverse("chronicle-audit", args=[world.chronicle.pk]) + "?%00=1"), before
    )


@pytest.mark.parametrize("character", ["\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"])
def test_every_other_control_character_is_refused_too(client, world, character):
    head = signed_in(client, world, "head")
    before = everything()

    response = head.post(
        reverse("invitations", args=[world.chronicle.pk]), {"note": f"Bob{character}"}
    )

    assert_refused(response, before)


def test_tabs_and_line_breaks_are_text_and_still_accepted(client, world):
    head = signed_in(client, world, "head")

    response = head.post(
        reverse("invitations", args=[world.chronicle.pk]), {"note": "Bob\tand\r\nAlice"}
    )

    assert response.status_code == 302
    assert Invitation.objects.get().note == "Bob\tand\r\nAlice"


# --- The login name and django-axes' column -------------------------------------------------


@override_settings(AXES_ENABLED=True)
def test_a_login_name_longer_than_the_attempts_column_is_a_wrong_sign_in(client, world):
    name = "p" * 256
    response = client.post(reverse("login"), {"username": name, "password": "guess"})

    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()
    # Counted, as every failure is, under the first 255 characters: what the column holds.
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [name[:255]]


@override_settings(AXES_ENABLED=True)
def test_over_long_login_names_are_still_locked_out(client, world):
    name = "p" * 100_000
    for _ in range(5):
        client.post(reverse("login"), {"username": name, "password": "guess"})

    response = client.post(reverse("login"), {"username": name, "password": "guess"})

    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    # The owner of a real account is not affected.
    signed = client.post(reverse("login"), {"username": "pat", "password": "pw"})
    assert signed.status_code == 302
