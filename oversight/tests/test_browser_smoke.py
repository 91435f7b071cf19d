"""The browser-test foundation, proven on the pages tg serves today: the admin's.

Chromium loads the live server's pages with their stylesheets, a person logs in through the
real form, screenshots land in screenshots/, the phone really is 375 px wide, and
assert_accessible catches serious violations and passes clean pages.
"""

import re
import struct
from urllib.parse import urlsplit

import pytest
from csp.decorators import csp_exempt
from django.contrib import admin
from django.http import HttpResponse
from django.urls import path, reverse
from playwright.sync_api import expect

from tests.browser import (
    LOGIN_URL,
    assert_accessible,
    login,
    screenshot,
    submit_login_form,
)

pytestmark = pytest.mark.browser

ADMIN_HEADER_BG = "rgb(65, 118, 144)"  # #417690, the admin stylesheet's --secondary
WRONG_LOGIN = (
    "Please enter the correct username and password for a staff account. "
    "Note that both fields may be case-sensitive."
)


def png_size(path) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_login_page_is_styled_by_the_admin_stylesheet(page):
    """The stylesheets come from the live server: the header has the admin's colour."""
    page.goto(reverse("admin:login"))

    expect(page.get_by_role("banner")).to_contain_text("tg administration")
    header_bg = page.locator("#header").evaluate("el => getComputedStyle(el).backgroundColor")
    body_font = page.locator("body").evaluate("el => getComputedStyle(el).fontFamily")
    assert header_bg == ADMIN_HEADER_BG  # unstyled, it would be transparent: rgba(0, 0, 0, 0)
    assert "system-ui" in body_font  # unstyled, it would be the browser's serif default
    screenshot(page, "admin-login")


def test_wrong_password_shows_the_error_and_keeps_the_user_out(page, make_user):
    make_user("sam_staff", is_staff=True)
    page.goto(reverse("admin:login"))

    submit_login_form(page, "sam_staff", "not-the-password")

    expect(page.locator(".errornote")).to_have_text(WRONG_LOGIN)
    assert urlsplit(page.url).path == reverse("admin:login")
    screenshot(page, "admin-login-wrong-password")
    page.goto(reverse("admin:index"))
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))


def test_a_superuser_logs_in_and_sees_the_admin_index(page, make_user):
    """The index greets the user and lists one section per app with models in the admin."""
    user = make_user("sam_staff", is_staff=True, is_superuser=True)

    login(page, user)
    page.goto(reverse("admin:index"))

    expect(page.get_by_role("heading", name="Superuser administration")).to_be_visible()
    expect(page.locator("#user-tools")).to_contain_text("Welcome, sam_staff")
    apps = {str(model._meta.app_config.verbose_name) for model in admin.site._registry}
    sections = [
        s.strip() for s in page.locator("#content-main .module caption").all_text_contents()
    ]
    assert sorted(sections) == sorted(apps)
    assert len(sections) >= 3  # auth, characters, game at least: the list is not empty

    shot = screenshot(page, "admin-index")
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
    assert png_size(shot)[0] == 1280


def test_login_helper_fails_with_the_forms_error_when_the_user_is_refused(page, make_user):
    """login() stops the test with what the form said instead of carrying on logged out."""
    user = make_user("sam_staff", is_staff=True)

    with pytest.raises(AssertionError) as failure:
        login(page, user, password="not-the-password")

    message = str(failure.value)
    assert message.startswith(f"logging in as 'sam_staff' at {LOGIN_URL} failed: [")
    assert "correct username and password" in message  # the form's own error text


def test_login_page_fits_a_phone(phone_page):
    """375 px wide, no sideways scrolling, the button within reach of a thumb."""
    phone_page.goto(reverse("admin:login"))

    assert phone_page.evaluate("innerWidth") == 375
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    assert phone_page.evaluate("navigator.maxTouchPoints") > 0
    button = phone_page.get_by_role("button", name="Log in").bounding_box()
    assert button is not None and button["x"] >= 0 and button["x"] + button["width"] <= 375
    shot = screenshot(phone_page, "admin-login-phone")
    assert png_size(shot)[0] == 375 * 2  # device pixels at 2× density


def test_login_page_has_no_serious_accessibility_violations(page):
    page.goto(reverse("admin:login"))

    assert_accessible(page)


# --- assert_accessible on pages made for it -------------------------------------------------

BAD_PAGE = """<!doctype html>
<html><head><title>Bad</title></head>
<body><main>
  <h1>Bad</h1>
  <img src="/static/admin/img/icon-yes.svg">
  <input type="text" id="unlabelled">
  <p style="color: #bbb; background: #fff">Faint text nobody can read</p>
</main></body></html>"""

# Clean but for one moderate finding: content outside any landmark.
GOOD_PAGE = """<!doctype html>
<html lang="en"><head><title>Good</title></head>
<body>
  <main>
    <h1>Good</h1>
    <img src="/static/admin/img/icon-yes.svg" alt="Yes">
    <label for="name">Name</label> <input type="text" id="name">
  </main>
  <p>Outside every landmark.</p>
</body></html>"""

urlpatterns = [
    # The faint text's inline style is the point of the bad page: no Content-Security-Policy
    # for it (tg's own pages have no inline style; game/tests/test_browser_csp.py).
    path("bad/", csp_exempt()(lambda request: HttpResponse(BAD_PAGE))),
    path("good/", lambda request: HttpResponse(GOOD_PAGE)),
]


@pytest.mark.urls(__name__)
def test_assert_accessible_fails_on_serious_violations_and_names_them(page):
    page.goto("/bad/")

    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)

    message = str(failure.value)
    assert message.startswith(f"4 serious or critical accessibility violation(s) on {page.url}:")
    assert "- html-has-lang (serious): <html> element must have a lang attribute" in message
    assert "- image-alt (critical): Images must have alternative text\n    img:" in message
    assert "- label (critical): Form elements must have labels\n    #unlabelled:" in message
    assert "- color-contrast (serious): Elements must meet minimum color contrast" in message
    assert "insufficient color contrast of 1.9" in message
    assert "see https://dequeuniversity.com/rules/axe/" in message


@pytest.mark.urls(__name__)
def test_assert_accessible_passes_a_clean_page_and_returns_lesser_findings(page):
    page.goto("/good/")

    violations = assert_accessible(page)

    assert [(v["id"], v["impact"]) for v in violations] == [("region", "moderate")]
