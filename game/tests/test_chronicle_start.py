"""Starting a chronicle is a page, not the admin (issue 17 item 6): the person who starts
it is its head storyteller and lands on the invitations page; who may start one is the
TG_CHRONICLE_STARTERS setting; the same form sent twice starts one chronicle."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from game.models import Chronicle, Invitation, StorytellerChange
from game.tests.threads import run_together

User = get_user_model()

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def anyone_may_start(settings):
    """A site where any signed-in person may start a chronicle (open registration's
    default); the test of the other mode sets it back."""
    settings.TG_CHRONICLE_STARTERS = "anyone"


def test_where_accounts_come_by_invitation_only_the_allowed_may_start_by_default():
    from tg.settings import base

    assert base.TG_OPEN_REGISTRATION is False
    assert base.TG_CHRONICLE_STARTERS == "allowed"


@pytest.fixture
def vera(client):
    user = User.objects.create_user("vera", password="a long enough pass phrase")
    client.force_login(user)
    return user


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_new_person_starts_a_chronicle_and_invites_in_three_page_loads(client, vera):
    loads = 0

    dashboard = client.get(reverse("dashboard"))
    assert 'href="/chronicles/new/"' in dashboard.content.decode()

    form = client.get(reverse("chronicle-start"))  # 1
    loads += 1
    assert "Start a chronicle" in form.content.decode()
    started = client.post(  # 2 (the POST and its redirect)
        reverse("chronicle-start"),
        {"name": "  Night  Shift ", "description": "Chicago, 1998. Sundays."},
        follow=True,
    )
    loads += 1
    chronicle = Chronicle.objects.get(head_st=vera)
    assert chronicle.name == "Night Shift"
    assert started.redirect_chain == [(reverse("invitations", args=[chronicle.pk]), 302)]
    assert messages_of(started) == [
        "Night Shift is started and you are its head storyteller. Now invite your "
        "players: create a link for each and send it to them."
    ]
    assert "No invitation yet." in started.content.decode()
    [record] = StorytellerChange.objects.filter(chronicle=chronicle)
    assert (record.user, record.by, record.action) == (vera, vera, "added")

    invited = client.post(  # 3
        reverse("invitations", args=[chronicle.pk]), {"note": "for Bob"}, follow=True
    )
    loads += 1
    link = Invitation.objects.get(chronicle=chronicle).get_absolute_url()
    assert f"http://testserver{link}" in invited.content.decode()
    assert loads <= 3

    storytelling = client.get(reverse("st-dashboard")).content.decode()
    assert "Night Shift" in storytelling
    invite = reverse("invitations", args=[chronicle.pk])
    assert f'No player has joined yet. <a href="{invite}">Invite your players</a>' in storytelling


def test_the_same_form_sent_twice_starts_one_chronicle(client, vera):
    for _ in range(2):
        answer = client.post(reverse("chronicle-start"), {"name": "Night Shift"}, follow=True)
    assert Chronicle.objects.filter(head_st=vera).count() == 1
    assert messages_of(answer) == ["You already run Night Shift."]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("\u200b", "Give the chronicle a name with at least one letter or digit."),
        ("--- ...", "Give the chronicle a name with at least one letter or digit."),
        ("N" * 201, "Ensure this value has at most 200 characters (it has 201)."),
    ],
)
def test_a_bad_name_is_refused_and_starts_nothing(client, vera, name, error):
    answer = client.post(reverse("chronicle-start"), {"name": name})
    assert answer.status_code == 200
    assert error in answer.content.decode()
    assert not Chronicle.objects.exists()


def test_signing_in_comes_first(client, db):
    answer = client.get(reverse("chronicle-start"))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))


def test_when_only_the_allowed_may_start_one_an_operator_gives_leave(client, vera, settings):
    settings.TG_CHRONICLE_STARTERS = "allowed"

    assert "/chronicles/new/" not in client.get(reverse("dashboard")).content.decode()
    refused = client.post(reverse("chronicle-start"), {"name": "Night Shift"})
    assert refused.status_code == 403
    assert "an operator decides who may start a chronicle" in refused.content.decode()
    assert not Chronicle.objects.exists()

    call_command("chronicle_starters", "--allow", "vera")
    vera = User.objects.get(pk=vera.pk)  # permissions are cached per object
    client.force_login(vera)
    client.post(reverse("chronicle-start"), {"name": "Night Shift"})
    assert Chronicle.objects.filter(head_st=vera).count() == 1

    call_command("chronicle_starters", "--revoke", "vera")
    assert client.get(reverse("chronicle-start")).status_code == 403


def test_revoking_says_when_a_group_still_gives_leave(capsys):
    from django.contrib.auth.models import Group, Permission

    vera = User.objects.create_user("vera")
    group = Group.objects.create(name="founders")
    group.permissions.add(Permission.objects.get(codename="add_chronicle"))
    vera.groups.add(group)
    call_command("chronicle_starters", "--allow", "vera")

    call_command("chronicle_starters", "--revoke", "vera")

    assert capsys.readouterr().out.splitlines()[-1] == (
        "vera may still start chronicles: through the group(s) founders."
    )


def test_the_command_names_an_unknown_account_in_one_line(capsys):
    with pytest.raises(CommandError) as refused:
        call_command("chronicle_starters", "--allow", "nobody")
    assert str(refused.value) == "there is no account 'nobody'."
    assert refused.value.returncode == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_copies_of_one_start_at_the_same_moment_start_one_chronicle():
    from game.operations.chronicles import start_chronicle

    vera = User.objects.create_user("vera2")
    outcomes = run_together(
        *(lambda: start_chronicle(by=vera, name="Night Shift") for _ in range(2))
    )
    assert [exc for _, exc in outcomes] == [None, None]
    assert sorted(started for (_, started), _ in outcomes) == [False, True]
    assert Chronicle.objects.filter(head_st=vera).count() == 1
