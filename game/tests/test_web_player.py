"""The player pages as a player uses them: what the page says, and what it changed."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from characters.models import CharacterChange, Human
from game.models import ChronicleMembership, Invitation, XPLedgerEntry, XPSpendingRequest
from game.operations.ledger import ledger_repair
from game.tests.web_world import build_world

User = get_user_model()

pytestmark = [pytest.mark.django_db, pytest.mark.dates]


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def pat(client, world):
    client.force_login(world.users["owner"])
    return client


def page(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Spending ----------------------------------------------------------------------------


def test_the_spend_page_prices_every_trait_and_shows_the_open_request(pat, world):
    response = pat.get(reverse("xp-spend", args=[world.approved.pk]))

    text = page(response)
    assert "Ada has <strong>18 XP</strong>" in text
    assert 'aria-label="Spend 4 XP: Strength 1 → 2, 14 XP left"' in text
    assert 'aria-label="Spend 3 XP: Alertness 0 → 1, 15 XP left"' in text
    assert 'aria-label="Spend 3 XP: Willpower 3 → 4, 15 XP left"' in text
    assert "needs" not in text  # everything else is affordable
    assert "pending: 1 → 2, 2 XP" in text  # Brawl already has a request
    assert ": Brawl" not in text


def test_a_trait_beyond_the_pool_says_how_much_is_missing(pat, world):
    Human.objects.filter(pk=world.approved.pk).update(strength=5)  # 20 XP for the next
    text = page(pat.get(reverse("xp-spend", args=[world.approved.pk])))
    assert "5 → 6 · 20 XP · needs 2 more" in text  # the next dot, and what is missing
    assert 'value="strength"' not in text  # no button to press for it


def test_a_spend_with_a_note_for_the_storyteller_takes_one_post(pat, world, client):
    response = pat.post(
        reverse("xp-spend", args=[world.approved.pk]),
        {"trait": "alertness", "note": "  Trained with Marcus all winter.  "},
        follow=True,
    )
    assert messages_of(response) == [
        "Requested Alertness 0 → 1 for 3 XP; 15 XP left. A storyteller will decide."
    ]
    asked = XPSpendingRequest.objects.get(character=world.approved, trait_name="alertness")
    assert asked.player_note == "Trained with Marcus all winter."
    client.force_login(world.users["head"])
    queue = page(client.get(reverse("st-queue")))
    assert "“Trained with Marcus all winter.”" in queue
    request_page = page(client.get(reverse("st-request", args=[asked.pk])))
    assert "Why, says the player" in request_page


def test_a_too_long_note_is_refused_and_spends_nothing(pat, world):
    before = Human.objects.get(pk=world.approved.pk).xp
    response = pat.post(
        reverse("xp-spend", args=[world.approved.pk]),
        {"trait": "alertness", "note": "n" * 501},
        follow=True,
    )
    assert messages_of(response) == ["The note is 501 characters long; at most 500 are kept."]
    assert Human.objects.get(pk=world.approved.pk).xp == before
    assert not XPSpendingRequest.objects.filter(trait_name="alertness").exists()


def test_with_nothing_affordable_the_page_says_where_xp_comes_from(pat, world):
    zed = Human.objects.create(
        name="Zed", owner=world.users["owner"], chronicle=world.chronicle, status="App", xp=0
    )
    text = page(pat.get(reverse("xp-spend", args=[zed.pk])))
    assert "<strong>Zed has 0 XP</strong>; the cheapest next dot costs 3 XP." in text
    assert "XP comes from scenes" in text
    assert "<details>" in text  # the prices, folded away
    assert 'name="trait"' not in text.split('id="spend-form"')[1].split("</form>")[0]


def test_the_dashboard_card_spends_in_two_page_loads(pat, world):
    dashboard = page(pat.get(reverse("dashboard")))  # 1
    spend_url = reverse("xp-spend", args=[world.approved.pk])
    assert f'href="{spend_url}" aria-label="Spend Ada\'s XP"' in dashboard
    done = pat.post(spend_url, {"trait": "wits"}, follow=True)  # 2
    assert done.redirect_chain == [(world.approved.get_absolute_url(), 302)]
    assert XPSpendingRequest.objects.filter(trait_name="wits", status="Pending").count() == 1


def test_pending_raises_are_marked_on_the_sheets_dots(pat, world):
    text = page(pat.get(world.approved.get_absolute_url()))
    assert "(pending: 1 → 2)" in text  # Brawl's request, for screen readers
    assert 'aria-label="Brawl 1 → 2 of 10"' in text  # the requested dot drawn as new


def test_the_confirm_step_shows_the_balance_after(pat, world):
    response = pat.get(reverse("xp-spend", args=[world.approved.pk]) + "?trait=strength")
    text = page(response)
    assert "Raise Strength?" in text
    assert re.search(r"XP after</dt><dd[^>]*><strong>14</strong>", text)
    assert 'name="trait" value="strength"' in text


def test_posting_twice_opens_one_request_and_says_why_not_twice(pat, world):
    url = reverse("xp-spend", args=[world.approved.pk])
    first = pat.post(url, {"trait": "strength"}, follow=True)
    second = pat.post(url, {"trait": "strength"}, follow=True)

    assert messages_of(first) == [
        "Requested Strength 1 → 2 for 4 XP; 14 XP left. A storyteller will decide."
    ]
    [message] = messages_of(second)
    assert message.startswith("Strength already has a pending request (#")
    assert second.status_code == 200
    assert XPSpendingRequest.objects.filter(trait_name="strength").count() == 1
    assert Human.objects.get(pk=world.approved.pk).xp == 14


def test_an_unknown_trait_is_refused_with_a_message(pat, world):
    response = pat.post(
        reverse("xp-spend", args=[world.approved.pk]), {"trait": "flying"}, follow=True
    )
    assert messages_of(response) == ["'flying' is not a trait XP can raise."]
    assert Human.objects.get(pk=world.approved.pk).xp == 18


def test_a_huge_trait_name_is_refused_without_being_echoed_whole(pat, world):
    response = pat.post(
        reverse("xp-spend", args=[world.approved.pk]), {"trait": "x" * 100_000}, follow=True
    )
    assert messages_of(response) == [f"'{'x' * 38}… is not a trait XP can raise."]  # 40 characters
    assert len(response.content) < 50_000
    assert Human.objects.get(pk=world.approved.pk).xp == 18


def test_withdrawing_refunds_and_the_history_shows_it(pat, world):
    response = pat.post(
        reverse("xp-withdraw", args=[world.approved.pk, world.pending.pk]), follow=True
    )
    assert messages_of(response) == ["Withdrew the request for Brawl; 2 XP came back."]
    history = page(pat.get(reverse("xp-history", args=[world.approved.pk])))
    assert "Refund" in history and "Withdrawn" in history
    assert "balance matches ledger" in history
    again = pat.post(
        reverse("xp-withdraw", args=[world.approved.pk, world.pending.pk]), follow=True
    )
    assert messages_of(again)[0].startswith("This XP request was already withdrawn by pat on ")
    assert Human.objects.get(pk=world.approved.pk).xp == 20


# --- History ----------------------------------------------------------------------------


def test_the_history_lists_entries_with_a_running_balance_and_totals(pat, world):
    response = pat.get(reverse("xp-history", args=[world.approved.pk]))
    entries = response.context["entries"]
    assert [(e.kind, e.amount, e.balance) for e in entries] == [
        ("spend", -2, 18),
        ("adjustment", 20, 20),
    ]
    assert response.context["totals"]["Spend"] == -2
    assert "balance matches ledger" in page(response)


def test_the_csv_export_has_every_entry_and_no_formula(pat, world):
    with ledger_repair():  # the ledger is append-only; the test rewrites one note
        XPLedgerEntry.objects.filter(kind="adjustment").update(note="=HYPERLINK(1)")
    response = pat.get(reverse("xp-history-csv", args=[world.approved.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "date,kind,amount,balance,scene,request,by,note"
    assert lines[1].endswith(",adjustment,20,20,,,,'=HYPERLINK(1)")
    assert ",spend,-2,18,,Ada: Brawl 1→2,pat," in lines[2]


# --- Creating and editing ---------------------------------------------------------------


def test_a_member_creates_a_character_that_starts_unfinished(pat, world):
    response = pat.post(
        reverse("character-create"),
        {"name": "Bea", "concept": "Nurse", "chronicle": world.chronicle.pk},
        follow=True,
    )
    bea = Human.objects.get(name="Bea")
    assert (bea.status, bea.owner, bea.chronicle) == ("Un", world.users["owner"], world.chronicle)
    assert response.redirect_chain[-1][0] == reverse("character-edit", args=[bea.pk])


def test_a_character_cannot_be_created_in_a_chronicle_one_does_not_belong_to(pat, world):
    response = pat.post(reverse("character-create"), {"name": "Spy", "chronicle": world.other.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in page(response)
    assert not Human.objects.filter(name="Spy").exists()


def _sheet_data(character, **changes):
    from characters.traits import ABILITIES, ATTRIBUTES, WILLPOWER

    data = {"name": character.name, "concept": character.concept, "age": "", "apparent_age": ""}
    data |= {s.name: getattr(character, s.name) for s in (*ATTRIBUTES, *ABILITIES, WILLPOWER)}
    data["version"] = character.version
    data.update(changes)
    return data


def test_editing_saves_the_dots_and_the_summary_compares_with_the_guideline(pat, world):
    una = Human.objects.get(pk=world.unfinished.pk)
    url = reverse("character-edit", args=[una.pk])
    data = _sheet_data(una, strength=4, dexterity=3, stamina=3, willpower=5)

    response = pat.post(url, data, follow=True)

    una.refresh_from_db()
    assert (una.strength, una.dexterity, una.stamina) == (4, 3, 3)
    assert (una.willpower, una.temporary_willpower) == (5, 5)
    text = page(response)
    assert "Attributes: 7/0/0 — 6 dot(s) below the guideline (6/4/3)." in text
    # The sheet's history credits the player, not tg.
    change = CharacterChange.objects.get(character=una, field="strength")
    assert (change.changed_by.get_username(), change.reason) == (
        "pat",
        "Sheet edited by its player",
    )


def test_save_and_submit_is_one_step(pat, world):
    una = Human.objects.get(pk=world.unfinished.pk)
    url = reverse("character-edit", args=[una.pk])
    response = pat.post(url, _sheet_data(una, strength=3, then="submit"), follow=True)
    assert messages_of(response) == [
        "Una's sheet was saved and submitted: a storyteller of Chicago by Night will "
        "approve it or send it back with a note."
    ]
    una.refresh_from_db()
    assert (una.strength, una.status) == (3, "Sub")


def test_save_and_submit_on_a_stale_page_saves_nothing(pat, world):
    una = Human.objects.get(pk=world.unfinished.pk)
    url = reverse("character-edit", args=[una.pk])
    stale = _sheet_data(una, strength=3, then="submit")
    pat.post(url, _sheet_data(una, wits=2))  # another tab saved first
    response = pat.post(url, stale)
    assert response.status_code == 200
    assert "since you opened it" in page(response)
    una.refresh_from_db()
    assert (una.strength, una.wits, una.status) == (1, 2, "Un")


def test_after_joining_a_new_member_lands_on_the_new_character_page(client, world):
    invitation = Invitation.objects.create(
        chronicle=world.chronicle, created_by=world.users["head"]
    )
    client.force_login(world.users["outsider_player"])
    response = client.post(invitation.get_absolute_url(), follow=True)
    url = f"{reverse('character-create')}?chronicle={world.chronicle.pk}"
    assert response.redirect_chain[-1][0] == url
    assert "Create your character for Chicago by Night" in page(response)
    assert response.context["form"].initial["chronicle"] == world.chronicle.pk


def test_a_rating_out_of_range_is_an_inline_error_and_saves_nothing(pat, world):
    una = Human.objects.get(pk=world.unfinished.pk)
    response = pat.post(reverse("character-edit", args=[una.pk]), _sheet_data(una, strength=11))
    assert response.status_code == 200
    assert response.context["form"].errors["strength"] == [
        "Select a valid choice. 11 is not one of the available choices."
    ]
    assert Human.objects.get(pk=una.pk).strength == 1


def test_a_sheet_opened_before_another_change_is_refused(pat, world):
    una = Human.objects.get(pk=world.unfinished.pk)
    stale = _sheet_data(una, strength=5)
    fresh = Human.objects.get(pk=una.pk)
    fresh.concept = "Changed in another tab"
    fresh.save()

    response = pat.post(reverse("character-edit", args=[una.pk]), stale)

    assert response.status_code == 200
    assert "was changed by someone else since you opened it" in page(response)
    assert Human.objects.get(pk=una.pk).strength == 1


@pytest.mark.parametrize("version", ["abc", ""])
def test_a_tampered_or_missing_version_says_so_and_saves_nothing(pat, world, version):
    una = Human.objects.get(pk=world.unfinished.pk)
    data = {**_sheet_data(una, strength=5), "version": version}

    response = pat.post(reverse("character-edit", args=[una.pk]), data)

    assert response.status_code == 200
    assert "This page is incomplete: reload it and make your change again." in page(response)
    assert Human.objects.get(pk=una.pk).strength == 1


def test_submitting_and_withdrawing_the_submission(pat, world):
    una = Human.objects.get(pk=world.unfinished.pk)
    url = reverse("character-status", args=[una.pk, "Sub"])
    response = pat.post(url, {"version": una.version}, follow=True)
    assert messages_of(response) == ["Una was submitted for approval."]
    una.refresh_from_db()
    assert una.status == "Sub"
    back = pat.post(
        reverse("character-status", args=[una.pk, "Un"]), {"version": una.version}, follow=True
    )
    assert messages_of(back) == ["Una was returned to Unfinished."]


def test_a_status_form_from_an_old_page_is_refused(pat, world):
    una = Human.objects.get(pk=world.unfinished.pk)
    url = reverse("character-status", args=[una.pk, "Sub"])
    response = pat.post(url, {"version": una.version - 1}, follow=True)
    assert "was changed by someone else since you opened it" in messages_of(response)[0]
    assert Human.objects.get(pk=una.pk).status == "Un"


def test_retiring_asks_first_then_refunds_pending_requests(pat, world):
    confirm = page(pat.get(reverse("character-status-confirm", args=[world.approved.pk, "Ret"])))
    assert "Its 1 pending XP request(s) will be denied and their XP refunded." in confirm
    ada = Human.objects.get(pk=world.approved.pk)
    response = pat.post(
        reverse("character-status", args=[ada.pk, "Ret"]), {"version": ada.version}, follow=True
    )
    assert messages_of(response) == ["Ada was retired."]
    ada.refresh_from_db()
    assert (ada.status, ada.xp) == ("Ret", 20)


# --- What users type is shown, never run --------------------------------------------------


def test_user_text_is_escaped_everywhere_it_is_shown(pat, world):
    Human.objects.filter(pk=world.approved.pk).update(
        name="<script>alert(1)</script>", concept="<b>bold</b>"
    )
    for url in (
        reverse("dashboard"),
        reverse("character-sheet", args=[world.approved.pk]),
        reverse("chronicle", args=[world.chronicle.pk]),
        reverse("xp-history", args=[world.approved.pk]),
        reverse("xp-spend", args=[world.approved.pk]),
        reverse("my-scenes"),
    ):
        text = page(pat.get(url))
        assert "<script>alert(1)</script>" not in text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, url


# --- Invitations --------------------------------------------------------------------------


@pytest.fixture
def invitation(world):
    return Invitation.objects.create(chronicle=world.chronicle, created_by=world.users["head"])


def test_a_new_person_creates_an_account_through_an_invitation(
    client, invitation, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            invitation.get_absolute_url(),
            {
                "username": "newbie",
                "email": "newbie@example.test",
                "password1": "a long enough pass phrase",
                "password2": "a long enough pass phrase",
            },
            follow=True,
        )
    assert messages_of(response) == [
        "Welcome to Chicago by Night, newbie!",
        "We sent a link to newbie@example.test. Open it to make it your account's e-mail "
        "address; tg mails nothing else there until then.",
    ]
    assert response.context["user"].get_username() == "newbie"
    assert response.context["user"].email == ""  # until the mailed link is opened
    [confirmation] = mail.outbox
    assert confirmation.to == ["newbie@example.test"]
    assert ChronicleMembership.objects.filter(
        user__username="newbie", chronicle=world.chronicle
    ).exists()
    invitation.refresh_from_db()
    assert invitation.state == "used"
    reused = client.get(invitation.get_absolute_url())
    assert reused.status_code == 410
    assert "This invitation is used" in page(reused)


def test_the_sign_up_answers_the_same_whether_or_not_the_address_has_an_account(
    client, invitation, world, django_capture_on_commit_callbacks
):
    """Issue 18 item 7: the form never tells who has an account. The taken address is
    not given to the new account; its owner is mailed a notice instead of a link."""
    User.objects.create_user("ada_elsewhere", email="ada@example.test", password="x" * 12)
    second = Invitation.objects.create(chronicle=world.chronicle, created_by=world.users["head"])
    answers = []
    for link, name, address in [
        (invitation.get_absolute_url(), "nina", "ADA@example.test"),
        (second.get_absolute_url(), "nora", "nora@example.test"),
    ]:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                link,
                {
                    "username": name,
                    "email": address,
                    "password1": "a long enough pass phrase",
                    "password2": "a long enough pass phrase",
                },
                follow=True,
            )
        answers.append(
            (response.status_code, response.redirect_chain, messages_of(response), name, address)
        )
        client.logout()

    def shape(answer):
        status, chain, said, name, address = answer
        return status, chain, [m.replace(address, "ADDRESS").replace(name, "NAME") for m in said]

    assert shape(answers[0]) == shape(answers[1])
    nina = User.objects.get(username="nina")
    assert nina.email == ""
    assert User.objects.filter(email__iexact="ada@example.test").count() == 1
    assert ChronicleMembership.objects.filter(user=nina, chronicle=world.chronicle).exists()
    notice, confirmation = mail.outbox
    assert notice.to == ["ada@example.test"]
    assert notice.subject == "Your e-mail address was given for another tg account"
    assert 'sign in as "ada_elsewhere"' in notice.body
    assert "an invitation to Chicago by Night" in notice.body
    assert "/accounts/address/" not in notice.body
    assert confirmation.to == ["nora@example.test"]


def test_an_existing_player_joins_through_an_invitation(client, invitation, world):
    oscar = world.users["outsider_player"]
    client.force_login(oscar)
    assert client.get(reverse("chronicle", args=[world.chronicle.pk])).status_code == 404
    response = client.post(invitation.get_absolute_url(), follow=True)
    assert messages_of(response) == ["Welcome to Chicago by Night!"]
    assert client.get(reverse("chronicle", args=[world.chronicle.pk])).status_code == 200


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_a_revoked_or_expired_invitation_is_refused(client, invitation, state):
    if state == "revoked":
        invitation.revoked_at = timezone.now()
    else:
        invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    response = client.get(invitation.get_absolute_url())
    assert response.status_code == 410
    assert f"This invitation is {state}" in page(response)
    response = client.post(
        invitation.get_absolute_url(),
        {
            "username": "x",
            "email": "x@e.test",
            "password1": "pass phrase 12",
            "password2": "pass phrase 12",
        },
    )
    assert response.status_code == 410
    assert not ChronicleMembership.objects.filter(user__username="x").exists()


def test_the_head_storyteller_creates_and_revokes_invitations(client, world):
    client.force_login(world.users["head"])
    url = reverse("invitations", args=[world.chronicle.pk])
    response = client.post(url, {"note": "for Bob"}, follow=True)
    [message] = messages_of(response)
    created = Invitation.objects.get(note="for Bob")
    assert message == f"New invitation link: http://testserver/invite/{created.token}/"
    client.post(url, {"revoke": created.pk})
    created.refresh_from_db()
    assert created.state == "revoked"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"note": "N" * 201},
            "No invitation was created: the note is 201 characters long, at most 200.",
        ),
        ({"revoke": "abc"}, "Nothing to revoke."),
        ({"revoke": "9" * 30}, "Nothing to revoke."),
        ({"revoke": "9" * 5000}, "Nothing to revoke."),
    ],
)
def test_a_bad_invitation_form_changes_nothing_and_says_so(client, world, form, message):
    client.force_login(world.users["head"])
    before = list(Invitation.objects.values_list("pk", "revoked_at"))

    response = client.post(reverse("invitations", args=[world.chronicle.pk]), form, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == [message]
    assert list(Invitation.objects.values_list("pk", "revoked_at")) == before


def test_open_registration_is_off_by_default(client):
    assert client.get(reverse("signup")).status_code == 404


@override_settings(TG_OPEN_REGISTRATION=True)
def test_open_registration_when_turned_on(client, db):
    response = client.post(
        reverse("signup"),
        {
            "username": "walkin",
            "email": "w@example.test",
            "password1": "a long enough pass phrase",
            "password2": "a long enough pass phrase",
        },
        follow=True,
    )
    assert messages_of(response) == [
        "Welcome, walkin!",
        "We sent a link to w@example.test. Open it to make it your account's e-mail "
        "address; tg mails nothing else there until then.",
    ]


# --- Signing in ---------------------------------------------------------------------------


def test_signing_in_returns_to_the_page_asked_for(client, world):
    target = reverse("character-sheet", args=[world.approved.pk])
    response = client.post(
        f"{reverse('login')}?next={target}",
        {"username": "pat", "password": "pw", "next": target},
    )
    assert response["Location"] == target


def test_a_wrong_password_says_so(client, world):
    response = client.post(reverse("login"), {"username": "pat", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password." in page(response)
    assert "is-valid" not in page(response)  # no green tick on either field


def test_a_refused_form_marks_the_wrong_field_only(client, invitation):
    response = client.post(
        invitation.get_absolute_url(),
        {"username": "ok_name", "email": "not an address", "password1": "a", "password2": "b"},
    )
    html = page(response)
    assert "is-valid" not in html
    assert re.search(r'<input[^>]*name="email"[^>]*is-invalid|is-invalid[^>]*name="email"', html)
    assert not re.search(r'<input[^>]*name="username"[^>]*is-invalid', html)


@override_settings(AXES_ENABLED=True)
def test_five_wrong_passwords_lock_the_account_for_a_while(client, world):
    for _ in range(5):
        client.post(reverse("login"), {"username": "pat", "password": "nope"})
    response = client.post(reverse("login"), {"username": "pat", "password": "pw"})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in page(response)
    assert "_auth_user_id" not in client.session


def test_a_password_reset_mails_a_link_that_works(client, world):
    client.post(reverse("password_reset"), {"email": "pat@example.test"})
    [message] = mail.outbox
    assert message.subject == "Your tg password"
    link = re.search(r"http://testserver(/accounts/reset/\S+)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in page(form)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "another pass phrase", "new_password2": "another pass phrase"},
        follow=True,
    )
    assert "Your new password is set" in page(done)
    assert client.login(username="pat", password="another pass phrase")
