"""A player is e-mailed when a storyteller decides their XP request: after the decision
commits, never for a refused or rolled-back one, never about their own action, and not
when they turned it off."""

import pytest
from django.db import transaction
from django.urls import reverse

from characters.models import Human
from game.tests.web_world import build_world
from notifications.models import NotificationPreferences

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site(settings):
    settings.TG_SITE_URL = "https://tg.example.test/"


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the block registers with on_commit, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_an_approval_mails_the_player_after_it_commits(world, mailoutbox, committed):
    with committed():
        world.approved.approve_xp_spend(world.pending.pk, "brawl", 2, world.users["head"])

    [mail] = mailoutbox
    assert mail.to == ["pat@example.test"]
    assert mail.subject == "Brawl 1 → 2 approved for Ada"
    assert mail.body.startswith(
        "Hello pat,\n\nsophia approved Ada's request: Brawl 1 → 2 for 2 XP."
    )
    pk = world.approved.pk
    assert f"Ada's XP history: https://tg.example.test/characters/{pk}/xp/\n" in mail.body
    assert f"The sheet: https://tg.example.test/characters/{pk}/\n" in mail.body
    assert "your account page: https://tg.example.test/accounts/" in mail.body


def test_a_denial_mails_the_storytellers_note(world, mailoutbox, committed):
    with committed():
        world.approved.deny_xp_spend(
            world.pending.pk, world.users["storyteller"], "Train with Bruno first."
        )

    [mail] = mailoutbox
    assert mail.subject == "Brawl 1 → 2 denied for Ada"
    assert "ash denied Ada's request: Brawl 1 → 2. Its 2 XP came back to Ada." in mail.body
    assert "Note from ash:\nTrain with Bruno first.\n" in mail.body


def test_a_reversal_mails_the_reason(world, mailoutbox, committed):
    head = world.users["head"]
    world.approved.approve_xp_spend(world.pending.pk, "brawl", 2, world.users["storyteller"])

    with committed():
        world.approved.reverse_approval(world.pending.pk, by=head, reason="Bought twice.")

    [mail] = mailoutbox
    assert mail.subject == "Brawl 1 → 2 reversed for Ada"
    assert "sophia reversed the approval of Ada's request: Brawl 1 → 2. The rating went" in (
        mail.body
    )
    assert "Reason from sophia:\nBought twice.\n" in mail.body


def test_nothing_is_sent_before_the_commit(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        world.approved.approve_xp_spend(world.pending.pk, "brawl", 2, world.users["head"])

    assert mailoutbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert [m.subject for m in mailoutbox] == ["Brawl 1 → 2 approved for Ada"]


def test_a_decision_rolled_back_sends_nothing(world, mailoutbox, committed):
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        world.approved.approve_xp_spend(world.pending.pk, "brawl", 2, world.users["head"])
        raise RuntimeError("the caller's transaction fails afterwards")

    assert mailoutbox == []
    world.pending.refresh_from_db()
    assert world.pending.status == "Pending"


def test_a_refused_decision_sends_nothing(world, mailoutbox, committed):
    with committed(), pytest.raises(Exception, match="Only a storyteller"):
        world.approved.approve_xp_spend(world.pending.pk, "brawl", 2, world.users["member"])

    assert mailoutbox == []


def test_a_withdrawal_is_the_players_own_act_and_sends_nothing(world, mailoutbox, committed):
    with committed():
        world.approved.withdraw_xp_spend(world.pending.pk, world.users["owner"])

    assert mailoutbox == []


def test_a_self_decided_request_sends_nothing(world, mailoutbox, committed, settings):
    settings.TG_ALLOW_SELF_DECISIONS = True
    head = world.users["head"]
    mine = Human.objects.create(name="Hel", owner=head, chronicle=world.chronicle, status="App")
    mine.add_xp(10, by=world.users["storyteller"], note="start")
    request = mine.spend_xp("brawl")

    with committed():
        mine.approve_xp_spend(request.pk, "brawl", 1, head)

    assert mailoutbox == []


def test_a_player_who_turned_decisions_off_gets_nothing(world, mailoutbox, committed):
    NotificationPreferences.objects.create(user=world.users["owner"], decisions=False)

    with committed():
        world.approved.deny_xp_spend(world.pending.pk, world.users["head"], "No")

    assert mailoutbox == []


def test_a_player_without_an_address_gets_nothing(world, mailoutbox, committed):
    world.users["owner"].email = ""
    world.users["owner"].save()

    with committed():
        world.approved.deny_xp_spend(world.pending.pk, world.users["head"], "No")

    assert mailoutbox == []


def test_names_are_sent_as_typed_in_plain_text_on_one_subject_line(world, mailoutbox, committed):
    Human.objects.filter(pk=world.approved.pk).update(name="O'Brien & <Co>\nBcc: x@y")

    with committed():
        world.approved.deny_xp_spend(world.pending.pk, world.users["head"], "<b>No</b> & never")

    [mail] = mailoutbox
    assert mail.subject == "Brawl 1 → 2 denied for O'Brien & <Co> Bcc: x@y"
    assert "sophia denied O'Brien & <Co>\nBcc: x@y's request" in mail.body
    assert "<b>No</b> & never" in mail.body
    assert mail.to == ["pat@example.test"]


def test_deciding_in_the_admin_mails_the_player_too(
    world, admin_client, mailoutbox, django_capture_on_commit_callbacks
):
    changelist = reverse("admin:game_xpspendingrequest_changelist")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            changelist, {"action": "deny_requests", "_selected_action": [world.pending.pk]}
        )

    [mail] = mailoutbox
    assert mail.subject == "Brawl 1 → 2 denied for Ada"
    assert "Note from admin:\nDenied in the admin.\n" in mail.body


def test_a_notification_that_breaks_is_logged_and_returns(caplog, mailoutbox):
    from notifications.mail import notify_decision

    assert notify_decision(987654, "Approved") is False

    assert mailoutbox == []
    [record] = [r for r in caplog.records if r.name == "tg.notifications"]
    assert record.getMessage() == "Notification notify_decision(987654, 'Approved') failed"
