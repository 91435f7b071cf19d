"""A player's pages in real Chromium: from an invitation link to a withdrawn XP request.

The walk clicks and types as a person would; only the world before it (a chronicle, an
invitation, a storyteller's approval) is set up through the ORM and the operations.
Every page it passes is checked with axe and saved to screenshots/.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from characters.models import Human
from game.models import Invitation, LedgerKind, SpendStatus, XPLedgerEntry, XPSpendingRequest
from game.operations import lifecycle
from game.tests.browser_world import build_showcase, player_world, storyteller_world
from tests.browser import (
    assert_accessible,
    assert_fits_the_screen,
    flash,
    login,
    screenshot,
    submit_login_form,
)

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a long enough pass phrase"

# The dots the walk picks: attributes 6/4/3 above the free first dot, as the guideline;
# abilities 5/0/0, well below theirs.
DOTS = {
    "Strength": 3,
    "Dexterity": 3,
    "Stamina": 3,
    "Charisma": 3,
    "Manipulation": 2,
    "Appearance": 2,
    "Perception": 2,
    "Intelligence": 2,
    "Wits": 2,
    "Alertness": 3,
    "Brawl": 2,
}


def definition(page: Page, term: str):
    """The <dd> that follows the <dt> saying ``term``."""
    return page.locator(f"dt:text-is('{term}') + dd")


def test_a_new_player_joins_builds_a_character_spends_and_withdraws(page, context):
    world = player_world()

    # --- The invitation link: a new account, straight into the chronicle ---------------
    page.goto(world.invitation.get_absolute_url())
    expect(page.get_by_role("heading", name="Join Chicago by Night")).to_be_visible()
    screenshot(page, "player-invitation-signup")
    assert_accessible(page)
    page.get_by_label("Username").fill("nadia")
    page.get_by_label("E-mail address").fill("nadia@example.test")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create the account and join").click()

    # Straight on to the character, the chronicle chosen.
    expect(
        page.get_by_role("heading", name="Create your character for Chicago by Night")
    ).to_be_visible()
    expect(flash(page)).to_contain_text("Welcome to Chicago by Night, nadia!")
    expect(flash(page)).to_contain_text("We sent a link to nadia@example.test.")
    expect(page.get_by_label("Chronicle")).to_have_value(str(world.chronicle.pk))
    screenshot(page, "player-create-character")
    assert_accessible(page)
    assert Invitation.objects.get(pk=world.invitation.pk).used_by.get_username() == "nadia"

    # --- A new character ---------------------------------------------------------------
    page.get_by_label("Name").fill("Nadia Petrova")
    page.get_by_label("Concept").fill("Night-shift nurse")
    page.get_by_role("button", name="Create").click()

    expect(page.get_by_role("heading", name="Edit Nadia Petrova")).to_be_visible()
    expect(flash(page)).to_contain_text("Nadia Petrova was created.")
    summary = page.locator("section", has=page.get_by_role("heading", name="Creation summary"))
    expect(summary).to_contain_text("Attributes: 0/0/0 — 13 dot(s) below the guideline (6/4/3).")
    nadia = Human.objects.get(name="Nadia Petrova")
    assert (nadia.status, nadia.owner.get_username(), nadia.strength) == ("Un", "nadia", 1)

    # --- Dots, picked one click at a time ----------------------------------------------
    for trait, rating in DOTS.items():
        page.get_by_role("radio", name=f"{trait} {rating} of 10").click()
    expect(page.get_by_role("radio", name="Strength 3 of 10")).to_be_checked()
    # The picker fills every dot below the chosen one (tg.js): 1 and 2 look taken too.
    strength_2 = page.get_by_role("radio", name="Strength 2 of 10")
    expect(strength_2).to_have_class(re.compile(r"\bbelow\b"))
    assert strength_2.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(33, 37, 41)"
    # The summary counts as the dots are tapped (tg.js), as the server will.
    expect(summary).to_contain_text("Attributes: 6/4/3, as the guideline (6/4/3).")
    expect(summary).to_contain_text("Abilities: 5/0/0 — 17 dot(s) below the guideline (11/7/4).")
    screenshot(page, "player-character-edit")
    assert_accessible(page)
    page.get_by_role("button", name="Save the sheet").click()

    # The sheet: the dots as saved, and the creation summary counted again.
    expect(page.get_by_role("heading", name="Nadia Petrova")).to_be_visible()
    expect(flash(page)).to_have_text("Nadia Petrova's sheet was saved.")
    expect(page.get_by_role("img", name="Strength 3 of 10")).to_be_visible()
    expect(page.get_by_role("img", name="Brawl 2 of 10")).to_be_visible()
    expect(summary).to_contain_text("Attributes: 6/4/3, as the guideline (6/4/3).")
    expect(summary).to_contain_text("Abilities: 5/0/0 — 17 dot(s) below the guideline (11/7/4).")
    nadia.refresh_from_db()
    assert (nadia.strength, nadia.manipulation, nadia.wits, nadia.brawl) == (3, 2, 2, 2)

    # --- Submitted for approval --------------------------------------------------------
    page.get_by_role("button", name="Submit for approval").click()
    expect(flash(page)).to_contain_text("Nadia Petrova was submitted")
    expect(page.locator("main .badge").first).to_have_text("Submitted")
    expect(page.get_by_role("button", name="Withdraw the submission")).to_be_visible()
    assert Human.objects.get(pk=nadia.pk).status == "Sub"

    # (Set-up, not the walk: the head storyteller approves it and grants starting XP.)
    lifecycle.change_status(character_id=nadia.pk, status="App", by=world.head)
    Human.objects.get(pk=nadia.pk).add_xp(20, by=world.head, note="Starting XP")

    # --- Spend XP: one page, the price and the balance after on each button ----------
    page.reload()
    expect(page.locator("main .badge").first).to_have_text("Approved")
    screenshot(page, "player-sheet")
    assert_accessible(page)
    page.get_by_role("link", name="Spend XP").click()
    expect(page.get_by_role("heading", name="Spend XP")).to_be_visible()
    expect(page.get_by_text("Nadia Petrova has 20 XP.")).to_be_visible()
    # Willpower 1 → 2 costs 1; Strength 3 → 4 costs 12; Strength is the one we take.
    strength = page.get_by_role("button", name="Spend 12 XP: Strength 3 → 4, 8 XP left")
    expect(strength).to_be_visible()
    page.get_by_label("Why this dot?").fill("Months of training with Marcus")
    screenshot(page, "player-spend")
    assert_accessible(page)

    # A second tab on the same page, opened before the spend.
    second_tab = context.new_page()
    second_tab.goto(page.url)

    strength.dblclick()
    expect(flash(page)).to_have_text(
        "Requested Strength 3 → 4 for 12 XP; 8 XP left. A storyteller will decide."
    )
    pending = page.locator("section", has=page.get_by_role("heading", name="Experience"))
    expect(pending.get_by_role("listitem")).to_have_count(1)
    expect(pending.get_by_role("listitem")).to_contain_text("Strength 3 → 4, 12 XP")
    expect(page.get_by_role("button", name="Withdraw the Strength request")).to_have_count(1)
    requests = XPSpendingRequest.objects.filter(character=nadia)
    assert list(requests.values_list("trait_name", "status", "cost", "player_note")) == [
        ("strength", SpendStatus.PENDING, 12, "Months of training with Marcus")
    ]
    spends = XPLedgerEntry.objects.filter(character=nadia, kind=LedgerKind.SPEND)
    assert list(spends.values_list("amount", flat=True)) == [-12]
    assert Human.objects.get(pk=nadia.pk).xp == 8

    # The second tab's Spend: refused with the reason, nothing charged again.
    second_tab.get_by_role("button", name="Spend 12 XP: Strength 3 → 4, 8 XP left").click()
    expect(flash(second_tab)).to_contain_text("Strength already has a pending request")
    second_tab.close()
    assert requests.count() == 1
    assert Human.objects.get(pk=nadia.pk).xp == 8

    # --- Withdraw: the XP comes back, and the history says so --------------------------
    page.get_by_role("button", name="Withdraw the Strength request").click()
    expect(flash(page)).to_have_text("Withdrew the request for Strength; 12 XP came back.")
    expect(page.get_by_role("button", name="Withdraw the Strength request")).to_have_count(0)
    assert requests.get().status == SpendStatus.WITHDRAWN
    assert Human.objects.get(pk=nadia.pk).xp == 20

    page.get_by_role("link", name="XP history").click()
    expect(page.get_by_role("heading", name="XP history")).to_be_visible()
    expect(page.get_by_text("Balance 20 XP")).to_be_visible()
    expect(page.get_by_text("balance matches ledger")).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)  # newest first: refund, spend, starting XP
    expect(rows.nth(0).locator("td")).to_have_text(
        [re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d"), "Refund", "+12", "20",
         "Strength 3 → 4 (Withdrawn)", "nadia", "Withdrawn"]
    )  # fmt: skip
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("Spend")
    expect(rows.nth(1).locator("td").nth(3)).to_have_text("8")
    screenshot(page, "player-history")
    assert_accessible(page)

    # --- My scenes, and signing in again -----------------------------------------------
    page.get_by_role("link", name="Scenes").click()
    expect(page.get_by_role("heading", name="Scenes your characters played")).to_be_visible()
    screenshot(page, "player-my-scenes")
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    page.goto(reverse("dashboard"))
    expect(page.get_by_role("heading", name="Sign in to tg")).to_be_visible()
    screenshot(page, "player-sign-in")
    assert_accessible(page)
    submit_login_form(page, "nadia", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Your characters")).to_be_visible()
    expect(page.get_by_role("list", name="Your characters")).to_contain_text(
        "20 XP available · 20 earned · 0 spent · 0 pending"
    )
    screenshot(page, "player-dashboard")
    assert_accessible(page)


def test_the_players_pages_fit_a_phone(phone_page):
    """375 px wide: no sideways scrolling, and the buttons a player needs are on screen."""
    world = build_showcase()
    page = phone_page
    login(page, world.player)
    ada = world.ada

    page.goto(reverse("dashboard"))
    assert_fits_the_screen(page)
    expect(page.get_by_role("button", name="Show the menu")).to_be_visible()
    screenshot(page, "phone-dashboard")

    page.goto(ada.get_absolute_url())
    assert_fits_the_screen(page)
    for name in ("Spend XP", "XP history"):
        assert_fits_the_screen(page, page.get_by_role("link", name=name))
    assert_fits_the_screen(page, page.get_by_role("button", name="Withdraw the Brawl request"))
    screenshot(page, "phone-sheet")
    assert_accessible(page)

    page.get_by_role("link", name="Spend XP").click()
    assert_fits_the_screen(page)
    raise_wits = page.get_by_role(
        "button", name=re.compile(r"^Spend 8 XP: Wits 2 → 3, \d+ XP left$")
    )
    assert_fits_the_screen(page, raise_wits)
    screenshot(page, "phone-spend")
    assert_accessible(page)

    page.goto(reverse("xp-history", args=[ada.pk]))
    assert_fits_the_screen(page)
    assert_fits_the_screen(page, page.get_by_role("link", name="Download CSV"))
    screenshot(page, "phone-history")
    assert_accessible(page)

    page.goto(reverse("character-edit", args=[world.una.pk]))
    assert_fits_the_screen(page)
    assert_fits_the_screen(page, page.get_by_role("radio", name="Strength 10 of 10"))
    assert_fits_the_screen(page, page.get_by_role("button", name="Save the sheet"))
    screenshot(page, "phone-character-edit")


def test_a_note_of_one_very_long_word_wraps_instead_of_widening_the_page(phone_page, page):
    world = storyteller_world()
    word = "A" * 500  # the longest reason a storyteller may give, without one space
    world.ada.deny_xp_spend(world.requests["brawl"].pk, world.storyteller, reason=word)
    invitation = Invitation.objects.create(
        chronicle=world.chronicle, created_by=world.head, note="N" * 200
    )

    login(phone_page, world.player)
    phone_page.goto(reverse("dashboard"))
    expect(phone_page.get_by_text(word, exact=False)).to_be_visible()
    assert_fits_the_screen(phone_page)

    login(page, world.head)
    page.goto(reverse("invitations", args=[world.chronicle.pk]))
    expect(page.get_by_text(invitation.note, exact=True)).to_be_visible()
    assert_fits_the_screen(page)


def test_a_name_with_markup_is_shown_as_text_and_never_run(page):
    """A character named <script>alert(1)</script> reads as that text on every page."""
    world = player_world()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, world.member)

    page.goto(reverse("character-create"))
    page.get_by_label("Name").fill("<script>alert(1)</script>")
    page.get_by_label("Concept").fill('<img src="x" onerror="alert(2)">')
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Edit <script>alert(1)</script>")).to_be_visible()
    character = Human.objects.get(owner=world.member)
    lifecycle.change_status(character_id=character.pk, status="Sub", by=world.member)
    lifecycle.change_status(character_id=character.pk, status="App", by=world.head)

    for url in (
        reverse("dashboard"),
        character.get_absolute_url(),
        reverse("xp-spend", args=[character.pk]),
        reverse("xp-history", args=[character.pk]),
        reverse("chronicle", args=[world.chronicle.pk]),
    ):
        page.goto(url)
        expect(page.get_by_text("<script>alert(1)</script>").first).to_be_visible()
        assert page.locator("main script").count() == 0, url
        assert page.locator("main img").count() == 0, url
    expect(page.get_by_text('<img src="x" onerror="alert(2)">')).to_be_visible()
    screenshot(page, "player-markup-as-text")
    assert dialogs == []


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_screenshots_of_the_player_pages(page, phone_page):
    """The README's player pictures, from fixed data: sheet, spend page, XP history."""
    world = build_showcase()
    login(page, world.player)
    ada = world.ada

    page.goto(ada.get_absolute_url())
    expect(page.get_by_role("heading", name="Ada Moreau")).to_be_visible()
    screenshot(page, "readme-sheet")

    page.goto(reverse("xp-spend", args=[ada.pk]))
    expect(page.get_by_text(re.compile(r"needs \d+ more$")).first).to_be_visible()
    screenshot(page, "readme-spend", full_page=False)

    page.goto(reverse("xp-history", args=[ada.pk]))
    expect(page.get_by_text("balance matches ledger")).to_be_visible()
    screenshot(page, "readme-history")

    login(phone_page, world.player)
    phone_page.goto(ada.get_absolute_url())
    expect(phone_page.get_by_role("heading", name="Ada Moreau")).to_be_visible()
    screenshot(phone_page, "readme-sheet-phone", full_page=False)
