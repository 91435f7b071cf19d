"""The queue is one screen of work (issue 17 item 3): a decision per row, approvals and
denials with their own reasons, all in one POST; "approve & next" on the request page;
the navigation badge opens the queue. Decisions keep their guarantees: each request
decided once, whatever else was posted at the same moment."""

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from characters.models import Human
from game.models import SpendStatus, XPSpendingRequest
from game.tests.browser_world import chicago, join
from game.tests.threads import run_together
from tests.support import ledger_sum, make_person

pytestmark = pytest.mark.django_db

TRAITS = ("brawl", "strength", "wits", "alertness", "dexterity")


@pytest.fixture
def table():
    """Sophia heads Chicago; Pat's Ada and Mia's Bea each ask for five dots (ten
    requests, oldest first: Ada's five, then Bea's)."""
    head, ash = make_person("sophia"), make_person("ash")
    pat, mia = make_person("pat"), make_person("mia")
    chronicle = chicago(head=head, storyteller=ash)
    join(chronicle, pat, mia)
    asked = []
    for name, owner in (("Ada", pat), ("Bea", mia)):
        character = Human.objects.create(
            name=name, owner=owner, chronicle=chronicle, status="App", xp=60
        )
        asked += [character.spend_xp(trait) for trait in TRAITS]
    return head, ash, asked


def shown_messages(response) -> list[str]:
    """The messages as the page shows them (base.html's alerts)."""
    html = response.content.decode()
    return [
        unescape(m).strip() for m in re.findall(r'<div class="alert [^"]*">(.*?)</div>', html, re.S)
    ]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_ten_requests_some_approved_some_denied_in_two_page_loads(client, table):
    head, _, asked = table
    client.force_login(head)

    queue = client.get(reverse("st-queue"))  # 1
    html = queue.content.decode()
    for request in asked:
        assert f'name="decision-{request.pk}"' in html
        assert f'name="reason-{request.pk}"' in html
    approve, deny = asked[:7], asked[7:]
    form = {"action": "decide", "reason": "Not this story arc."}
    form |= {f"decision-{r.pk}": "approve" for r in approve}
    form |= {f"decision-{r.pk}": "deny" for r in deny}
    form[f"reason-{deny[0].pk}"] = "Bea has not trained this."
    decided = client.post(reverse("st-queue"), form, follow=True)  # 2

    assert messages_of(decided) == ["7 approved; 3 denied."]
    assert "Nothing waits for you." in decided.content.decode()
    statuses = dict(XPSpendingRequest.objects.values_list("pk", "status"))
    assert {statuses[r.pk] for r in approve} == {SpendStatus.APPROVED}
    assert {statuses[r.pk] for r in deny} == {SpendStatus.DENIED}
    notes = dict(XPSpendingRequest.objects.values_list("pk", "note"))
    assert notes[deny[0].pk] == "Bea has not trained this."
    assert notes[deny[1].pk] == notes[deny[2].pk] == "Not this story arc."
    for character in Human.objects.all():
        assert character.xp == ledger_sum(character)


def test_a_denial_without_a_reason_changes_nothing_at_all(client, table):
    head, _, asked = table
    client.force_login(head)
    form = {"action": "decide", f"decision-{asked[0].pk}": "approve"}
    form[f"decision-{asked[1].pk}"] = "deny"

    answer = client.post(reverse("st-queue"), form, follow=True)

    assert messages_of(answer) == [
        "Give a reason for each denial (1 without one): the player reads it. Nothing changed."
    ]
    assert set(XPSpendingRequest.objects.values_list("status", flat=True)) == {"Pending"}


@pytest.mark.parametrize(
    "junk",
    [
        {"decision-abc": "approve"},
        {"decision-99999999": "approve"},
        {"decision-1": "maybe"},
        {},
    ],
)
def test_rows_that_are_not_requests_of_the_queue_change_nothing(client, table, junk):
    head, _, _ = table
    client.force_login(head)
    answer = client.post(reverse("st-queue"), {"action": "decide", **junk}, follow=True)
    assert answer.status_code == 200
    assert messages_of(answer) in (
        ["Choose Approve or Deny on at least one request."],
        ["Nothing to do."],
    )
    assert set(XPSpendingRequest.objects.values_list("status", flat=True)) == {"Pending"}


def test_a_too_long_reason_changes_nothing(client, table):
    head, _, asked = table
    client.force_login(head)
    form = {"action": "decide", f"decision-{asked[0].pk}": "deny"}
    form[f"reason-{asked[0].pk}"] = "x" * 501
    answer = client.post(reverse("st-queue"), form, follow=True)
    assert messages_of(answer) == ["A reason is at most 500 characters long. Nothing changed."]
    assert set(XPSpendingRequest.objects.values_list("status", flat=True)) == {"Pending"}


def test_approve_and_next_opens_the_next_request_waiting(client, table):
    head, _, asked = table
    client.force_login(head)
    first = client.get(reverse("st-request", args=[asked[0].pk])).content.decode()
    assert "Approve &amp; next" in first
    assert "Ada's other pending requests" in first
    assert "Strength 1 → 2" in first  # another of Ada's, listed

    after = client.post(
        reverse("st-request", args=[asked[0].pk]),
        {"request": asked[0].pk, "action": "approve_next"},
        follow=True,
    )

    assert after.redirect_chain[-1][0] == reverse("st-request", args=[asked[1].pk])
    assert messages_of(after) == ["1 approved."]
    # The ledger lines say what each entry was for: the spend just approved is Brawl's.
    assert "Brawl 0 → 1" in after.content.decode()


def test_deny_and_next_on_the_last_request_returns_to_the_queue(client, table):
    head, _, asked = table
    client.force_login(head)
    form = {"action": "decide"} | {f"decision-{r.pk}": "approve" for r in asked[:-1]}
    client.post(reverse("st-queue"), form)
    last = asked[-1]
    page = client.get(reverse("st-request", args=[last.pk])).content.decode()
    assert "Deny &amp; next" not in page  # nothing follows it

    after = client.post(
        reverse("st-request", args=[last.pk]),
        {"request": last.pk, "action": "deny_next", "reason": "No."},
        follow=True,
    )
    assert after.redirect_chain[-1][0] == reverse("st-queue")
    assert messages_of(after) == ["1 denied."]


def test_the_badge_opens_the_queue(client, table):
    head, _, _ = table
    client.force_login(head)
    html = client.get(reverse("dashboard")).content.decode()
    assert (
        f'<a class="nav-link" href="{reverse("st-queue")}" title="waiting for your decision">'
        in html
    )
    assert ">10</span> waiting</a>" in html


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_storytellers_saving_overlapping_rows_at_once_decide_each_request_once(table):
    head, ash, asked = table
    clients = []
    for person in (head, ash):
        browser = Client()
        browser.force_login(person)
        clients.append(browser)
    sophia_rows = {"action": "decide"} | {f"decision-{r.pk}": "approve" for r in asked[:7]}
    ash_rows = {"action": "decide", "reason": "Too soon."}
    ash_rows |= {f"decision-{r.pk}": "deny" for r in asked[3:]}

    outcomes = run_together(
        lambda: clients[0].post(reverse("st-queue"), sophia_rows, follow=True),
        lambda: clients[1].post(reverse("st-queue"), ash_rows, follow=True),
    )

    assert [exc for _, exc in outcomes] == [None, None]
    # From each page's HTML: the test client's captured context is not per thread.
    said = [" ".join(shown_messages(response)) for response, _ in outcomes]
    rows = XPSpendingRequest.objects.filter(pk__in=[r.pk for r in asked])
    assert rows.filter(status="Pending").count() == 0
    approved = rows.filter(status="Approved").count()
    denied = rows.filter(status="Denied").count()
    assert approved + denied == 10
    # Each page counted only what it decided, and the one that came second names the
    # rows the other decided first: 10 decisions in all, none twice.
    done = [sum(int(n) for n, _ in re.findall(r"(\d+) (approved|denied)", text)) for text in said]
    assert sum(done) == 10, said
    assert said[0].count("already") + said[1].count("already") == 4
    for character in Human.objects.all():
        assert character.xp == ledger_sum(character)
