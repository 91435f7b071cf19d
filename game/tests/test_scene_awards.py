"""Scene XP: awarded once, to participants of a finished scene, all or nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from characters.models import ConcurrentEdit
from game.models import LedgerKind, Scene, XPLedgerEntry

pytestmark = [pytest.mark.django_db, pytest.mark.dates]


@pytest.fixture
def cast(make_human):
    return [make_human(name=n, xp=1) for n in ("Ada", "Bea", "Cy")]


@pytest.fixture
def scene(chronicle, cast):
    scene = Scene.objects.create(
        chronicle=chronicle, name="The Elysium", finished=True, finished_at=timezone.now()
    )
    scene.participants.set(cast)
    return scene


def balances(characters):
    return [type(c).objects.get(pk=c.pk).xp for c in characters]


def test_true_gives_one_xp_false_gives_none(scene, cast):
    ada, bea, cy = cast
    assert scene.award_xp({ada: True, bea: False, cy: True}) == 2
    assert balances(cast) == [2, 1, 2]
    scene.refresh_from_db()
    assert scene.xp_given and scene.xp_awarded_at is not None
    assert XPLedgerEntry.objects.filter(scene=scene, kind=LedgerKind.AWARD).count() == 2


def test_integer_awards_up_to_the_maximum(scene, cast, storyteller):
    ada, bea, cy = cast
    assert scene.award_xp({ada: 5, bea: 0, cy: 3}, awarded_by=storyteller) == 2
    assert balances(cast) == [6, 1, 4]
    assert set(XPLedgerEntry.objects.filter(scene=scene).values_list("created_by", flat=True)) == {
        storyteller.pk
    }


@pytest.mark.parametrize("amount", [6, -1, 2.0, "1", None])
def test_amounts_outside_zero_to_max_are_refused(scene, cast, amount):
    with pytest.raises(ValidationError) as info:
        scene.award_xp({cast[0]: 1, cast[1]: amount})
    assert info.value.code == "invalid_amount"
    assert "from 0 to 5" in info.value.messages[0]
    assert balances(cast) == [1, 1, 1]
    scene.refresh_from_db()
    assert not scene.xp_given


@override_settings(TG_MAX_SCENE_XP=2)
def test_the_maximum_is_a_setting(scene, cast):
    with pytest.raises(ValidationError):
        scene.award_xp({cast[0]: 3})
    assert scene.award_xp({cast[0]: 2}) == 1


def test_a_second_award_is_refused_and_changes_nothing(scene, cast):
    scene.award_xp(dict.fromkeys(cast, True))
    with pytest.raises(ValidationError) as info:
        scene.award_xp(dict.fromkeys(cast, 5))
    assert info.value.code == "xp_already_given"
    assert "was already awarded on" in info.value.messages[0]
    assert balances(cast) == [2, 2, 2]


def test_an_unfinished_scene_awards_nothing(scene, cast):
    Scene.objects.filter(pk=scene.pk).update(finished=False)
    with pytest.raises(ValidationError) as info:
        scene.award_xp({cast[0]: True})
    assert info.value.code == "scene_not_finished"
    assert balances(cast) == [1, 1, 1]


def test_only_participants_receive_xp_and_the_award_is_all_or_nothing(scene, cast, make_human):
    stranger = make_human(name="Zed", xp=0)
    with pytest.raises(ValidationError) as info:
        scene.award_xp({cast[0]: True, stranger: True})
    assert info.value.code == "not_participant"
    assert info.value.messages == ["Only participants of “The Elysium” can receive its XP: Zed."]
    assert balances([*cast, stranger]) == [1, 1, 1, 0]
    scene.refresh_from_db()
    assert not scene.xp_given


def test_awards_accept_character_ids(scene, cast):
    assert scene.award_xp({cast[0].pk: 2}) == 1
    assert balances(cast) == [3, 1, 1]


def test_only_storytellers_of_the_chronicle_may_award(scene, cast, player):
    with pytest.raises(PermissionDenied):
        scene.award_xp({cast[0]: True}, awarded_by=player)
    assert balances(cast) == [1, 1, 1]


def test_awarding_nobody_still_closes_the_scene(scene, cast):
    assert scene.award_xp(dict.fromkeys(cast, False)) == 0
    scene.refresh_from_db()
    assert scene.xp_given


def test_saving_a_stale_instance_after_an_award_is_refused_and_keeps_the_award(scene, cast):
    ada = cast[0]
    scene.award_xp({ada: 3})
    ada.concept = "Night nurse"
    with pytest.raises(ConcurrentEdit):
        ada.save()
    ada.refresh_from_db()
    assert (ada.xp, ada.concept) == (4, "")
    ada.concept = "Night nurse"
    ada.save()
    ada.refresh_from_db()
    assert (ada.xp, ada.concept) == (4, "Night nurse")
    assert sum(ada.xp_entries.values_list("amount", flat=True)) == 4
