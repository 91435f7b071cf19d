"""A storyteller's pages in real Chromium: approvals, a batch decision raced by a second
storyteller, and a scene from its creation to its XP award.

Several people at once are several browser contexts (their own cookies), each signed in
through the real form. Only the world before the walk is set up through the ORM and the
operations; every decision in the walk is a click.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from characters.models import Human
from game.models import LedgerKind, Scene, SpendStatus, XPLedgerEntry, XPSpendingRequest
from game.operations import lifecycle
from game.tests.browser_world import build_showcase, storyteller_world
from tests.browser import DESKTOP, assert_accessible, count_loads, flash, login, screenshot
from tests.support import ledger_sum

pytestmark = pytest.mark.browser

WHEN = r"\d{4}-\d\d-\d\d \d\d:\d\d"
REASON = "No mentor for Wits in this city yet"


def open_as(new_context, user) -> Page:
    """Another person at another computer: a browser context of their own, signed in."""
    other = new_context(viewport=DESKTOP).new_page()
    login(other, user)
    return other


def test_a_storyteller_approves_a_character_from_the_queue(page):
    world = storyteller_world()
    login(page, world.head)

    page.get_by_role("link", name=re.compile("^Storytelling")).click()
    expect(page.get_by_role("heading", name="Storytelling")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("1 character(s) awaiting approval")
    screenshot(page, "st-dashboard")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("^Characters to approve")).click()

    expect(page.get_by_role("heading", name="Characters to approve")).to_be_visible()
    card = page.locator("section.card", has=page.get_by_role("heading", name=re.compile("^Bea")))
    expect(card).to_contain_text("mia · Chicago by Night")
    expect(card).to_contain_text("Attributes: 0/0/0 — 13 dot(s) below the guideline (6/4/3).")
    screenshot(page, "st-approvals")
    assert_accessible(page)
    card.get_by_role("button", name="Approve Bea").click()

    expect(flash(page)).to_have_text("Bea was approved.")
    expect(page.get_by_text("No character waits for approval.")).to_be_visible()
    bea = Human.objects.get(pk=world.bea.pk)
    assert bea.status == "App"
    change = bea.changes.get(field="status")
    assert (change.old, change.new, change.changed_by) == ("Sub", "App", world.head)


def test_a_batch_decision_reports_what_another_storyteller_decided_first(page, new_context):
    world = storyteller_world()
    ada, asked = world.ada, world.requests
    xp_before = Human.objects.get(pk=ada.pk).xp  # 40 less the four prices: 23
    login(page, world.head)
    page.goto(reverse("st-dashboard"))
    page.get_by_role("link", name=re.compile("^XP requests")).click()

    expect(page.get_by_role("heading", name="XP requests waiting")).to_be_visible()
    rows = page.locator("#batch tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("Brawl")
    expect(rows.nth(0)).to_contain_text("1 → 2")
    screenshot(page, "st-queue")
    assert_accessible(page)

    # Meanwhile Ash, at another computer, approves the Alertness request on its own page.
    ash = open_as(new_context, world.storyteller)
    ash.goto(reverse("st-queue"))
    ash.get_by_role("link", name="Alertness").click()
    expect(ash.get_by_role("heading", name="Ada: Alertness 0 → 1")).to_be_visible()
    screenshot(ash, "st-request")
    assert_accessible(ash)
    ash.get_by_role("button", name="Approve", exact=True).click()
    expect(flash(ash)).to_have_text("1 approved.")
    expect(ash.locator("dl")).to_contain_text(re.compile(f"Approved by ash on {WHEN}"))

    # Sophia's queue still shows it: she approves Brawl, Strength and Alertness together,
    # one choice per row and one POST.
    def decision(trait):
        return page.get_by_role("group", name=f"Decision on Ada's {trait}")

    for trait in ("Brawl", "Strength", "Alertness"):
        decision(trait).get_by_text("Approve", exact=True).click()
    page.get_by_role("button", name="Save decisions").click()
    expect(flash(page)).to_have_text(
        re.compile(
            rf"^\s*2 approved; Ada's Alertness: This XP request was already approved by ash on "
            rf"{WHEN}\.\s*$"  # one full stop at the end, not two
        )
    )
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Wits")

    # Denying needs a reason, which the player reads.
    decision("Wits").get_by_text("Deny", exact=True).click()
    page.get_by_role("button", name="Save decisions").click()
    expect(flash(page)).to_have_text(
        "Give a reason for each denial (1 without one): the player reads it. Nothing changed."
    )
    decision("Wits").get_by_text("Deny", exact=True).click()
    decision("Wits").get_by_label("Reason if denied").fill(REASON)
    page.get_by_role("button", name="Save decisions").click()
    expect(flash(page)).to_have_text("1 denied.")
    expect(page.get_by_text("Nothing waits for you.")).to_be_visible()
    screenshot(page, "st-queue-empty")

    # Each request decided once, by whom the pages said; the XP adds up.
    decided = {
        r.trait_name: (r.status, r.decided_by.get_username(), r.note)
        for r in XPSpendingRequest.objects.filter(character=ada).select_related("decided_by")
    }
    assert decided == {
        "brawl": (SpendStatus.APPROVED, "sophia", ""),
        "strength": (SpendStatus.APPROVED, "sophia", ""),
        "alertness": (SpendStatus.APPROVED, "ash", ""),
        "wits": (SpendStatus.DENIED, "sophia", REASON),
    }
    ada = Human.objects.get(pk=ada.pk)
    assert (ada.brawl, ada.strength, ada.alertness, ada.wits) == (2, 2, 1, 2)
    assert ada.xp == xp_before + asked["wits"].cost
    assert ledger_sum(ada) == ada.xp
    assert XPLedgerEntry.objects.filter(character=ada, kind=LedgerKind.REFUND).count() == 1

    # Pat, the player, reads the reason on their dashboard.
    pat = open_as(new_context, world.player)
    decisions = pat.locator("section", has=pat.get_by_role("heading", name="Latest decisions"))
    denial = decisions.get_by_role("listitem").filter(has_text="Denied")
    expect(denial).to_contain_text("Denied: Ada's Wits 2 → 3")
    expect(denial).to_contain_text(f"“{REASON}”")
    expect(decisions.get_by_role("listitem").filter(has_text="Approved")).to_have_count(3)
    screenshot(pat, "st-player-sees-the-reason")


def test_a_storyteller_runs_a_scene_and_awards_xp_with_an_override(page):
    world = storyteller_world()
    lifecycle.change_status(character_id=world.bea.pk, status="App", by=world.head)
    login(page, world.head)
    page.goto(reverse("st-dashboard"))
    page.get_by_role("link", name="Scenes", exact=True).last.click()

    expect(page.get_by_role("heading", name="Scenes")).to_be_visible()
    expect(page.get_by_text("No scene yet.")).to_be_visible()
    screenshot(page, "st-scenes-empty")
    assert_accessible(page)
    page.get_by_role("link", name="New scene").click()

    expect(page.get_by_role("heading", name="New scene")).to_be_visible()
    page.get_by_label("Chronicle").select_option(label="Chicago by Night")
    page.get_by_label("Gameline").select_option(label="Vampire: the Masquerade")
    page.get_by_label("Name").fill("Elysium")
    page.get_by_label("Date played").fill("2025-03-08")
    page.get_by_role("checkbox", name="Ada (Chicago by Night)").check()
    page.get_by_role("checkbox", name="Bea (Chicago by Night)").check()
    screenshot(page, "st-scene-form")
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()

    expect(flash(page)).to_have_text("Scene “Elysium” was saved.")
    scene_row = page.get_by_role("listitem").filter(has_text="Elysium")
    expect(scene_row).to_contain_text("Chicago by Night · Vampire: the Masquerade · 2025-03-08")
    expect(scene_row).to_contain_text("2 participant(s)")
    screenshot(page, "st-scenes")
    assert_accessible(page)
    # From the list: finish and award, two page loads (the finish, the award).
    loads = count_loads(page)
    scene_row.get_by_role("button", name="Finish & award").click()

    expect(page.get_by_role("heading", name="Award XP: Elysium")).to_be_visible()
    expect(flash(page)).to_have_text("“Elysium” is finished: its XP can be awarded.")
    expect(page.get_by_role("button", name="Show what each gets")).to_be_hidden()  # live
    screenshot(page, "st-award")
    assert_accessible(page)
    page.get_by_label("XP for everyone").select_option("2")
    page.get_by_label("XP for Bea").select_option("4")

    gets = page.locator("tbody tr")
    expect(gets.filter(has_text="Ada").locator("td").last).to_have_text("2 XP")
    expect(gets.filter(has_text="Bea").locator("td").last).to_have_text("4 XP")
    expect(page.locator("#award-total")).to_have_text("6")
    screenshot(page, "st-award-preview")
    assert Scene.objects.get(name="Elysium").xp_given is False  # nothing awarded yet
    page.get_by_role("button", name="Award this XP").click()

    expect(page.get_by_role("heading", name="Elysium: XP awarded")).to_be_visible()
    expect(flash(page)).to_have_text("Awarded 6 XP to 2 character(s).")
    expect(page.get_by_role("main")).to_contain_text(re.compile(f"Awarded by sophia on {WHEN}"))
    result = page.locator("main .list-group").get_by_role("listitem")
    expect(result).to_have_text([re.compile(r"^Ada\s*2 XP$"), re.compile(r"^Bea\s*4 XP$")])
    expect(page.get_by_role("button")).to_have_text(["Sign out"])  # read-only now
    screenshot(page, "st-award-result")
    assert_accessible(page)
    assert loads() == 2

    scene = Scene.objects.get(name="Elysium")
    assert (scene.finished, scene.xp_given, scene.xp_awarded_by) == (True, True, world.head)
    awards = XPLedgerEntry.objects.filter(scene=scene, kind=LedgerKind.AWARD)
    assert sorted(awards.values_list("character__name", "amount")) == [("Ada", 2), ("Bea", 4)]


def finished_scene(world) -> Scene:
    """Elysium, finished, with Ada and (approved) Bea: waiting for its XP."""
    lifecycle.change_status(character_id=world.bea.pk, status="App", by=world.head)
    scene = Scene.objects.create(chronicle=world.chronicle, name="Elysium", finished=True)
    scene.participants.set([world.ada, world.bea])
    return scene


def choose(page: Page, scene: Scene, **overrides) -> None:
    page.goto(reverse("st-scene-award", args=[scene.pk]))
    page.get_by_label("XP for everyone").select_option("2")
    for name, amount in overrides.items():
        page.get_by_label(f"XP for {name}").select_option(amount)


def test_gets_follows_the_choices_and_the_award_is_what_it_showed(page):
    world = storyteller_world()
    scene = finished_scene(world)
    login(page, world.head)
    choose(page, scene, Bea="4")
    page.get_by_label("XP for Bea").select_option("1")  # second thoughts
    row = page.locator("tbody tr").filter(has_text="Bea")
    expect(row.locator("td").last).to_have_text("1 XP")
    page.get_by_label("XP for Bea").select_option("")  # as everyone again
    expect(row.locator("td").last).to_have_text("2 XP")
    expect(page.locator("#award-total")).to_have_text("4")

    page.get_by_role("button", name="Award this XP").click()

    expect(flash(page)).to_have_text("Awarded 4 XP to 2 character(s).")
    awards = XPLedgerEntry.objects.filter(scene=scene, kind=LedgerKind.AWARD)
    assert sorted(awards.values_list("character__name", "amount")) == [("Ada", 2), ("Bea", 2)]


def test_without_javascript_a_changed_plan_is_shown_before_it_is_awarded(new_context):
    """No script: "Gets" is what the server drew. Changing a choice and pressing Award
    awards nothing and shows the plan the choices give; pressing Award then awards it."""
    world = storyteller_world()
    scene = finished_scene(world)
    page = new_context(viewport=DESKTOP, java_script_enabled=False).new_page()
    login(page, world.head)
    choose(page, scene, Bea="4")  # not shown yet: the page still says 1 and 1

    page.get_by_role("button", name="Award this XP").click()

    expect(flash(page)).to_contain_text("Nothing was awarded")
    assert not XPLedgerEntry.objects.filter(scene=scene).exists()
    row = page.locator("tbody tr").filter(has_text="Bea")
    expect(row.locator("td").last).to_have_text("4 XP")
    page.get_by_role("button", name="Award this XP").click()
    expect(flash(page)).to_have_text("Awarded 6 XP to 2 character(s).")
    awards = XPLedgerEntry.objects.filter(scene=scene, kind=LedgerKind.AWARD)
    assert sorted(awards.values_list("character__name", "amount")) == [("Ada", 2), ("Bea", 4)]


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_screenshots_of_the_storyteller_pages(page, phone_page):
    """The README's storyteller pictures, from fixed data: the queue and the award page,
    on a desktop and on a phone."""
    world = build_showcase()
    login(page, world.head)

    page.goto(reverse("st-queue"))
    expect(page.locator("#batch tbody tr")).to_have_count(3)
    page.get_by_role("group", name="Decision on Ada Moreau's Brawl").get_by_text(
        "Approve", exact=True
    ).click()
    deny = page.get_by_role("group", name="Decision on Bea Lindqvist's Wits")
    deny.get_by_text("Deny", exact=True).click()
    deny.get_by_label("Reason if denied").fill("Not before the next full moon")
    screenshot(page, "readme-queue")

    login(phone_page, world.head)
    phone_page.goto(reverse("st-queue"))
    expect(phone_page.locator("#batch tbody tr")).to_have_count(3)
    screenshot(phone_page, "readme-queue-phone", full_page=False)
    phone_page.goto(reverse("st-scene-award", args=[world.scene.pk]))
    phone_page.get_by_label("XP for Cal Okafor").select_option("3")
    phone_page.get_by_label("XP for Cal Okafor").scroll_into_view_if_needed()
    screenshot(phone_page, "readme-award-phone", full_page=False)

    page.goto(reverse("st-scene-award", args=[world.scene.pk]))
    page.get_by_label("XP for everyone").select_option("2")
    page.get_by_label("XP for Cal Okafor").select_option("3")
    expect(page.locator("tbody tr").filter(has_text="Cal Okafor").locator("td").last).to_have_text(
        "3 XP"
    )
    screenshot(page, "readme-award")
