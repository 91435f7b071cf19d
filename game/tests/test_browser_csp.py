"""Every page a player and a storyteller use, loaded in Chromium under tg's
Content-Security-Policy — the one production sends (tg/settings/base.py, shared by every
environment) — without a single violation.

Chromium reports each blocked script, stylesheet, inline style or image as a
``securitypolicyviolation`` event (listened to from an init script, which the policy does
not govern) and as a console error; the test collects both. The last test proves the
watcher sees a violation when there is one.
"""

import re

import pytest
from django.conf import settings

from game.operations import xp
from game.tests.web_world import build_world
from tests.browser import login

pytestmark = pytest.mark.browser

LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.tgCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `(${event.sourceFile || location.pathname}:${event.lineNumber})`
  );
});
"""


@pytest.fixture
def violations(page):
    """What the policy blocked on ``page``, as (path, description)."""
    seen = []
    page.expose_function("tgCspViolation", lambda text: seen.append((page.url, text)))
    page.add_init_script(LISTENER)
    page.on(
        "console",
        lambda message: (
            seen.append((page.url, message.text))
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return seen


@pytest.fixture
def world(db):
    world = build_world()
    xp.award_scene_xp(  # the report then has bars to draw
        scene=world.scene, character_awards={world.approved: 2}, by=world.users["head"]
    )
    return world


def policy(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, (path, response.status)
    assert (
        policy(response.headers["content-security-policy"])
        == (settings.CONTENT_SECURITY_POLICY["DIRECTIVES"])
    ), path
    page.wait_for_load_state("load")


def test_the_players_pages_break_no_rule_of_the_policy(page, violations, world):
    ada, una = world.approved, world.unfinished
    login(page, world.users["owner"], "pw")

    for path in (
        "/",
        f"/characters/{ada.pk}/",
        f"/characters/{una.pk}/edit/",
        f"/characters/{ada.pk}/xp/spend/",
        f"/characters/{ada.pk}/xp/spend/?trait=athletics",
        f"/characters/{ada.pk}/xp/",
        "/scenes/",
        f"/chronicles/{world.chronicle.pk}/",
        "/accounts/",
    ):
        visit(page, path)
    # Spending submits a form (form-action) and lands on the sheet with a message.
    visit(page, f"/characters/{ada.pk}/xp/spend/?trait=athletics")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(r"^Spend \d+ XP$")).click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/characters/{ada.pk}/")

    assert violations == []


def test_the_storytellers_pages_break_no_rule_of_the_policy(page, violations, world):
    login(page, world.users["head"], "pw")

    for path in (
        "/st/",
        "/st/requests/",
        f"/st/requests/{world.pending.pk}/",
        "/st/characters/",
        "/st/scenes/",
        f"/st/scenes/{world.scene.pk}/award/",
        f"/characters/{world.approved.pk}/",
        f"/chronicles/{world.chronicle.pk}/report/",
        f"/chronicles/{world.chronicle.pk}/audit/",
        f"/chronicles/{world.chronicle.pk}/storytellers/",
    ):
        visit(page, path)
    visit(page, f"/chronicles/{world.chronicle.pk}/report/")
    assert page.locator("svg.bar-chart").count() >= 1  # the report's SVG charts, drawn

    assert violations == []


def test_the_watcher_sees_an_inline_style_the_policy_blocks(page, violations, world):
    login(page, world.users["owner"], "pw")
    visit(page, "/")

    page.evaluate("document.body.setAttribute('style', 'background: red')")
    page.wait_for_timeout(200)

    assert any("style-src" in text for _, text in violations), violations
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
