"""Issue 17's flows in Chromium, each counted in page loads (a link followed, or a form
posted and its redirect: one each), against the goals: approved character → pending XP
request ≤ 2 (phone); ten requests decided, some denied with a reason ≤ 2; a finished
scene of six awarded with one override ≤ 2; a new person starts a chronicle and invites
≤ 3, no admin; an operator on a fresh install sees a verdict in 1. The first flow —
invitation link → submitted character ≤ 4 on a phone — is in test_browser_phone.py.
Every page these flows reach passes axe in the light and the dark theme."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from characters.models import Human
from core.models import MonitorSnapshot
from game.models import Chronicle, Invitation, LedgerKind, Scene, XPLedgerEntry, XPSpendingRequest
from game.operations.accounts import confirmation_token
from game.tests.browser_world import build_showcase, chicago, join, make_user
from oversight.tests.ops_support import make_operator, store_hourly_runs
from tests.browser import (
    DESKTOP,
    assert_accessible,
    assert_fits_the_screen,
    count_loads,
    flash,
    login,
    screenshot,
)

pytestmark = pytest.mark.browser


def test_an_approved_character_asks_for_a_dot_in_two_page_loads_on_a_phone(phone_page):
    page = phone_page
    world = build_showcase()
    login(page, world.player)
    page.goto(reverse("dashboard"))
    loads = count_loads(page)

    page.get_by_role("link", name="Spend Ada Moreau's XP").click()  # 1
    wits = page.get_by_role("button", name=re.compile(r"^Spend 8 XP: Wits 2 → 3, \d+ XP left$"))
    assert_fits_the_screen(page, wits)
    page.get_by_label("Why this dot?").fill("Sharper every night at the piano")
    wits.click()  # 2

    expect(flash(page)).to_contain_text("Requested Wits 2 → 3 for 8 XP")
    expect(page.get_by_role("img", name="Wits 2 → 3 of 10")).to_be_visible()  # marked
    assert loads() == 2
    asked = XPSpendingRequest.objects.get(character=world.ada, trait_name="wits")
    assert (asked.status, asked.player_note) == ("Pending", "Sharper every night at the piano")


def test_a_storyteller_decides_ten_requests_in_two_page_loads(page):
    head, pat = make_user("sophia"), make_user("pat")
    chronicle = chicago(head=head)
    join(chronicle, pat)
    characters = [
        Human.objects.create(name=name, owner=pat, chronicle=chronicle, status="App", xp=60)
        for name in ("Ada", "Bea")
    ]
    for character in characters:
        for trait in ("brawl", "strength", "wits", "alertness", "dexterity"):
            character.spend_xp(trait)
    login(page, head)
    loads = count_loads(page)

    page.get_by_role("link", name="10 waiting").click()  # 1: the badge opens the queue
    expect(page.locator("#batch tbody tr")).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("button", name="Mark all Approve").click()
    for trait in ("Wits", "Dexterity"):
        group = page.get_by_role("group", name=f"Decision on Bea's {trait}")
        group.get_by_text("Deny", exact=True).click()
        group.get_by_label("Reason if denied").fill(f"No teacher for {trait} yet")
    page.get_by_role("button", name="Save decisions").click()  # 2

    expect(flash(page)).to_have_text("8 approved; 2 denied.")
    expect(page.get_by_text("Nothing waits for you.")).to_be_visible()
    assert loads() == 2
    denied = XPSpendingRequest.objects.filter(status="Denied").order_by("trait_name")
    assert list(denied.values_list("trait_name", "note")) == [
        ("dexterity", "No teacher for Dexterity yet"),
        ("wits", "No teacher for Wits yet"),
    ]


def test_a_finished_scene_of_six_is_awarded_with_one_override_in_two_page_loads(page):
    head = make_user("sophia")
    chronicle = chicago(head=head)
    players = [make_user(f"player{n}") for n in range(6)]
    join(chronicle, *players)
    cast = [
        Human.objects.create(name=f"Cast {n}", owner=p, chronicle=chronicle, status="App")
        for n, p in enumerate(players)
    ]
    scene = Scene.objects.create(chronicle=chronicle, name="Elysium", finished=True)
    scene.participants.set(cast)
    login(page, head)
    page.goto(reverse("st-scenes"))
    loads = count_loads(page)

    page.get_by_role("link", name="Award XP").click()  # 1
    page.get_by_label("XP for everyone").select_option("2")
    page.get_by_label("XP for Cast 3").select_option("4")
    expect(page.locator("#award-total")).to_have_text("14")
    assert_accessible(page)
    page.get_by_role("button", name="Award this XP").click()  # 2

    expect(flash(page)).to_have_text("Awarded 14 XP to 6 character(s).")
    assert loads() == 2
    awards = XPLedgerEntry.objects.filter(scene=scene, kind=LedgerKind.AWARD)
    assert sorted(awards.values_list("character__name", "amount")) == [
        ("Cast 0", 2), ("Cast 1", 2), ("Cast 2", 2), ("Cast 3", 4), ("Cast 4", 2), ("Cast 5", 2)
    ]  # fmt: skip


def test_a_new_person_starts_a_chronicle_and_invites_in_three_page_loads(page, settings):
    settings.TG_CHRONICLE_STARTERS = "anyone"  # a site where anyone may start one
    vera = make_user("vera")
    login(page, vera)
    expect(page.get_by_text("You do not belong to a chronicle yet")).to_be_visible()
    loads = count_loads(page)

    page.get_by_role("link", name="Start a chronicle").first.click()  # 1
    page.get_by_label("Name of the chronicle").fill("Night Shift")
    assert_accessible(page)
    page.get_by_role("button", name="Start the chronicle").click()  # 2
    expect(flash(page)).to_contain_text("Night Shift is started and you are its head storyteller")
    page.get_by_label("For whom").fill("Bob")
    page.get_by_role("button", name="Create a link").click()  # 3

    chronicle = Chronicle.objects.get(name="Night Shift")
    invitation = Invitation.objects.get(chronicle=chronicle)
    expect(page.get_by_label("Link for Bob")).to_have_value(
        re.compile(f"/invite/{invitation.token}/$")
    )
    screenshot(page, "st-invitations")
    assert_accessible(page)
    assert loads() == 3
    assert chronicle.head_st == vera
    assert "/admin/" not in page.content()


def test_an_operator_on_a_fresh_install_sees_a_verdict_in_one_page_load(page):
    otto = make_operator(make_user("otto"))
    login(page, otto)
    page.goto(reverse("ops-health"))
    expect(page.get_by_text("No monitor run has been recorded yet.")).to_be_visible()
    loads = count_loads(page)

    page.get_by_role("button", name="Run the check now").click()  # 1

    expect(flash(page)).to_have_text(
        "The check ran now: healthy. Its result is the last run below."
    )
    expect(page.locator("#health-score")).to_have_text("100/100")
    assert loads() == 1
    assert MonitorSnapshot.objects.count() == 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_pages_pass_axe_in_the_light_and_the_dark_theme(new_context, scheme):
    world = build_showcase()
    page = new_context(viewport=DESKTOP).new_page()
    page.emulate_media(color_scheme=scheme)
    make_operator(world.head)
    store_hourly_runs(24 * 7, now=timezone.now(), score=85, issues=1)
    login(page, world.head)
    request = XPSpendingRequest.objects.filter(status="Pending").order_by("pk").first()
    chronicle = world.chronicle
    Invitation.objects.create(chronicle=chronicle, created_by=world.head, note="Nadia")
    address = confirmation_token(user=world.head, address="sophia@example.test")
    urls = [
        reverse("dashboard"),
        reverse("character-sheet", args=[world.ada.pk]),
        reverse("xp-history", args=[world.ada.pk]),
        reverse("st-dashboard"),
        reverse("st-queue"),
        reverse("st-request", args=[request.pk]),
        reverse("st-approvals"),
        reverse("st-scenes"),
        reverse("st-scene-new"),
        reverse("st-scene-award", args=[world.scene.pk]),
        reverse("chronicle", args=[chronicle.pk]),
        reverse("invitations", args=[chronicle.pk]),
        reverse("storytellers", args=[chronicle.pk]),
        reverse("chronicle-report", args=[chronicle.pk]),
        reverse("chronicle-audit", args=[chronicle.pk]),
        reverse("chronicle-start"),
        reverse("character-status-confirm", args=[world.ada.pk, "Ret"]),
        reverse("my-scenes"),
        reverse("account"),
        reverse("password_change"),
        reverse("confirm-address", args=[address]),
        reverse("ops-health"),
        reverse("ops-integrity"),
        reverse("ops-operations"),
    ]
    for url in urls:
        page.goto(url)
        theme = page.evaluate("document.documentElement.getAttribute('data-bs-theme')")
        assert theme == scheme, url
        assert_accessible(page)
    page.goto(reverse("character-sheet", args=[world.ada.pk]))
    screenshot(page, f"sheet-{scheme}")
    login(page, world.player)
    for url in [
        reverse("xp-spend", args=[world.ada.pk]),
        reverse("xp-spend", args=[world.ada.pk]) + "?trait=wits",
        reverse("character-edit", args=[world.una.pk]),
        reverse("character-create"),
    ]:
        page.goto(url)
        assert_accessible(page)
    page.context.clear_cookies()
    for url in [
        reverse("login"),
        reverse("password_reset"),
        Invitation.objects.create(chronicle=chronicle, created_by=world.head).get_absolute_url(),
    ]:
        page.goto(url)
        assert_accessible(page)


def test_pressing_enter_in_a_field_buys_submits_and_decides_nothing(page):
    """The spend page's note, the sheet editor's fields and the request page's reason:
    Enter submits nothing (each form's first submit button is a disabled one), so no dot
    is bought, no sheet submitted and no request approved by accident."""
    world = build_showcase()
    login(page, world.player)
    page.goto(reverse("xp-spend", args=[world.ada.pk]))
    page.get_by_label("Why this dot?").fill("pressing Enter here")
    page.get_by_label("Why this dot?").press("Enter")
    page.get_by_label("Why this dot?").fill("typed on")  # still on the page, unchanged
    assert XPSpendingRequest.objects.filter(character=world.ada).count() == 3

    page.goto(reverse("character-edit", args=[world.una.pk]))
    page.get_by_label("Concept").fill("Night-shift nurse, Enter pressed")
    page.get_by_label("Concept").press("Enter")
    page.get_by_label("Concept").fill("typed on")
    assert Human.objects.get(pk=world.una.pk).status == "Un"

    login(page, world.head)
    pending = XPSpendingRequest.objects.filter(status="Pending").order_by("pk").first()
    page.goto(reverse("st-request", args=[pending.pk]))
    page.get_by_label("Reason (needed to deny; the player reads it)").fill("Enter")
    page.get_by_label("Reason (needed to deny; the player reads it)").press("Enter")
    page.get_by_label("Reason (needed to deny; the player reads it)").fill("typed on")
    assert XPSpendingRequest.objects.get(pk=pending.pk).status == "Pending"
