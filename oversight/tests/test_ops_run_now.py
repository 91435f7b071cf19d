"""The Health page's "Run the check now" (issue 17 item 6): an operator on a fresh
install sees a verdict after one click, stored like a cron run; nobody else can start
one; a run already going starts no second one."""

import pytest
from django.urls import reverse

from core.models import MonitorSnapshot
from oversight.monitoring.runs import MONITOR_LOCK_KEY
from oversight.tests.ops_support import make_operator

pytestmark = pytest.mark.django_db

RUN = reverse("ops-health-run")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_an_operator_on_a_fresh_install_gets_a_verdict_in_one_click(client, make_user):
    client.force_login(make_operator(make_user("otto")))
    before = client.get(reverse("ops-health")).content.decode()
    assert "No monitor run has been recorded yet." in before

    answer = client.post(RUN, follow=True)

    assert answer.redirect_chain == [(reverse("ops-health"), 302)]
    assert messages_of(answer) == ["The check ran now: healthy. Its result is the last run below."]
    html = answer.content.decode()
    assert "No monitor run has been recorded yet." not in html
    assert 'id="health-score">100/100' in html
    [stored] = MonitorSnapshot.objects.all()
    assert stored.status == "healthy"


@pytest.mark.parametrize("role", ["anonymous", "player", "staff"])
def test_nobody_but_an_operator_starts_a_run(client, make_user, role):
    if role != "anonymous":
        client.force_login(make_user(role, is_staff=role == "staff"))
    answer = client.post(RUN)
    assert answer.status_code == (302 if role == "anonymous" else 404)
    assert not MonitorSnapshot.objects.exists()


def test_the_button_is_a_post_only(client, make_user):
    client.force_login(make_operator(make_user("otto")))
    assert client.get(RUN).status_code == 405
    assert not MonitorSnapshot.objects.exists()


@pytest.mark.postgres
def test_a_run_already_going_starts_no_second_one(client, make_user, other_session):
    client.force_login(make_operator(make_user("otto")))
    with other_session.cursor() as cursor:  # a cron run holds the monitor's lock
        cursor.execute("SELECT pg_advisory_lock(%s)", [MONITOR_LOCK_KEY])

    answer = client.post(RUN, follow=True)

    assert messages_of(answer) == [
        "A monitor run is going on right now; its result shows here once it ends."
    ]
    assert not MonitorSnapshot.objects.exists()
    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [MONITOR_LOCK_KEY])
