"""The operations page as an operator reads it: per XP operation, over the chosen hours,
the outcomes, rates and times the monitor measures, the refusal codes, the rollbacks and
the slowest operations — and a clear answer to a period it cannot show."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from core.models import Operation, OperationRecord, Outcome
from oversight.tests.ops_support import make_operator, table_rows

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

URL = reverse("ops-operations")
HEADER = [
    "Operation",
    "Total",
    "Succeeded",
    "Refused",
    "Constraint violations",
    "Deadlocks",
    "Errors",
    "Success",
    "Rollbacks",
    "Median",
    "p95",
    "Max",
]


@pytest.fixture
def operator(client, make_user):
    user = make_operator(make_user("otto"))
    client.force_login(user)
    return user


def record(operation, outcome, ms, *, hours_ago=1.0, code="", character_id=None, scene_id=None):
    return OperationRecord.objects.create(
        operation=operation,
        outcome=outcome,
        code=code,
        duration_ms=ms,
        character_id=character_id,
        scene_id=scene_id,
        created_at=timezone.now() - timedelta(hours=hours_ago),
    )


@pytest.fixture
def day(db):
    """A day of XP operations, and one older than the default 24 hours."""
    for ms in (10, 20, 30, 40):
        record(Operation.XP_SPEND, Outcome.SUCCESS, ms)
    record(Operation.XP_SPEND, Outcome.REJECTED, 2, code="insufficient_xp")
    record(Operation.XP_SPEND, Outcome.REJECTED, 3, code="insufficient_xp")
    record(Operation.XP_SPEND, Outcome.REJECTED, 1, code="trait_at_maximum")
    record(Operation.XP_APPROVE, Outcome.SUCCESS, 15)
    record(Operation.XP_APPROVE, Outcome.DEADLOCK, 900, code="DeadlockDetected", character_id=7)
    record(Operation.SCENE_AWARD, Outcome.ERROR, 1200, code="OperationalError", scene_id=3)
    record(
        Operation.XP_DENY, Outcome.CONSTRAINT_VIOLATION, 25, code="IntegrityError", character_id=8
    )
    record(Operation.XP_SPEND, Outcome.SUCCESS, 5000, hours_ago=30)  # outside 24 h


def page(client, query="", status=200) -> str:
    response = client.get(URL + query)
    assert response.status_code == status
    return response.content.decode()


def test_each_operation_shows_its_outcomes_rates_and_times(client, operator, day):
    """Times are over every outcome; success is among successes and failures (refusals
    are not failures); rollbacks among all."""
    rows = table_rows(page(client), "outcomes")

    assert rows[0] == HEADER
    by_op = {row[0]: " ".join(row[1:]) for row in rows[1:]}
    # total, ok, refused, violations, deadlocks, errors, success, rollbacks, median, p95, max
    assert by_op["XP spend"] == "7 4 3 0 0 0 100.0% 0.0% 10.0 37.0 40.0"
    assert by_op["XP approve"] == "2 1 0 0 1 0 50.0% 50.0% 457.5 855.8 900.0"
    assert by_op["Scene XP award"] == "1 0 0 0 0 1 0.0% 100.0% 1200.0 1200.0 1200.0"
    assert by_op["XP deny"] == "1 0 0 1 0 0 0.0% 100.0% 25.0 25.0 25.0"
    assert by_op["XP adjustment"] == "0 0 0 0 0 0 – – – – –"
    assert by_op["All operations"] == "11 5 3 1 1 1 62.5% 27.27% deadlocks per day: 1.0"


def test_refusal_codes_are_counted_apart_from_rollbacks(client, operator, day):
    html = page(client)

    assert table_rows(html, "refusals") == [
        ["Operation", "Code", "Count"],
        ["XP spend", "insufficient_xp", "2"],
        ["XP spend", "trait_at_maximum", "1"],
    ]
    assert sorted(table_rows(html, "rollbacks")[1:]) == [
        ["Scene XP award", "Error", "OperationalError", "1"],
        ["XP approve", "Deadlock", "DeadlockDetected", "1"],
        ["XP deny", "Constraint violation", "IntegrityError", "1"],
    ]


def test_the_slowest_come_first_with_their_character_or_scene_in_the_admin(client, operator, day):
    html = page(client)

    rows = table_rows(html, "slowest")
    assert [row[1:5] for row in rows[1:4]] == [
        ["Scene XP award", "Error", "OperationalError", "1200.0"],
        ["XP approve", "Deadlock", "DeadlockDetected", "900.0"],
        ["XP spend", "Success", "–", "40.0"],
    ]
    assert len(rows) == 1 + 11
    assertInHTML('<a href="/admin/game/scene/3/change/">#3</a>', html)
    assertInHTML('<a href="/admin/characters/character/7/change/">#7</a>', html)


def test_a_longer_period_takes_older_operations_in(client, operator, day):
    html = page(client, "?hours=48")

    by_op = {row[0]: row[1:] for row in table_rows(html, "outcomes")[1:]}
    assert by_op["XP spend"][:2] == ["8", "5"]
    assert "Every XP operation recorded in the last 48 hour(s)" in html
    assert table_rows(html, "slowest")[1][1:5] == ["XP spend", "Success", "–", "5000.0"]


def test_a_quiet_period_says_so(client, operator):
    html = page(client, "?hours=1")
    assert "No refusals in this period." in html
    assert "No rollbacks in this period." in html
    assert "No operation recorded in this period." in html


@pytest.mark.parametrize("hours", ["0", "721", "-3", "abc", "1.5", "1e3", "99999999999999999999"])
def test_a_period_out_of_bounds_is_a_clear_400_not_a_500(client, operator, day, hours):
    html = page(client, f"?hours={hours}", status=400)

    assert "Choose a period of 1 to 720 hours, as a whole number." in html
    assert 'id="outcomes"' not in html


@pytest.mark.parametrize("hours", ["1", "720"])
def test_the_bounds_themselves_are_accepted(client, operator, day, hours):
    assert f"in the last {hours} hour(s)" in page(client, f"?hours={hours}")


def test_5_or_500_operations_cost_the_same_queries(client, operator):
    def grow(total):
        OperationRecord.objects.bulk_create(
            OperationRecord(
                operation=Operation.values[n % len(Operation.values)],
                outcome=Outcome.values[n % len(Outcome.values)],
                code=f"code{n % 3}",
                duration_ms=n % 97,
                created_at=timezone.now() - timedelta(minutes=n),
            )
            for n in range(OperationRecord.objects.count(), total)
        )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    grow(5)
    small = queries()
    grow(500)
    large = queries()

    assert small == large <= 10
