"""Every model is in the admin; the audit trail and the ledger can be read, never edited."""

import uuid

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from core.models import IntegrityFix, MonitorSnapshot, OperationRecord
from game.models import (
    SpendStatus,
    StorytellerChange,
    XPLedgerEntry,
    XPSpendingRequest,
    record_storyteller_change,
)

pytestmark = pytest.mark.django_db

READ_ONLY = [
    XPLedgerEntry,
    XPSpendingRequest,
    OperationRecord,
    IntegrityFix,
    MonitorSnapshot,
    StorytellerChange,
]


def url(model, view, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def records(make_human, storyteller, chronicle):
    """One row of each read-only model (the XP operations write the first three)."""
    ada = make_human(xp=10, brawl=1)
    ada.spend_xp("brawl", "Brawl", 2, "ability")
    IntegrityFix.objects.create(
        run_id=uuid.uuid4(),
        check_name="trait_range",
        model="characters.Human",
        object_id=ada.pk,
        field="strength",
        old_value="11",
        new_value="10",
    )
    MonitorSnapshot.objects.create(health_score=100, status="healthy", report={})
    record_storyteller_change(
        chronicle=chronicle, user=storyteller, action="head_transferred", note="founded"
    )
    return {model: model.objects.first() for model in READ_ONLY}


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m.__name__)
def test_every_changelist_renders_and_searches(admin_client, records, model):
    model_admin = admin.site._registry[model]
    params = {"q": "a"} if model_admin.search_fields else {}

    response = admin_client.get(url(model, "changelist"), params)

    assert response.status_code == 200


def test_every_model_of_tg_is_registered():
    ours = [
        m
        for app in ("characters", "game", "core", "notifications")
        for m in apps.get_app_config(app).get_models()
    ]

    assert [m.__name__ for m in ours if m not in admin.site._registry] == []


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_read_only_models_can_be_viewed_but_not_added_changed_or_deleted(
    admin_client, records, model
):
    row = records[model]
    before = model.objects.count()

    view = admin_client.get(url(model, "change", row.pk))
    add = admin_client.get(url(model, "add"))
    change = admin_client.post(url(model, "change", row.pk), {})
    delete = admin_client.post(url(model, "delete", row.pk), {"post": "yes"})

    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert model.objects.count() == before


def test_approving_a_request_from_the_admin_runs_the_operation(admin_client, records):
    request = records[XPSpendingRequest]

    response = admin_client.post(
        url(XPSpendingRequest, "changelist"),
        {"action": "approve_requests", "_selected_action": [request.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 request(s) approved." in response.content.decode()
    request.refresh_from_db()
    assert request.status == SpendStatus.APPROVED
    assert request.character.human.brawl == 2


def test_denying_a_request_from_the_admin_refunds_it(admin_client, records):
    request = records[XPSpendingRequest]

    admin_client.post(
        url(XPSpendingRequest, "changelist"),
        {"action": "deny_requests", "_selected_action": [request.pk]},
    )

    request.refresh_from_db()
    assert request.status == SpendStatus.DENIED
    assert request.character.xp == 10
    assert XPLedgerEntry.objects.filter(spend_request=request, kind="refund").count() == 1


def test_a_decided_request_is_skipped_by_the_actions(admin_client, records):
    request = records[XPSpendingRequest]
    changelist = url(XPSpendingRequest, "changelist")
    admin_client.post(changelist, {"action": "deny_requests", "_selected_action": [request.pk]})

    response = admin_client.post(
        changelist,
        {"action": "approve_requests", "_selected_action": [request.pk]},
        follow=True,
    )

    assert "1 request(s) skipped: already decided." in response.content.decode()
    request.refresh_from_db()
    assert request.status == SpendStatus.DENIED


def test_a_refused_approval_is_shown_as_an_error_message(admin_client, records):
    request = records[XPSpendingRequest]
    human = request.character.human
    human.brawl = 2
    human.save(update_fields=["brawl"])

    response = admin_client.post(
        url(XPSpendingRequest, "changelist"),
        {"action": "approve_requests", "_selected_action": [request.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Brawl is now 2, but this request was made when it was 1" in (response.content.decode())
    request.refresh_from_db()
    assert request.status == SpendStatus.PENDING
