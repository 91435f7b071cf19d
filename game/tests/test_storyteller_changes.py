"""Storyteller changes are recorded: by ``record_storyteller_change`` (for the pages), and
by every admin path that adds, edits or removes a storyteller or moves the head role."""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from game.models import (
    Gameline,
    StorytellerChange,
    STRelationship,
    record_storyteller_change,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def vtm():
    return Gameline.objects.get(short_name="vtm")


@pytest.fixture
def wta():
    return Gameline.objects.get(short_name="wta")


def rows():
    return list(
        StorytellerChange.objects.order_by("pk").values_list(
            "chronicle__name", "user__username", "gameline__short_name", "action", "by__username"
        )
    )


def test_record_storyteller_change_writes_one_row(chronicle, storyteller, make_user, vtm):
    ash = make_user("ash")

    change = record_storyteller_change(
        chronicle=chronicle, user=ash, gameline=vtm, action="added", by=storyteller, note="Hi"
    )

    assert rows() == [("Chicago by Night", "ash", "vtm", "added", "sophia_st")]
    assert change.note == "Hi"
    assert str(change) == "Chicago by Night: ash added (Vampire: the Masquerade)"


def test_an_unknown_action_is_refused_in_python_and_in_the_database(chronicle, storyteller):
    with pytest.raises(ValueError, match="'promoted' is not a storyteller action"):
        record_storyteller_change(chronicle=chronicle, user=storyteller, action="promoted")
    with pytest.raises(IntegrityError):
        StorytellerChange.objects.create(chronicle=chronicle, user=storyteller, action="promoted")


def test_adding_a_storyteller_in_the_admin_is_recorded(admin_client, chronicle, make_user, vtm):
    ash = make_user("ash")

    response = admin_client.post(
        reverse("admin:game_strelationship_add"),
        {"user": ash.pk, "chronicle": chronicle.pk, "gameline": vtm.pk},
    )

    assert response.status_code == 302
    assert STRelationship.objects.filter(user=ash).count() == 1
    assert rows() == [("Chicago by Night", "ash", "vtm", "added", "admin")]
    assert StorytellerChange.objects.get().note == "In the admin."


def test_moving_a_relationship_to_another_line_records_a_removal_and_an_addition(
    admin_client, chronicle, make_user, vtm, wta
):
    ash = make_user("ash")
    relation = STRelationship.objects.create(user=ash, chronicle=chronicle, gameline=vtm)

    admin_client.post(
        reverse("admin:game_strelationship_change", args=[relation.pk]),
        {"user": ash.pk, "chronicle": chronicle.pk, "gameline": wta.pk},
    )

    assert rows() == [
        ("Chicago by Night", "ash", "vtm", "removed", "admin"),
        ("Chicago by Night", "ash", "wta", "added", "admin"),
    ]


def test_saving_a_relationship_unchanged_records_nothing(admin_client, chronicle, make_user, vtm):
    ash = make_user("ash")
    relation = STRelationship.objects.create(user=ash, chronicle=chronicle, gameline=vtm)

    admin_client.post(
        reverse("admin:game_strelationship_change", args=[relation.pk]),
        {"user": ash.pk, "chronicle": chronicle.pk, "gameline": vtm.pk},
    )

    assert rows() == []


def test_deleting_a_storyteller_in_the_admin_is_recorded(admin_client, chronicle, make_user, vtm):
    ash = make_user("ash")
    relation = STRelationship.objects.create(user=ash, chronicle=chronicle, gameline=vtm)

    response = admin_client.post(
        reverse("admin:game_strelationship_delete", args=[relation.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not STRelationship.objects.exists()
    assert rows() == [("Chicago by Night", "ash", "vtm", "removed", "admin")]


def test_deleting_several_with_the_admin_action_records_each(
    admin_client, chronicle, make_user, vtm, wta
):
    ash, bo = make_user("ash"), make_user("bo")
    selected = [
        STRelationship.objects.create(user=ash, chronicle=chronicle, gameline=vtm).pk,
        STRelationship.objects.create(user=bo, chronicle=chronicle, gameline=wta).pk,
    ]

    admin_client.post(
        reverse("admin:game_strelationship_changelist"),
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )

    assert not STRelationship.objects.exists()
    assert sorted(rows()) == [
        ("Chicago by Night", "ash", "vtm", "removed", "admin"),
        ("Chicago by Night", "bo", "wta", "removed", "admin"),
    ]


def _chronicle_form(chronicle, head, inline_rows=(), initial=0):
    data = {
        "name": chronicle.name,
        "head_st": head.pk,
        "description": "",
        "st_relationships-TOTAL_FORMS": len(inline_rows),
        "st_relationships-INITIAL_FORMS": initial,
        "st_relationships-MIN_NUM_FORMS": 0,
        "st_relationships-MAX_NUM_FORMS": 1000,
    }
    for n, row in enumerate(inline_rows):
        for key, value in row.items():
            data[f"st_relationships-{n}-{key}"] = value
        data[f"st_relationships-{n}-chronicle"] = chronicle.pk
    return data


def test_the_chronicle_inline_records_additions_and_deletions(
    admin_client, chronicle, storyteller, make_user, vtm, wta
):
    ash, bo = make_user("ash"), make_user("bo")
    leaving = STRelationship.objects.create(user=ash, chronicle=chronicle, gameline=vtm)
    url = reverse("admin:game_chronicle_change", args=[chronicle.pk])

    response = admin_client.post(
        url,
        _chronicle_form(
            chronicle,
            storyteller,
            [
                {"id": leaving.pk, "user": ash.pk, "gameline": vtm.pk, "DELETE": "on"},
                {"id": "", "user": bo.pk, "gameline": wta.pk},
            ],
            initial=1,
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(STRelationship.objects.values_list("user__username", flat=True)) == ["bo"]
    assert rows() == [
        ("Chicago by Night", "ash", "vtm", "removed", "admin"),
        ("Chicago by Night", "bo", "wta", "added", "admin"),
    ]


def test_a_new_head_storyteller_is_recorded_as_a_head_transfer(
    admin_client, chronicle, storyteller, make_user
):
    helena = make_user("helena")

    admin_client.post(
        reverse("admin:game_chronicle_change", args=[chronicle.pk]),
        _chronicle_form(chronicle, helena),
    )

    assert rows() == [("Chicago by Night", "helena", None, "head_transferred", "admin")]
    assert StorytellerChange.objects.get().note == (
        "In the admin. Previous head storyteller: sophia_st."
    )
    assert StorytellerChange.objects.get().get_action_display() == "Head role transferred"


def test_renaming_a_chronicle_records_no_storyteller_change(admin_client, chronicle, storyteller):
    data = _chronicle_form(chronicle, storyteller) | {"name": "Chicago Nights"}

    admin_client.post(reverse("admin:game_chronicle_change", args=[chronicle.pk]), data)

    assert rows() == []
