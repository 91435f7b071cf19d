"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Writing one
-----------
A test that takes ``page`` (a desktop browser, 1280×800) or ``phone_page`` (375×812, touch)
is a browser test: it is marked ``browser`` automatically (mark the module as well,
``pytestmark = pytest.mark.browser``, for the reader) and its pages talk to the live
server, so ``page.goto("/admin/")`` needs no host::

    from playwright.sync_api import expect

    from tests.browser import assert_accessible, login, screenshot

    def test_storyteller_sees_pending_requests(page, storyteller):
        login(page, storyteller)
        page.goto("/requests/")
        expect(page.get_by_role("heading", name="Pending requests")).to_be_visible()
        screenshot(page, "requests-pending")
        assert_accessible(page)

Assert what a person sees: text, counts, computed style — ``expect(...)`` waits for it.

Running
-------
``scripts/test.sh -m browser`` runs only the browser tests, on SQLite and on PostgreSQL, and
rewrites ``screenshots/`` (git-ignored); ``.venv/bin/python -m pytest -m browser`` is the
quick SQLite-only form; ``-m "not browser"`` leaves them out.

Database
--------
The live server answers from its own thread, so it sees only rows the test has committed.
pytest-django therefore gives every test that uses ``live_server`` — here every test using
``page`` or ``phone_page``, through conftest's ``base_url`` — transactional database
access, as ``@pytest.mark.django_db(transaction=True)`` would: rows are committed, not
rolled back, and every table is flushed after the test. No marker is needed, and
``db``-based fixtures such as ``make_user`` work as they are. On SQLite the test database
is in memory and the test's connection is handed to the server thread (pytest-django's
``connections_override``, as in Django's LiveServerTestCase); on PostgreSQL the server
thread opens its own connections to the same test database.

Static files
------------
pytest-django's ``live_server`` serves ``STATIC_URL`` through ``django.contrib.staticfiles``'
handler whenever that app is installed (Django's StaticLiveServerTestCase behaviour): files
come straight from the apps' ``static/`` folders, without ``collectstatic``.

Chromium
--------
``/usr/bin/chromium``, Debian's package (``scripts/test.sh`` installs it). Never
``playwright install``: it downloads a browser build, and this machine reaches only the
package registries. Without Chromium the browser tests are skipped with that reason, or
the run stops when ``TG_REQUIRE_SERVICES=1`` (the PostgreSQL pass of scripts/test.sh).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from tests import password_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # Chromium's sandbox refuses to start as root, which tests here run as
    # No traffic of its own (updates, safe browsing, sync, QUIC probes): the tests see only
    # the live server, and the machine reaches nothing else anyway.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-gpu",  # no GPU here; software rendering without probing for one
    "--no-first-run",
]

# The login form that login() fills in: the admin's for now. When the site has its own
# login page, this becomes "/accounts/login/" (the one line to change): any form with
# fields labelled Username and Password and one submit button will do, whatever the
# button says (Django's AuthenticationForm gives those labels).
LOGIN_URL = "/accounts/login/"

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
_SCREENSHOT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")

# axe impacts that fail assert_accessible; "minor" and "moderate" are returned, not enforced.
FAILING_IMPACTS = ("serious", "critical")
_AXE = Axe()  # axe-core ships inside the package: nothing is fetched


# --- Collection -------------------------------------------------------------------------


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark every test that drives a browser ``browser`` (so ``-m`` selects it) and
    transactional: the live server commits, so these tests flush every table when they
    end. Marked as each test is collected — before pytest-django sorts the tests — they
    run after every test that relies on rolled-back transactions and on the rows data
    migrations loaded (game lines)."""
    if "browser" in getattr(item, "fixturenames", ()):
        item.add_marker(pytest.mark.browser)
        item.add_marker(pytest.mark.django_db(transaction=True))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Without Chromium, skip the selected browser tests — or stop, if services are required."""
    if os.access(CHROMIUM, os.X_OK):
        return
    browser_items = [item for item in session.items if item.get_closest_marker("browser")]
    if not browser_items:
        return
    if os.environ.get("TG_REQUIRE_SERVICES") == "1":
        raise pytest.UsageError(
            f"TG_REQUIRE_SERVICES=1 but {CHROMIUM} is missing, needed by "
            f"{len(browser_items)} browser test(s): apt-get install -y chromium "
            "(scripts/test.sh does it)"
        )
    skip = pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)")
    for item in browser_items:
        item.add_marker(skip)


# --- Fixtures (overriding pytest-playwright's) ------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's Chromium, headless unless ``--headed``."""
    return {
        "headless": True,
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """Pages open relative to the live server (conftest's ``base_url``); light, English, UTC."""
    return {
        **browser_context_args,
        "color_scheme": "light",
        "locale": "en-US",
        "timezone_id": "UTC",
    }


@pytest.fixture
def context(new_context):
    """A desktop browser window (``page`` opens its tab here)."""
    return new_context(viewport=DESKTOP)


@pytest.fixture
def phone_page(new_context) -> Page:
    """A phone: 375×812 CSS pixels at 2× density, touch, and the mobile viewport rules.

    As on a real phone, a page without ``<meta name="viewport">`` is laid out 980 px wide.
    """
    phone = new_context(
        viewport=PHONE, screen=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    return phone.new_page()


# --- Helpers ----------------------------------------------------------------------------


def submit_login_form(page: Page, username: str, password: str) -> None:
    """Type into the login form on the current page, press its button, wait for the answer."""
    password_field = page.get_by_label("Password")
    form = page.locator("form").filter(has=password_field)
    form.get_by_label("Username").fill(username)
    password_field.fill(password)
    with page.expect_navigation():
        form.get_by_role("button").click()


def login(page: Page, user, password: str | None = None) -> None:
    """Log ``user`` in through the real form at ``LOGIN_URL``, as a person would.

    ``password`` defaults to the persona password ``make_user`` gives. Fails with the
    form's error text when it does not let the user in (the admin's form admits staff only).
    """
    username = user.get_username()
    page.goto(LOGIN_URL)
    submit_login_form(page, username, password or password_for(username))
    if urlsplit(page.url).path == LOGIN_URL:
        # Error markup of the admin, of Django's form templates, of django-bootstrap5.
        errors = ".errornote, .errorlist, .text-danger, .invalid-feedback, [role=alert]"
        shown = [text for text in page.locator(errors).all_inner_texts() if text.strip()]
        raise AssertionError(
            f"logging in as {username!r} at {LOGIN_URL} failed: {shown or 'no error shown'}"
        )


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save the whole page (or, with ``full_page=False``, the screen's worth at the top) as
    ``screenshots/<name>.png``, rewritten every run; return the path."""
    if not _SCREENSHOT_NAME.fullmatch(name):
        raise ValueError(f"screenshot name {name!r}: use lower-case letters, digits, - and _")
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page, animations="disabled", caret="hide")
    return path


def flash(page: Page) -> Locator:
    """The messages the site shows after an action ("Requested …", "1 approved.")."""
    return page.locator("main .messages")


def assert_fits_the_screen(page: Page, locator: Locator | None = None) -> None:
    """The page does not scroll sideways; or ``locator`` is visible and wholly on screen
    from left to right (scrolling down to it is fine: it is a phone)."""
    width = page.evaluate("innerWidth")
    if locator is None:
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, (
            f"{page.url} scrolls sideways: {scroll} px wide on a {width} px screen"
        )
        return
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (
        f"{locator} on {page.url} is cut off: {box} on a {width} px screen"
    )


def assert_accessible(page: Page) -> list[dict]:
    """Run axe-core on the page as it is now; fail on any serious or critical violation.

    The failure lists each violated rule with its impact, the elements (CSS selectors),
    what axe found there and the rule's help page. Returns all violations axe reported,
    the lesser ones included, for a test that wants to look at them.
    """
    violations = _AXE.run(page).response["violations"]
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    if failing:
        raise AssertionError(describe_violations(page.url, failing))
    return violations


def describe_violations(url: str, violations: list[dict]) -> str:
    """axe violations as lines a person can act on."""
    lines = [f"{len(violations)} serious or critical accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            target = " >> ".join(str(selector) for selector in node["target"])
            # failureSummary: "Fix any of the following:\n  <finding>\n  <finding>" (and
            # maybe a "Fix all of the following:" block): one line, findings split by ";".
            summary = "; ".join(
                line.strip() for line in node.get("failureSummary", "").splitlines() if line.strip()
            )
            lines.append(f"    {target}: {summary.replace(':; ', ': ')}")
        lines.append(f"    see {violation['helpUrl']}")
    return "\n".join(lines)


def count_loads(page: Page):
    """Start counting the documents the tab loads (a link followed, a form posted and its
    redirect: one each); the returned function gives the count so far, once the last
    load has finished. The issue-17 flows are judged by this number."""
    loads: list[str] = []
    page.on("load", lambda loaded: loads.append(loaded.url))

    def count() -> int:
        page.wait_for_load_state("load")
        return len(loads)

    return count
