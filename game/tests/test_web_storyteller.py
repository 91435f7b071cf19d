"""The storyteller pages as a storyteller uses them: queues scoped to their chronicles,
batch decisions that report what others did, approvals with notes, scenes and awards."""

import re

import pytest
from django.urls import reverse

from characters.models import CharacterChange, Human
from game.models import (
    ChronicleMembership,
    Gameline,
    Scene,
    STRelationship,
    XPLedgerEntry,
    XPSpendingRequest,
)
from game.tests.web_world import ROLES, build_world, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.dates]


@pytest.fixture
def world():
    return build_world()


def login(client, world, role):
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def text(response) -> str:
    return response.content.decode()


def visible(response) -> str:
    """The page's text as a reader sees it: tags as spaces, runs of space as one."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def more_requests(world, *traits):
    ada = Human.objects.get(pk=world.approved.pk)
    return [ada.spend_xp(trait) for trait in traits]


# --- Who sees which storyteller page ------------------------------------------------------

#          anonymous, outsider_player, member, owner, outsider_st, storyteller, head, superuser
ST_PAGE = (302, 404, 404, 404, 200, 200, 200, 200)
ST_OBJECT = (302, 404, 404, 403, 404, 200, 200, 200)

PAGES = {
    "st dashboard": (lambda w: reverse("st-dashboard"), ST_PAGE),
    "queue": (lambda w: reverse("st-queue"), ST_PAGE),
    "approvals": (lambda w: reverse("st-approvals"), ST_PAGE),
    "scenes": (lambda w: reverse("st-scenes"), ST_PAGE),
    "new scene": (lambda w: reverse("st-scene-new"), ST_PAGE),
    # The owner sees their own request's character but is not its storyteller: 403.
    "request": (lambda w: reverse("st-request", args=[w.pending.pk]), ST_OBJECT),
    "award": (
        lambda w: reverse("st-scene-award", args=[w.scene.pk]),
        (302, 404, 404, 404, 404, 200, 200, 200),
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page_name", PAGES)
def test_storyteller_pages_answer_each_role_as_designed(client, role, page_name):
    world = build_world()
    url_of, expected = PAGES[page_name]
    before = snapshot()
    response = login(client, world, role).get(url_of(world))
    assert response.status_code == expected[ROLES.index(role)], (page_name, role)
    assert snapshot() == before


def test_another_chronicles_storyteller_sees_only_their_own_queue(client, world):
    response = login(client, world, "outsider_st").get(reverse("st-queue"))
    assert list(response.context["rows"]) == []
    assert "Ada" not in text(response)


@pytest.fixture
def playing_storyteller(world):
    """ash storytells the chronicle and plays Ash in it, with a Pending request."""
    ash = Human.objects.create(
        name="Ash", owner=world.users["storyteller"], chronicle=world.chronicle, status="App",
        xp=10,
    )  # fmt: skip
    return ash.spend_xp("wits")


def test_a_storyteller_is_not_asked_to_decide_their_own_characters_request(
    client, world, playing_storyteller
):
    st = login(client, world, "storyteller")

    queue = st.get(reverse("st-queue"))
    assert [row.pk for row in queue.context["rows"]] == [world.pending.pk]
    dashboard = st.get(reverse("st-dashboard"))
    [row] = dashboard.context["rows"]
    assert row["pending"] == 1
    assert dashboard.context["nav"].requests_to_decide == 1  # the badge agrees
    own = st.get(reverse("st-request", args=[playing_storyteller.pk]))
    assert "This is your own character: another storyteller of the chronicle decides." in text(own)
    assert 'value="approve"' not in text(own)


def test_with_self_decisions_allowed_the_own_request_is_in_the_queue(
    client, world, playing_storyteller, settings
):
    settings.TG_ALLOW_SELF_DECISIONS = True
    st = login(client, world, "storyteller")

    queue = st.get(reverse("st-queue"))
    assert {row.pk for row in queue.context["rows"]} == {world.pending.pk, playing_storyteller.pk}
    assert st.get(reverse("st-dashboard")).context["nav"].requests_to_decide == 2
    assert 'value="approve"' in text(st.get(reverse("st-request", args=[playing_storyteller.pk])))


def test_a_character_the_storyteller_only_plays_elsewhere_is_never_theirs_to_approve(
    client, world, settings
):
    ash = world.users["storyteller"]
    ChronicleMembership.objects.create(user=ash, chronicle=world.other)
    Human.objects.create(name="Elsewhere", owner=ash, chronicle=world.other, status="Sub")
    Human.objects.create(name="Ashen", owner=ash, chronicle=world.chronicle, status="Sub")
    st = login(client, world, "storyteller")

    for allowed, listed in ((False, set()), (True, {"Ashen"})):
        settings.TG_ALLOW_SELF_DECISIONS = allowed
        approvals = st.get(reverse("st-approvals"))
        assert {c.name for c, _ in approvals.context["rows"]} == listed, allowed
        assert approvals.context["nav"].characters_to_approve == len(listed), allowed
        [row] = st.get(reverse("st-dashboard")).context["rows"]
        assert row["submitted"] == len(listed), allowed


# --- Batch decisions ------------------------------------------------------------------------


def test_a_batch_approves_and_reports_in_one_summary(client, world):
    strength, wits = more_requests(world, "strength", "wits")
    response = login(client, world, "storyteller").post(
        reverse("st-queue"),
        {"action": "approve", "request": [world.pending.pk, strength.pk, wits.pk]},
        follow=True,
    )
    assert messages_of(response) == ["3 approved."]
    ada = Human.objects.get(pk=world.approved.pk)
    assert (ada.brawl, ada.strength, ada.wits) == (2, 2, 2)
    assert ada.xp == 20 - 2 - 4 - 4


def test_a_batch_names_what_another_storyteller_decided_first(client, world):
    strength, wits = more_requests(world, "strength", "wits")
    head = world.users["head"]
    Human.objects.get(pk=world.approved.pk).deny_xp_spend(wits.pk, head, reason="Not now")

    response = login(client, world, "storyteller").post(
        reverse("st-queue"),
        {"action": "approve", "request": [world.pending.pk, strength.pk, wits.pk]},
        follow=True,
    )
    [summary] = messages_of(response)
    assert re.fullmatch(
        r"2 approved; Ada's Wits: This XP request was already denied by sophia on "
        r"\d{4}-\d\d-\d\d \d\d:\d\d\.",  # one full stop, not two
        summary,
    )
    wits.refresh_from_db()
    assert (wits.status, wits.decided_by) == ("Denied", head)


def test_a_stale_request_is_flagged_and_left_for_a_denial(client, world):
    Human.objects.filter(pk=world.approved.pk).update(brawl=2)  # the sheet moved on
    queue = login(client, world, "storyteller").get(reverse("st-queue"))
    assert "stale: the sheet says 2 now — deny to refund" in text(queue)
    response = client.post(
        reverse("st-queue"), {"action": "approve", "request": [world.pending.pk]}, follow=True
    )
    assert messages_of(response) == ["1 stale, left pending: Ada's Brawl (deny them)."]
    world.pending.refresh_from_db()
    assert world.pending.status == "Pending"


def test_denying_needs_a_reason_the_player_then_reads(client, world):
    st = login(client, world, "storyteller")
    refused = st.post(
        reverse("st-queue"), {"action": "deny", "request": [world.pending.pk]}, follow=True
    )
    assert messages_of(refused) == ["Give a reason to deny: the player reads it. Nothing changed."]
    st.post(
        reverse("st-queue"),
        {"action": "deny", "request": [world.pending.pk], "reason": "Train first"},
    )
    world.pending.refresh_from_db()
    assert (world.pending.status, world.pending.note) == ("Denied", "Train first")
    client.force_login(world.users["owner"])
    assert "“Train first”" in text(client.get(reverse("dashboard")))


@pytest.mark.parametrize("bad", ["²", "-1", "1e3", "9" * 5000, "７"])
def test_a_batch_with_a_malformed_id_says_so_and_changes_nothing(client, world, bad):
    before = snapshot()

    response = login(client, world, "storyteller").post(
        reverse("st-queue"), {"action": "approve", "request": [bad]}, follow=True
    )

    assert response.status_code == 200
    assert messages_of(response) == ["Select at least one request."]
    assert snapshot() == before


def test_a_malformed_id_beside_good_ones_is_left_out(client, world):
    response = login(client, world, "storyteller").post(
        reverse("st-queue"),
        {"action": "approve", "request": ["²", str(world.pending.pk), "9" * 5000]},
        follow=True,
    )

    assert messages_of(response) == ["1 approved."]


def test_a_batch_cannot_reach_another_chronicle(client, world):
    oliver = Human.objects.get(name="Oliver")
    theirs = oliver.spend_xp("brawl")
    before = snapshot()
    response = login(client, world, "storyteller").post(
        reverse("st-queue"), {"action": "approve", "request": [theirs.pk]}, follow=True
    )
    assert messages_of(response) == ["Nothing to do."]
    assert snapshot() == before


def test_a_second_decision_on_the_request_page_says_who_decided(client, world):
    st = login(client, world, "storyteller")
    url = reverse("st-request", args=[world.pending.pk])
    first = st.post(url, {"action": "approve", "request": [world.pending.pk]}, follow=True)
    again = st.post(url, {"action": "approve", "request": [world.pending.pk]}, follow=True)
    assert messages_of(first) == ["1 approved."]
    assert again.status_code == 200
    [message] = messages_of(again)
    assert "This XP request was already approved by ash on " in message
    assert "Approved</strong> by ash on" in text(again)


def test_the_head_storyteller_reverses_an_approval_from_the_request_page(client, world):
    Human.objects.get(pk=world.approved.pk).approve_xp_spend(
        world.pending.pk, "brawl", 2, world.users["storyteller"]
    )
    head = login(client, world, "head")
    url = reverse("st-request", args=[world.pending.pk])
    assert "Reverse the approval" in text(head.get(url))
    response = head.post(url, {"action": "reverse", "reason": "Wrong sheet"}, follow=True)
    assert messages_of(response) == ["The approval was reversed and its XP refunded."]
    ada = Human.objects.get(pk=world.approved.pk)
    assert (ada.brawl, ada.xp) == (1, 20)

    # Each page names who did what: ash approved, sophia reversed, with her reason.
    shown = visible(response)
    assert "Status Reversed Approved by ash on " in shown
    assert re.search(r"Reversed by sophia on [\d-]+ [\d:]+ — “Wrong sheet”", shown)
    client.force_login(world.users["owner"])
    dashboard = visible(client.get(reverse("dashboard")))
    assert re.search(
        r"Reversed : Ada's Brawl 1 → 2 · sophia, [\d-]+ [\d:]+ \(approved by ash, "
        r"[\d-]+ [\d:]+\) “Wrong sheet”",
        dashboard,
    )
    client.force_login(world.users["storyteller"])
    st_dashboard = visible(client.get(reverse("st-dashboard")))
    assert "Ada's Brawl 1 → 2 : reversed by sophia on " in st_dashboard
    assert "“Wrong sheet”" in st_dashboard


def test_a_players_own_withdrawal_is_not_listed_as_a_decision(client, world):
    Human.objects.get(pk=world.approved.pk).withdraw_xp_spend(
        world.pending.pk, world.users["owner"]
    )
    for role, url in (("owner", reverse("dashboard")), ("storyteller", reverse("st-dashboard"))):
        shown = text(login(client, world, role).get(url))
        assert "Withdrawn" not in shown, role


def test_bringing_a_retired_character_back_is_asked_to_confirm(client, world):
    ada = Human.objects.get(pk=world.approved.pk)
    ada.status = "Ret"
    ada.save()
    st = login(client, world, "storyteller")
    confirm_url = reverse("character-status-confirm", args=[ada.pk, "App"])

    sheet = text(st.get(ada.get_absolute_url()))
    assert f'href="{confirm_url}"' in sheet
    assert "Bring back into play" in sheet
    assert 'value="App"' not in sheet and ">Approve<" not in sheet
    confirm = text(st.get(confirm_url))
    assert "Bring back into play: Ada?" in confirm
    assert "The character comes back into play" in confirm
    ada.refresh_from_db()
    assert ada.status == "Ret"  # nothing changed by looking

    st.post(reverse("character-status", args=[ada.pk, "App"]), {"version": ada.version})
    ada.refresh_from_db()
    assert ada.status == "App"


# --- Character approvals -----------------------------------------------------------------


def _submit(world):
    una = Human.objects.get(pk=world.unfinished.pk)
    una.status = "Sub"
    una.save()
    return Human.objects.get(pk=una.pk)


def test_a_submitted_character_is_approved_from_the_queue(client, world):
    una = _submit(world)
    st = login(client, world, "storyteller")
    assert "Una" in text(st.get(reverse("st-approvals")))
    response = st.post(
        reverse("st-approval-decision", args=[una.pk]),
        {"action": "approve", "version": una.version},
        follow=True,
    )
    assert messages_of(response) == ["Una was approved."]
    assert Human.objects.get(pk=una.pk).status == "App"


def test_returning_a_character_needs_a_note_that_the_player_sees(client, world):
    una = _submit(world)
    st = login(client, world, "storyteller")
    url = reverse("st-approval-decision", args=[una.pk])
    refused = st.post(url, {"action": "return", "version": una.version}, follow=True)
    assert messages_of(refused) == ["Una: Say what to change: the player reads this note."]
    assert Human.objects.get(pk=una.pk).status == "Sub"
    st.post(url, {"action": "return", "version": una.version, "note": "Too many dots in Brawl"})
    assert Human.objects.get(pk=una.pk).status == "Un"
    client.force_login(world.users["owner"])
    page = text(client.get(reverse("dashboard")))
    assert "Returned to you</strong>: Una" in page
    assert "“Too many dots in Brawl”" in page


# --- Storyteller actions on the sheet ----------------------------------------------------


def test_an_adjustment_needs_a_reason_and_is_ledgered(client, world):
    st = login(client, world, "storyteller")
    url = reverse("xp-adjust", args=[world.approved.pk])
    refused = st.post(url, {"amount": 5}, follow=True)
    assert messages_of(refused) == ["Nothing changed. reason: This field is required."]
    assert 'name="amount" min="-10000" max="10000" value="5"' in text(refused)  # kept
    too_much = st.post(url, {"amount": -500, "reason": "Took too much"}, follow=True)
    assert "Took too much" in text(too_much)  # the refused reason, to correct
    assert 'value="Took too much"' not in text(
        st.get(reverse("character-sheet", args=[world.approved.pk]))
    )
    done = st.post(url, {"amount": 5, "reason": "Great roleplay"}, follow=True)
    assert messages_of(done) == ["+5 XP for Ada: 23 XP now."]
    entry = XPLedgerEntry.objects.filter(kind="adjustment").latest("pk")
    assert (entry.amount, entry.note, entry.created_by) == (
        5,
        "Great roleplay",
        world.users["storyteller"],
    )


def test_a_storyteller_cannot_adjust_their_own_character(client, world):
    own = Human.objects.create(
        name="Ash's NPC", owner=world.users["storyteller"], chronicle=world.chronicle, status="App"
    )
    response = login(client, world, "storyteller").post(
        reverse("xp-adjust", args=[own.pk]), {"amount": 5, "reason": "mine"}, follow=True
    )
    assert messages_of(response) == [
        "You cannot adjust XP for your own character: another storyteller of the chronicle decides."
    ]
    assert Human.objects.get(pk=own.pk).xp == 0


def test_restoring_willpower_is_in_the_history(client, world):
    Human.objects.filter(pk=world.approved.pk).update(willpower=5, temporary_willpower=1)
    ada = Human.objects.get(pk=world.approved.pk)
    st = login(client, world, "storyteller")
    st.post(reverse("willpower-restore", args=[ada.pk]), {"version": ada.version})
    assert Human.objects.get(pk=ada.pk).temporary_willpower == 5
    change = CharacterChange.objects.get(character=ada, field="temporary_willpower")
    assert (change.old, change.new, change.changed_by, change.reason) == (
        "1",
        "5",
        world.users["storyteller"],
        "Willpower restored",
    )
    assert "Temporary willpower: 1 → 5" in text(st.get(ada.get_absolute_url()))


# --- Scenes and awards -----------------------------------------------------------------------


def test_a_scene_takes_only_approved_characters_of_its_chronicle(client, world):
    oliver = Human.objects.get(name="Oliver")
    head = login(client, world, "head")
    response = head.post(
        reverse("st-scene-new"),
        {"chronicle": world.chronicle.pk, "name": "Docks", "participants": [oliver.pk]},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert not Scene.objects.filter(name="Docks").exists()
    una = world.unfinished
    response = head.post(
        reverse("st-scene-new"),
        {"chronicle": world.chronicle.pk, "name": "Docks", "participants": [una.pk]},
    )
    assert "Select a valid choice" in text(response)


def test_a_scene_dated_more_than_a_year_ahead_is_refused(client, world):
    response = login(client, world, "head").post(
        reverse("st-scene-new"),
        {"chronicle": world.chronicle.pk, "name": "Docks", "date_played": "9999-12-31"},
    )
    assert response.status_code == 200
    assert "9999-12-31 is more than a year from now: check the date" in text(response)
    assert not Scene.objects.filter(name="Docks").exists()


def test_an_assistant_runs_only_scenes_of_their_game_line(client, world):
    werewolf = Gameline.objects.get(short_name="wta")
    st = login(client, world, "storyteller")  # storytells Vampire only
    response = st.post(
        reverse("st-scene-new"),
        {"chronicle": world.chronicle.pk, "gameline": werewolf.pk, "name": "Caern"},
    )
    assert "You storytell other game lines of this chronicle" in text(response)
    wolf_scene = Scene.objects.create(
        chronicle=world.chronicle, gameline=werewolf, name="Caern", finished=True
    )
    assert st.get(reverse("st-scene-award", args=[wolf_scene.pk])).status_code == 403
    STRelationship.objects.create(
        user=world.users["storyteller"], chronicle=world.chronicle, gameline=werewolf
    )
    assert st.get(reverse("st-scene-award", args=[wolf_scene.pk])).status_code == 200


def test_awarding_with_an_override_after_a_preview(client, world):
    bea = Human.objects.create(
        name="Bea", owner=world.users["member"], chronicle=world.chronicle, status="App"
    )
    rex = Human.objects.create(
        name="Rex", owner=world.users["member"], chronicle=world.chronicle, status="App"
    )
    world.scene.participants.add(bea, rex)
    rex.status = "Ret"
    rex.save()
    head = login(client, world, "head")
    url = reverse("st-scene-award", args=[world.scene.pk])
    form = {"default": "2", f"xp_{bea.pk}": "4", f"xp_{rex.pk}": ""}

    preview = head.post(url, form)
    plan = {row.character.name: row.amount for row in preview.context["plan"]}
    assert plan == {"Ada": 2, "Bea": 4, "Rex": 0}
    assert "not in play: no XP" in text(preview)
    assert XPLedgerEntry.objects.filter(scene=world.scene).count() == 0

    done = head.post(url, {**form, "confirm": "1"}, follow=True)
    assert messages_of(done) == ["Awarded 6 XP to 2 character(s)."]
    assert "Awarded by <strong>sophia</strong>" in text(done)
    assert {c.name: c.xp for c in Human.objects.filter(name__in=["Ada", "Bea", "Rex"])} == {
        "Ada": 20,
        "Bea": 4,
        "Rex": 0,
    }


@pytest.mark.parametrize("amount", ["99", "-1", "2.5", "²", "x" * 1000, "9" * 5000])
def test_an_amount_outside_the_offered_range_is_named_and_nothing_is_awarded(client, world, amount):
    maximum = 5  # TG_MAX_SCENE_XP in the test settings
    head = login(client, world, "head")
    url = reverse("st-scene-award", args=[world.scene.pk])
    ada = world.approved.pk
    shown = amount if len(amount) <= 20 else amount[:20] + "…"

    for form in ({"default": amount}, {"default": "1", f"xp_{ada}": amount}):
        response = head.post(url, {**form, "confirm": "1"})

        assert response.status_code == 200
        label = "XP for everyone" if "xp_" not in str(form) else "Ada"
        assert messages_of(response) == [
            f"{label}: “{shown}” is not a whole number of XP from 0 to {maximum}.",
            "Nothing was awarded: correct the amounts and award again.",
        ]
        # The page offers the plan it shows, each amount one of its own choices.
        assert [row.amount for row in response.context["plan"]] == [1]
    assert XPLedgerEntry.objects.filter(scene=world.scene).count() == 0
    assert Human.objects.get(pk=ada).xp == 18


def test_the_award_records_exactly_what_the_page_showed(client, world):
    """One POST from the page awards; if the amounts it showed (``gets_<id>``, kept by
    its script or drawn by the server) are not what the choices give now — here Bea
    left play after the page was drawn — nothing is awarded and the new plan is shown."""
    bea = Human.objects.create(
        name="Bea", owner=world.users["member"], chronicle=world.chronicle, status="App"
    )
    world.scene.participants.add(bea)
    head = login(client, world, "head")
    url = reverse("st-scene-award", args=[world.scene.pk])
    drawn = head.get(url)
    assert [(r.character.name, r.amount) for r in drawn.context["plan"]] == [("Ada", 1), ("Bea", 1)]
    Human.objects.filter(pk=bea.pk).update(status="Ret")  # meanwhile
    shown = {"default": "2", f"xp_{bea.pk}": "3", f"gets_{world.approved.pk}": "2"}
    shown[f"gets_{bea.pk}"] = "3"

    refused = head.post(url, {**shown, "confirm": "1"})

    assert messages_of(refused) == [
        "The XP shown was not what these choices give (Bea gets 0). Nothing was awarded: "
        "check the “Gets” column and award again."
    ]
    assert [(r.character.name, r.amount) for r in refused.context["plan"]] == [
        ("Ada", 2),
        ("Bea", 0),
    ]
    assert XPLedgerEntry.objects.filter(scene=world.scene).count() == 0

    shown[f"gets_{bea.pk}"] = "0"
    done = head.post(url, {**shown, "confirm": "1"}, follow=True)
    assert messages_of(done) == ["Awarded 2 XP to 1 character(s)."]
    assert Human.objects.get(pk=world.approved.pk).xp == 20


@pytest.mark.parametrize("shown", ["", "two", "-2", "9" * 50])
def test_an_unreadable_shown_amount_awards_nothing(client, world, shown):
    head = login(client, world, "head")
    url = reverse("st-scene-award", args=[world.scene.pk])
    form = {"default": "2", f"gets_{world.approved.pk}": shown, "confirm": "1"}
    answer = head.post(url, form)
    assert answer.status_code == 200
    assert "Nothing was awarded" in messages_of(answer)[0]
    assert XPLedgerEntry.objects.filter(scene=world.scene).count() == 0


def test_a_second_storyteller_awarding_the_same_scene_is_told_who_did(client, world):
    head = login(client, world, "head")
    url = reverse("st-scene-award", args=[world.scene.pk])
    head.post(url, {"default": "1"})  # both open the page...
    world.scene.award_xp({world.approved.pk: 1}, awarded_by=world.users["storyteller"])
    response = head.post(url, {"default": "1", "confirm": "1"}, follow=True)  # ...one submits late
    [message] = messages_of(response)
    assert message.startswith("XP for “Rooftops” was already awarded by ash on ")
    assert "Awarded by <strong>ash</strong>" in text(response)
    assert Human.objects.get(pk=world.approved.pk).xp == 19


def test_finishing_a_scene_sets_finished_at_and_opens_the_award(client, world):
    scene = Scene.objects.create(chronicle=world.chronicle, name="Docks")
    head = login(client, world, "head")
    response = head.post(reverse("st-scene-finish", args=[scene.pk]), follow=True)
    scene.refresh_from_db()
    assert scene.finished and scene.finished_at is not None
    assert response.redirect_chain[-1][0] == reverse("st-scene-award", args=[scene.pk])
    assert XPSpendingRequest.objects.count() == 1


# --- The head storyteller's storytellers page ----------------------------------------------


def test_the_storytellers_page_is_the_head_storytellers(client, world):
    url = reverse("storytellers", args=[world.chronicle.pk])
    expected = (302, 404, 403, 403, 404, 403, 200, 200)
    for role, status in zip(ROLES, expected, strict=True):
        client.logout()
        assert login(client, world, role).get(url).status_code == status, role
    before = snapshot()
    login(client, world, "storyteller").post(url, {"action": "add", "username": "mia"})
    assert snapshot() == before


def test_the_head_adds_and_removes_an_assistant_and_the_audit_keeps_it(client, world):
    from game.models import StorytellerChange

    werewolf = Gameline.objects.get_or_create(short_name="wta", defaults={"name": "Werewolf"})[0]
    head = login(client, world, "head")
    url = reverse("storytellers", args=[world.chronicle.pk])
    added = head.post(
        url, {"action": "add", "username": "mia", "gameline": werewolf.pk}, follow=True
    )
    assert messages_of(added) == [f"mia now storytells {werewolf} in Chicago by Night."]
    relation = STRelationship.objects.get(user__username="mia")
    removed = head.post(url, {"action": "remove", "relation": relation.pk}, follow=True)
    assert messages_of(removed) == [f"mia no longer storytells {werewolf} in Chicago by Night."]
    assert list(
        StorytellerChange.objects.filter(user__username="mia")
        .order_by("pk")
        .values_list("action", "by__username")
    ) == [("added", "sophia"), ("removed", "sophia")]


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "Nothing changed: Type the account name (the name they sign in with)."),
        # No such account, and an account of another chronicle only (oscar): one answer,
        # so the form cannot tell who has an account on the site.
        (
            "nobody",
            "Nothing changed: Nobody called “nobody” has joined Chicago by Night. Send them "
            "an invitation first; once they have joined, add them here.",
        ),
        (
            "oscar",
            "Nothing changed: Nobody called “oscar” has joined Chicago by Night. Send them "
            "an invitation first; once they have joined, add them here.",
        ),
        (
            "sophia",
            "Nothing changed: sophia is the head storyteller: they storytell every game line "
            "of Chicago by Night already.",
        ),
    ],
)
def test_adding_nobody_or_the_head_is_refused_with_a_reason(client, world, username, message):
    werewolf = Gameline.objects.get_or_create(short_name="wta", defaults={"name": "Werewolf"})[0]
    before = snapshot()

    response = login(client, world, "head").post(
        reverse("storytellers", args=[world.chronicle.pk]),
        {"action": "add", "username": username, "gameline": werewolf.pk},
        follow=True,
    )

    assert messages_of(response) == [message]
    assert snapshot() == before


def test_a_transfer_needs_the_typed_name_and_then_hands_the_role_over(client, world):
    head = login(client, world, "head")
    url = reverse("storytellers", args=[world.chronicle.pk])
    refused = head.post(
        url, {"action": "transfer", "username": "ash", "confirm": "chicago"}, follow=True
    )
    assert messages_of(refused) == [
        "Nothing changed: Type the chronicle's name, “Chicago by Night”, to confirm the transfer."
    ]
    world.chronicle.refresh_from_db()
    assert world.chronicle.head_st == world.users["head"]
    done = head.post(
        url, {"action": "transfer", "username": "ash", "confirm": "Chicago by Night"}, follow=True
    )
    assert messages_of(done) == ["ash is now the head storyteller of Chicago by Night."]
    world.chronicle.refresh_from_db()
    assert world.chronicle.head_st == world.users["storyteller"]
    assert done.redirect_chain[-1][0] == reverse("chronicle", args=[world.chronicle.pk])
    # Without a game line of her own, the former head no longer sees the chronicle.
    assert head.get(url).status_code == 404
