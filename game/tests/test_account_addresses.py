"""An account's e-mail address is the one whose mailed link was opened (issue 18 item 7):
the sign-up and the account page say "we sent a link" whichever way the address stands,
the address's owner is told by mail, and a link that is old, altered or overtaken
changes nothing."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from game.operations.accounts import confirm_address, confirmation_token
from game.tests.threads import run_together

User = get_user_model()

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://tg\.example\.test(/accounts/address/\S+/)")


@pytest.fixture(autouse=True)
def site(settings):
    settings.TG_SITE_URL = "http://tg.example.test"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a request registers with on_commit, as the real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def nina(client):
    user = User.objects.create_user("nina", password="a long enough pass phrase")
    client.force_login(user)
    return user


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


PASSWORD = "a long enough pass phrase"


@pytest.fixture(autouse=True)
def no_counts_left_over():
    cache.clear()  # the hourly limit and the used links are counted in the cache
    yield
    cache.clear()


@pytest.fixture
def ask_for(committed):
    def ask(client, address, password=PASSWORD):
        with committed():
            return client.post(
                reverse("account"), {"email": address, "password": password}, follow=True
            )

    return ask


def test_the_mailed_link_makes_the_address_the_accounts_and_a_reset_reaches_it(
    client, nina, ask_for
):
    said = ask_for(client, "nina@example.test")
    assert messages_of(said) == [
        "We sent a link to nina@example.test. Open it to make it your account's e-mail "
        "address; tg mails nothing else there until then."
    ]
    nina.refresh_from_db()
    assert nina.email == ""
    [confirmation] = mail.outbox
    assert confirmation.to == ["nina@example.test"]
    assert confirmation.subject == "Confirm your e-mail address for tg"
    link = LINK.search(confirmation.body).group(1)

    client.post(reverse("password_reset"), {"email": "nina@example.test"})
    assert len(mail.outbox) == 1  # not confirmed yet: no reset link goes there

    opened = client.get(link)  # what a mail scanner does: it changes nothing
    assert "Confirm nina@example.test" in opened.content.decode()
    nina.refresh_from_db()
    assert nina.email == ""

    confirmed = client.post(link, follow=True)
    assert messages_of(confirmed) == ["nina@example.test is now the e-mail address of nina."]
    assert confirmed.redirect_chain[-1][0] == reverse("account")
    nina.refresh_from_db()
    assert nina.email == "nina@example.test"
    again = client.post(link, follow=True)  # opening it twice is harmless
    assert again.status_code == 200

    client.post(reverse("password_reset"), {"email": "nina@example.test"})
    assert mail.outbox[-1].subject == "Your tg password"
    assert mail.outbox[-1].to == ["nina@example.test"]


def test_the_account_page_answers_the_same_for_an_address_of_another_account(client, nina, ask_for):
    User.objects.create_user("ada", email="ada@example.test", password="x" * 12)

    taken = ask_for(client, "ADA@example.test")
    free = ask_for(client, "free@example.test")

    assert [m.replace("ADA@example.test", "X") for m in messages_of(taken)] == [
        m.replace("free@example.test", "X") for m in messages_of(free)
    ]
    assert taken.status_code == free.status_code == 200
    notice, confirmation = mail.outbox
    assert notice.to == ["ada@example.test"]
    assert '"nina"' in notice.body and "its account page" in notice.body
    assert not LINK.search(notice.body)
    assert confirmation.to == ["free@example.test"]
    nina.refresh_from_db()
    assert nina.email == ""


def test_ones_own_address_is_said_to_be_so(client, nina, ask_for):
    nina.email = "nina@example.test"
    nina.save()
    said = ask_for(client, "Nina@Example.test")
    assert messages_of(said) == ["Nina@Example.test is your account's address already."]
    assert mail.outbox == []


def test_a_bad_address_is_refused_on_the_page(client, nina):
    said = client.post(reverse("account"), {"email": "not an address"})
    assert said.status_code == 200
    assert "Enter a valid email address." in said.content.decode()
    assert mail.outbox == []


def test_a_link_older_than_three_days_changes_nothing(client, nina, time_machine):
    time_machine.move_to(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False)
    link = reverse("confirm-address", args=[confirmation_token(user=nina, address="n@e.test")])
    time_machine.move_to(datetime(2026, 3, 4, 12, 1, tzinfo=UTC), tick=False)

    opened = client.post(link)

    assert opened.status_code == 400
    assert "This link is more than 3 days old." in opened.content.decode()
    nina.refresh_from_db()
    assert nina.email == ""


def other_first_character(token: str) -> str:
    return ("x" if token[0] != "x" else "y") + token[1:]


def other_last_character(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.mark.parametrize(
    "damage", [lambda t: t[:-3], other_first_character, other_last_character, "x"]
)
def test_an_altered_link_changes_nothing(client, nina, damage):
    token = confirmation_token(user=nina, address="nina@example.test")
    token = damage if isinstance(damage, str) else damage(token)

    for method in (client.get, client.post):
        opened = method(reverse("confirm-address", args=[token]))
        assert opened.status_code == 400
        assert "This link is not one tg sent" in opened.content.decode()
    nina.refresh_from_db()
    assert nina.email == ""


def test_an_address_confirmed_by_another_account_first_is_not_taken_over(client, nina):
    ada = User.objects.create_user("ada", password="x" * 12)
    late = reverse("confirm-address", args=[confirmation_token(user=nina, address="s@e.test")])
    confirm_address(token=confirmation_token(user=ada, address="S@e.test"))

    opened = client.post(late)

    assert opened.status_code == 409
    assert "s@e.test became the address of another account" in opened.content.decode()
    nina.refresh_from_db()
    assert nina.email == ""
    assert User.objects.get(username="ada").email == "S@e.test"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_accounts_confirming_one_address_at_the_same_moment_get_it_once():
    """Both links were sent before either was opened; exactly one account gets the
    address (PostgreSQL, real threads on their own connections)."""
    for attempt in range(5):
        accounts = [User.objects.create_user(f"twin{attempt}{n}") for n in range(2)]
        tokens = [
            confirmation_token(user=accounts[0], address=f"same{attempt}@EXAMPLE.test"),
            confirmation_token(user=accounts[1], address=f"Same{attempt}@example.test"),
        ]

        outcomes = run_together(*(lambda t=t: confirm_address(token=t) for t in tokens))

        refused = [exc for _, exc in outcomes if exc]
        assert len(refused) == 1
        assert refused[0].code == "address_taken"
        assert User.objects.filter(email__iexact=f"same{attempt}@example.test").count() == 1


def test_a_wrong_password_sends_nothing(client, nina, ask_for):
    answer = ask_for(client, "nina@example.test", password="not it")
    assert "That is not your current password: nothing was sent." in answer.content.decode()
    assert mail.outbox == []


def test_a_used_link_cannot_bring_an_address_back(client, nina, ask_for, committed):
    """Someone at Nina's open session moves her address to theirs (knowing her
    password); she moves it back; their old link must not move it again."""
    ask_for(client, "taker@evil.test")
    taker_link = LINK.search(mail.outbox[-1].body).group(1)
    with committed():
        client.post(taker_link)
    ask_for(client, "nina@example.test")
    with committed():
        client.post(LINK.search(mail.outbox[-1].body).group(1))
    nina.refresh_from_db()
    assert nina.email == "nina@example.test"
    replaced = [m for m in mail.outbox if m.to == ["taker@evil.test"]][-1]
    assert replaced.subject == "Your tg account has a new e-mail address"

    replay = client.post(taker_link)

    assert replay.status_code == 410
    assert "no longer works" in replay.content.decode()
    nina.refresh_from_db()
    assert nina.email == "nina@example.test"


def test_a_link_made_before_a_password_change_no_longer_works(client, nina, ask_for):
    ask_for(client, "nina@example.test")
    link = LINK.search(mail.outbox[-1].body).group(1)
    nina.set_password("another long pass phrase")
    nina.save()

    answer = client.post(link)

    assert answer.status_code == 410
    nina.refresh_from_db()
    assert nina.email == ""


def test_at_most_five_links_an_hour(client, nina, ask_for):
    for n in range(5):
        ask_for(client, f"try{n}@example.test")
    sixth = ask_for(client, "try5@example.test")
    assert "Too many links asked for in the last hour: at most 5." in sixth.content.decode()
    assert len(mail.outbox) == 5
