"""Two storytellers batch-deciding overlapping selections at the same moment, on
PostgreSQL with real threads: every request is decided exactly once, XP is conserved,
and each summary names what the other decided."""

import pytest
from django.db.models import Sum

from characters.models import Human
from characters.traits import ABILITIES
from game.models import Gameline, STRelationship, XPLedgerEntry, XPSpendingRequest
from game.operations.decisions import decide_requests
from game.tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(3))
def test_overlapping_batches_decide_each_request_once(make_human, make_user, chronicle, round_):
    head = chronicle.head_st
    assistant = make_user("ash")
    # A transactional test flushes the game lines the migration loaded: make one.
    vampire, _ = Gameline.objects.get_or_create(
        short_name="vtm", defaults={"name": "Vampire: the Masquerade"}
    )
    STRelationship.objects.create(user=assistant, chronicle=chronicle, gameline=vampire)
    ada = make_human(xp=100)
    requests = [ada.spend_xp(spec.name) for spec in ABILITIES[:9]]
    ids = [r.pk for r in requests]

    (approved, error_a), (denied, error_b) = run_together(
        lambda: decide_requests(user=head, request_ids=ids[:6], approve=True),
        lambda: decide_requests(user=assistant, request_ids=ids[3:], approve=False, reason="No"),
    )

    assert (error_a, error_b) == (None, None)
    done = [r.pk for r in approved.done] + [r.pk for r in denied.done]
    assert sorted(done) == ids, "every request decided exactly once"
    overlap = set(ids[3:6])
    for summary, other in ((approved, "ash"), (denied, "sophia_st")):
        for request, message in summary.already:
            assert request.pk in overlap
            assert f"by {other} on " in message
    assert len(approved.already) + len(denied.already) == len(overlap)
    statuses = dict(XPSpendingRequest.objects.values_list("pk", "status"))
    assert {statuses[r.pk] for r in approved.done} == {"Approved"}
    assert {statuses[r.pk] for r in denied.done} == {"Denied"}
    ada = Human.objects.get(pk=ada.pk)
    ledger = XPLedgerEntry.objects.filter(character=ada).aggregate(s=Sum("amount"))["s"]
    spent = sum(r.cost for r in approved.done)
    assert ada.xp == ledger == 100 - spent
