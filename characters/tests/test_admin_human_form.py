"""The Human admin: invalid input is a form error (status 200), never a server error."""

import pytest
from django.contrib import admin
from django.db.models import Sum
from django.test import RequestFactory
from django.urls import reverse

from characters.admin import HumanAdmin
from characters.models import Character, Human
from characters.traits import ABILITIES, ATTRIBUTES, TEMPORARY_WILLPOWER, WILLPOWER
from game.models import XPLedgerEntry

from .admin_forms import change_form_data

pytestmark = pytest.mark.django_db


def change_url(character) -> str:
    return reverse("admin:characters_human_change", args=[character.pk])


def ledger_sum(character) -> int:
    return XPLedgerEntry.objects.filter(character=character).aggregate(s=Sum("amount"))["s"] or 0


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


def test_an_xp_change_made_while_the_form_is_saved_is_kept(admin_user, make_human, storyteller):
    """The admin writes only the edited fields, so it cannot undo a concurrent XP change."""
    ada = make_human(xp=5)
    request = RequestFactory().post("/")
    request.user = admin_user
    model_admin = admin.site.get_model_admin(Human)
    stale = Human.objects.get(pk=ada.pk)
    form_class = model_admin.get_form(request, stale, change=True)
    data = {
        name: getattr(stale, name + "_id", getattr(stale, name, None))
        for name in form_class.base_fields
    }
    form = form_class({**data, "concept": "Archivist"}, instance=stale)
    assert form.is_valid(), form.errors

    Character.objects.get(pk=ada.pk).add_xp(3, by=storyteller, note="Scene bonus")
    model_admin.save_model(request, form.save(commit=False), form, change=True)

    ada.refresh_from_db()
    assert (ada.xp, ada.concept) == (8, "Archivist")
    assert ledger_sum(ada) == 8


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
