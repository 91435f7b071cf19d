"""Game admin forms: a broken rule is a form error (status 200), never a server error."""

import pytest
from django.urls import reverse

from characters.tests.admin_forms import change_form_data
from game.models import Gameline, Scene, STRelationship

pytestmark = pytest.mark.django_db

DUPLICATE = "This user is already a storyteller of that game line in this chronicle."


@pytest.fixture
def vampire():
    return Gameline.objects.get(short_name="vtm")


def test_adding_a_duplicate_storyteller_relationship_is_a_form_error(
    admin_client, storyteller, chronicle, vampire
):
    STRelationship.objects.create(user=storyteller, chronicle=chronicle, gameline=vampire)
    url = reverse("admin:game_strelationship_add")
    data = change_form_data(
        admin_client, url, user=storyteller.pk, chronicle=chronicle.pk, gameline=vampire.pk
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [DUPLICATE]
    assert DUPLICATE in response.content.decode()
    assert STRelationship.objects.count() == 1


def test_changing_a_relationship_into_a_duplicate_is_a_form_error(
    admin_client, storyteller, chronicle, vampire
):
    STRelationship.objects.create(user=storyteller, chronicle=chronicle, gameline=vampire)
    other = STRelationship.objects.create(
        user=storyteller, chronicle=chronicle, gameline=Gameline.objects.get(short_name="wta")
    )
    url = reverse("admin:game_strelationship_change", args=[other.pk])
    data = change_form_data(admin_client, url, gameline=vampire.pk)

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [DUPLICATE]
    other.refresh_from_db()
    assert other.gameline.short_name == "wta"


def test_a_duplicate_in_the_chronicle_inline_is_a_form_error(
    admin_client, storyteller, chronicle, vampire
):
    url = reverse("admin:game_chronicle_change", args=[chronicle.pk])
    data = change_form_data(admin_client, url)
    data.update(
        {
            "st_relationships-TOTAL_FORMS": "2",
            "st_relationships-INITIAL_FORMS": "0",
            "st_relationships-0-user": storyteller.pk,
            "st_relationships-0-gameline": vampire.pk,
            "st_relationships-1-user": storyteller.pk,
            "st_relationships-1-gameline": vampire.pk,
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "Please correct the duplicate data" in response.content.decode()
    assert STRelationship.objects.count() == 0


@pytest.fixture
def awarded_scene(chronicle, make_human):
    scene = Scene.objects.create(chronicle=chronicle, name="Elysium", finished=True)
    ada = make_human()
    scene.participants.add(ada)
    scene.award_xp({ada: 2})
    return scene


def test_unfinishing_a_scene_whose_xp_was_given_is_a_form_error(admin_client, awarded_scene):
    url = reverse("admin:game_scene_change", args=[awarded_scene.pk])
    data = change_form_data(admin_client, url, finished=False)

    response = admin_client.post(url, data)

    message = "Scene XP can only be given once the scene is finished."
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [message]
    assert message in response.content.decode()
    awarded_scene.refresh_from_db()
    assert (awarded_scene.finished, awarded_scene.xp_given) == (True, True)


def test_xp_given_cannot_be_ticked_in_the_admin(admin_client, chronicle):
    scene = Scene.objects.create(chronicle=chronicle, name="Elysium", finished=True)
    url = reverse("admin:game_scene_change", args=[scene.pk])
    data = change_form_data(admin_client, url, xp_given=True, name="Elysium, night two")

    response = admin_client.post(url, data)

    assert response.status_code == 302
    scene.refresh_from_db()
    assert (scene.name, scene.xp_given, scene.xp_awarded_at) == ("Elysium, night two", False, None)


def test_a_scene_edit_saves_participants_and_keeps_the_award(
    admin_client, awarded_scene, make_human
):
    bram = make_human("Bram")
    url = reverse("admin:game_scene_change", args=[awarded_scene.pk])
    participants = list(awarded_scene.participants.values_list("pk", flat=True)) + [bram.pk]
    data = change_form_data(admin_client, url, participants=participants)

    response = admin_client.post(url, data)

    assert response.status_code == 302
    awarded_scene.refresh_from_db()
    assert awarded_scene.xp_given
    assert set(awarded_scene.participants.values_list("name", flat=True)) == {"Ada", "Bram"}
