"""The Human admin: invalid input is a form error (status 200), never a server error."""

import pytest
from django.urls import reverse

from characters.admin import HumanAdmin
from characters.models import Character, Human
from characters.tests.admin_forms import change_form_data
from characters.traits import ABILITIES, ATTRIBUTES, TEMPORARY_WILLPOWER, WILLPOWER
from tests.support import ledger_sum

pytestmark = pytest.mark.django_db


def change_url(character) -> str:
    return reverse("admin:characters_human_change", args=[character.pk])


def test_strength_eleven_is_a_form_error_and_changes_nothing(admin_client, make_human):
    ada = make_human(strength=3)
    data = change_form_data(admin_client, change_url(ada), strength=11)

    response = admin_client.post(change_url(ada), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "strength": ["Ensure this value is less than or equal to 10."]
    }
    assert "Ensure this value is less than or equal to 10." in response.content.decode()
    ada.refresh_from_db()
    assert ada.strength == 3


def test_ability_below_zero_is_a_form_error(admin_client, make_human):
    ada = make_human()
    data = change_form_data(admin_client, change_url(ada), brawl=-1)

    response = admin_client.post(change_url(ada), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "brawl": ["Ensure this value is greater than or equal to 0."]
    }


def test_deceased_to_approved_is_a_form_error_naming_the_states(admin_client, make_human):
    ada = make_human(status="Dec")
    data = change_form_data(admin_client, change_url(ada), status="App")

    response = admin_client.post(change_url(ada), data)

    message = (
        "A character cannot go from Deceased to Approved: Deceased is final, "
        "no status change is allowed."
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"status": [message]}
    assert message in response.content.decode()
    assert Character.objects.get(pk=ada.pk).status == "Dec"


def test_unfinished_to_approved_error_lists_the_allowed_targets(admin_client, make_human):
    ada = make_human(status="Un")
    data = change_form_data(admin_client, change_url(ada), status="App")

    response = admin_client.post(change_url(ada), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "status": [
            "A character cannot go from Unfinished to Approved. "
            "Allowed from Unfinished: Submitted, Retired."
        ]
    }


def test_temporary_willpower_above_willpower_is_a_form_error(admin_client, make_human):
    ada = make_human(willpower=4, temporary_willpower=4)
    data = change_form_data(admin_client, change_url(ada), temporary_willpower=5)

    response = admin_client.post(change_url(ada), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Temporary willpower cannot exceed permanent willpower."
    ]
    assert "Temporary willpower cannot exceed permanent willpower." in response.content.decode()
    ada.refresh_from_db()
    assert (ada.willpower, ada.temporary_willpower) == (4, 4)


def test_a_legal_edit_saves_and_redirects(admin_client, make_human):
    ada = make_human(status="App", strength=2)
    data = change_form_data(admin_client, change_url(ada), status="Ret", strength=4)

    response = admin_client.post(change_url(ada), data)

    assert response.status_code == 302
    ada.refresh_from_db()
    assert (ada.status, ada.strength) == ("Ret", 4)


def test_xp_posted_in_the_form_is_ignored(admin_client, make_human):
    ada = make_human(xp=7)
    data = change_form_data(admin_client, change_url(ada), xp=999, concept="Librarian")

    response = admin_client.post(change_url(ada), data)

    assert response.status_code == 302
    ada.refresh_from_db()
    assert (ada.xp, ada.concept) == (7, "Librarian")
    assert ledger_sum(ada) == 7


def test_xp_is_shown_read_only_with_the_reason(admin_client, make_human):
    ada = make_human(xp=7)

    response = admin_client.get(change_url(ada))

    form = response.context["adminform"].form
    assert form.fields["xp"].disabled
    assert "XP changes only through ledgered operations" in form.fields["xp"].help_text
    assert "XP changes only through ledgered operations" in response.content.decode()


def test_status_help_lists_the_allowed_targets(admin_client, make_human):
    ada = make_human(status="App")

    response = admin_client.get(change_url(ada))

    assert "Allowed from Approved: Retired, Deceased." in response.content.decode()


STALE = (
    "Ada was changed by someone else since you opened it (an XP decision, a status change "
    "or another edit). Nothing was saved: reload it and make your change again."
)


def test_a_form_opened_before_an_approval_is_refused_and_the_dot_stays(
    admin_client, make_human, storyteller
):
    """The storyteller opened Ada's page, another approved her Brawl, then the first saved
    a new concept: the old Brawl must not be written back."""
    ada = make_human(xp=10, brawl=1)
    data = change_form_data(admin_client, change_url(ada), concept="Archivist")
    request = ada.spend_xp("brawl")
    Human.objects.get(pk=ada.pk).approve_xp_spend(request.pk, "brawl", 2, storyteller)

    response = admin_client.post(change_url(ada), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [STALE]
    assert STALE in response.content.decode()
    ada.refresh_from_db()
    assert (ada.brawl, ada.xp, ada.concept) == (2, 8, "")
    assert ledger_sum(ada) == 8


def test_a_form_opened_before_a_retirement_cannot_undo_it(admin_client, make_human):
    ada = make_human(xp=0)
    data = change_form_data(admin_client, change_url(ada), concept="Back in play")
    retiring = Human.objects.get(pk=ada.pk)
    retiring.status = "Ret"
    retiring.save()

    response = admin_client.post(change_url(ada), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [STALE]
    ada.refresh_from_db()
    assert (ada.status, ada.concept) == ("Ret", "")


def test_reloading_after_the_refusal_saves(admin_client, make_human, storyteller):
    ada = make_human(xp=10)
    stale = change_form_data(admin_client, change_url(ada), concept="Archivist")
    Character.objects.get(pk=ada.pk).add_xp(3, by=storyteller, note="Scene bonus")
    assert admin_client.post(change_url(ada), stale).status_code == 200

    fresh = change_form_data(admin_client, change_url(ada), concept="Archivist")
    response = admin_client.post(change_url(ada), fresh)

    assert response.status_code == 302
    ada.refresh_from_db()
    assert (ada.xp, ada.concept) == (13, "Archivist")
    assert ledger_sum(ada) == 13


def test_a_character_with_xp_history_cannot_be_deleted_and_the_admin_says_why(
    admin_client, make_human
):
    ada = make_human(xp=4)
    url = reverse("admin:characters_human_delete", args=[ada.pk])

    response = admin_client.post(url, {"post": "yes"}, follow=True)

    assert Human.objects.filter(pk=ada.pk).exists()
    assert (
        "Ada has XP history (ledger entries or XP requests) and cannot be deleted: retire it "
        "instead, so its history stays."
    ) in response.content.decode()


def test_a_character_without_history_can_be_deleted(admin_client, make_human):
    ada = make_human(xp=0)
    url = reverse("admin:characters_human_delete", args=[ada.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Character.objects.filter(pk=ada.pk).exists()


def test_fieldsets_show_every_trait_once_grouped_as_in_the_trait_list():
    fieldsets = HumanAdmin.fieldsets
    titles = [title for title, _ in fieldsets]
    shown = [
        name
        for _, options in fieldsets
        for row in options["fields"]
        for name in (row if isinstance(row, tuple) else (row,))
    ]

    assert len(shown) == len(set(shown))
    for spec in (*ATTRIBUTES, *ABILITIES, WILLPOWER, TEMPORARY_WILLPOWER):
        assert spec.name in shown
    assert titles == [
        None,
        "Physical attributes",
        "Social attributes",
        "Mental attributes",
        "Talents",
        "Skills",
        "Knowledges",
        "Advantages",
        "Age",
    ]
    editable = {f.name for f in Human._meta.get_fields() if getattr(f, "editable", False)}
    editable -= {"id", "character_ptr", "created_at", "updated_at"}
    assert set(shown) == editable


def test_the_add_form_creates_a_character_with_zero_xp(admin_client, player, chronicle):
    url = reverse("admin:characters_human_add")
    data = change_form_data(
        admin_client, url, name="Mina", owner=player.pk, chronicle=chronicle.pk, xp=50
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302
    mina = Human.objects.get(name="Mina")
    assert (mina.xp, mina.status, mina.strength, mina.willpower) == (0, "Un", 1, 3)


def test_changelist_searches_and_filters(admin_client, make_human):
    make_human("Ada Vance", status="App")
    make_human("Bram Stoke", status="Dec")

    response = admin_client.get(
        reverse("admin:characters_human_changelist"), {"q": "vance", "status__exact": "App"}
    )

    assert response.status_code == 200
    names = [c.name for c in response.context["cl"].result_list]
    assert names == ["Ada Vance"]


def test_the_character_admin_refuses_the_same_moves(admin_client, make_human):
    ada = make_human(status="Dec")
    url = reverse("admin:characters_character_change", args=[ada.pk])
    data = change_form_data(admin_client, url, status="App")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "status": [
            "A character cannot go from Deceased to Approved: Deceased is final, "
            "no status change is allowed."
        ]
    }
    assert Character.objects.get(pk=ada.pk).status == "Dec"
