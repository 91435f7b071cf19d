"""Every page on a 375 px phone (issue 17 item 5): nothing wider than the screen, and the
values people decide by — cost and waiting in the queue, override and gets on the award,
what each XP entry was for, the invitation link — on screen without scrolling sideways.
Tables become stacked rows below Bootstrap's small breakpoint (tg.css, table-stack)."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from game.models import Invitation, XPSpendingRequest
from game.tests.browser_world import build_showcase
from oversight.tests.ops_support import make_operator, store_hourly_runs
from tests.browser import assert_accessible, assert_fits_the_screen, login, screenshot

pytestmark = pytest.mark.browser


def on_screen(page: Page, text: str) -> None:
    """``text`` is shown and wholly on screen from left to right."""
    assert_fits_the_screen(page, page.get_by_text(text, exact=True).first)


def test_every_page_fits_a_phone_and_shows_its_key_values(phone_page):
    page = phone_page
    world = build_showcase()
    head, ada = world.head, world.ada
    chronicle = world.chronicle
    invitation = Invitation.objects.create(chronicle=chronicle, created_by=head, note="Nadia")
    request = XPSpendingRequest.objects.filter(status="Pending").order_by("pk").first()
    make_operator(head)  # and the operator pages too, with a week of monitor runs
    store_hourly_runs(24 * 7, now=timezone.now(), score=85, issues=1)
    login(page, head)

    pages = {
        "dashboard": reverse("dashboard"),
        "st-dashboard": reverse("st-dashboard"),
        "queue": reverse("st-queue"),
        "request": reverse("st-request", args=[request.pk]),
        "approvals": reverse("st-approvals"),
        "scenes": reverse("st-scenes"),
        "award": reverse("st-scene-award", args=[world.scene.pk]),
        "sheet": reverse("character-sheet", args=[ada.pk]),
        "history": reverse("xp-history", args=[ada.pk]),
        "chronicle": reverse("chronicle", args=[chronicle.pk]),
        "invitations": reverse("invitations", args=[chronicle.pk]),
        "storytellers": reverse("storytellers", args=[chronicle.pk]),
        "report": reverse("chronicle-report", args=[chronicle.pk]) + "?months=all",
        "audit": reverse("chronicle-audit", args=[chronicle.pk]),
        "account": reverse("account"),
        "chronicle-start": reverse("chronicle-start"),
        "my-scenes": reverse("my-scenes"),
        "ops-health": reverse("ops-health"),
        "ops-integrity": reverse("ops-integrity"),
        "ops-operations": reverse("ops-operations"),
    }
    for name, url in pages.items():
        page.goto(url)
        assert_fits_the_screen(page)
        if name == "queue":
            rows = page.locator("#batch tbody tr")
            expect(rows).to_have_count(3)
            for label in ("Cost", "Waiting", "Decision"):
                assert_fits_the_screen(page, rows.first.locator(f'td[data-label="{label}"]'))
            on_screen(page, "3 XP")  # Cal's Athletics 0 → 1
            assert_fits_the_screen(page, page.get_by_role("button", name="Save decisions"))
            screenshot(page, "phone-queue")
            assert_accessible(page)
        elif name == "award":
            row = page.locator("tbody tr").filter(has_text="Cal Okafor")
            page.get_by_label("XP for Cal Okafor").select_option("3")
            assert_fits_the_screen(page, page.get_by_label("XP for Cal Okafor"))
            gets = row.locator('td[data-label="Gets"]')
            expect(gets).to_have_text("3 XP")
            assert_fits_the_screen(page, gets)
            screenshot(page, "phone-award")
            assert_accessible(page)
        elif name == "history":
            first = page.locator("tbody tr").filter(has_text="Rooftops").first
            assert_fits_the_screen(page, first.locator('td[data-label="For"]'))
            assert_fits_the_screen(page, first.locator('td[data-label="Amount"]'))
            screenshot(page, "phone-history")
        elif name == "invitations":
            link = page.get_by_label("Link for Nadia")
            assert_fits_the_screen(page, link)
            expect(link).to_have_value(
                f"{page.url.split('/chronicles')[0]}/invite/{invitation.token}/"
            )
            assert_fits_the_screen(page, page.get_by_role("button", name="Copy link"))
            screenshot(page, "phone-invitations")
            assert_accessible(page)
        elif name == "audit":
            assert_fits_the_screen(page, page.locator('#audit td[data-label="XP"]').first)
        elif name == "report":
            assert_fits_the_screen(page, page.locator("#awards-by-scene td[data-label='XP']").first)


def test_from_invitation_link_to_a_submitted_character_in_four_page_loads(phone_page):
    """Issue 17's first flow on a phone: the link, the account, the character's name,
    the dots with their live count and one "Save and submit"."""
    from characters.models import Human
    from game.tests.browser_world import player_world
    from tests.browser import count_loads, flash

    page = phone_page
    world = player_world()
    loads = count_loads(page)
    page.goto(world.invitation.get_absolute_url())  # 1
    page.get_by_label("Username").fill("nadia")
    page.get_by_label("E-mail address").fill("nadia@example.test")
    page.get_by_label("Password", exact=True).fill("a long enough pass phrase")
    page.get_by_label("Password confirmation").fill("a long enough pass phrase")
    page.get_by_role("button", name="Create the account and join").click()  # 2
    expect(
        page.get_by_role("heading", name="Create your character for Chicago by Night")
    ).to_be_visible()
    page.get_by_label("Name").fill("Nadia Petrova")
    page.get_by_role("button", name="Create").click()  # 3
    summary = page.locator("section", has=page.get_by_role("heading", name="Creation summary"))
    expect(summary).to_contain_text("Attributes: 0/0/0 — 13 dot(s) below the guideline (6/4/3).")
    for trait, rating in {"Strength": 3, "Dexterity": 3, "Stamina": 3, "Charisma": 2}.items():
        page.get_by_role("radio", name=f"{trait} {rating} of 10").click()
    expect(summary).to_contain_text("Attributes: 6/1/0 — 6 dot(s) below the guideline (6/4/3).")
    assert_fits_the_screen(page, page.get_by_role("button", name="Save and submit for approval"))
    screenshot(page, "phone-character-edit-live")
    page.get_by_role("button", name="Save and submit for approval").click()  # 4

    expect(flash(page)).to_contain_text("Nadia Petrova's sheet was saved and submitted")
    expect(page.locator("main .badge").first).to_have_text("Submitted")
    assert loads() == 4
    nadia = Human.objects.get(name="Nadia Petrova")
    assert (nadia.status, nadia.strength, nadia.charisma) == ("Sub", 3, 2)
