"""Suite-wide pytest configuration.

Tests marked ``postgres`` need PostgreSQL (row locks, raw-SQL constraint checks) and are
skipped on SQLite; tests marked ``redis`` need a real Redis at ``REDIS_URL``. The test
script sets ``TG_REQUIRE_SERVICES=1`` on its PostgreSQL pass so that nothing is skipped
there silently.

Browser tests (marker ``browser``: Chromium through Playwright against the live server)
get their fixtures and helpers from ``tests.browser``, registered below.

Tests marked ``server`` (tg served by gunicorn) are also ``process`` (tg, or a script, in a
child process), and every ``process`` test is also ``once``: its child never uses the
SQLite test database (in memory, out of a child's reach), so it gives the same result on
either pass. ``scripts/test.sh`` runs the ``once`` tests on its PostgreSQL pass only,
setting ``TG_SKIP_ONCE=1`` on the SQLite pass (they are reported as deselected there).
"""

import os
from datetime import datetime

import pytest
import time_machine
from django.conf import settings

pytest_plugins = ["tests.browser", "tests.serving"]

# Sync Playwright runs an asyncio event loop on the main thread from the first browser test
# to the end of the session (pytest-playwright's session-scoped ``playwright`` fixture).
# Django's async-safety guard sees that loop and refuses every ORM call made by test code,
# fixtures and the database flush after each test (SynchronousOnlyOperation), although
# nothing runs concurrently: the test thread simply waits while the browser works, and the
# live server answers from a thread of its own. Django reads this variable at each guarded
# call, so setting it when this file is imported is early enough: before any test or fixture.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _vendor() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else engine.rsplit(".", 1)[-1]


def _flushes_the_database(item) -> bool:
    """Whether the test ends by flushing every table, as pytest-django decides it: a
    transactional ``django_db`` marker, or ``transactional_db``/``live_server`` (every
    browser test, through ``base_url``) among its fixtures."""
    marker = item.get_closest_marker("django_db")
    if marker is not None:
        flags = (*marker.args[:1], marker.kwargs.get("transaction"))
        if any(flags) or marker.kwargs.get("reset_sequences"):
            return True
    names = getattr(item, "fixturenames", ())
    return "transactional_db" in names or "live_server" in names


def pytest_itemcollected(item):
    """As each test is collected, before ``-m`` selects: ``server`` implies ``process``,
    which implies ``once``."""
    if item.get_closest_marker("server") and not item.get_closest_marker("process"):
        item.add_marker(pytest.mark.process)
    if item.get_closest_marker("process") and not item.get_closest_marker("once"):
        item.add_marker(pytest.mark.once)


def _deselect_once(config, items) -> None:
    """``TG_SKIP_ONCE=1`` (scripts/test.sh's SQLite pass) deselects the ``once`` tests;
    never on a run that requires the services: that pass runs every test."""
    if os.environ.get("TG_SKIP_ONCE") != "1":
        return
    if os.environ.get("TG_REQUIRE_SERVICES") == "1":
        raise pytest.UsageError(
            "TG_SKIP_ONCE=1 and TG_REQUIRE_SERVICES=1: the pass that requires the services "
            "runs every test"
        )
    once = [item for item in items if item.get_closest_marker("once")]
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [item for item in items if not item.get_closest_marker("once")]


# Last, after pytest's own reordering: pytest-django runs the tests that flush the
# database after the others, but pytest then regroups the tests that share a
# session-scoped parameter — Playwright's ``browser_name``, which any test with an
# argument named ``page`` also gets — and so pulled the browser tests up among ordinary
# ones. Their flush deletes the rows migrations create (game lines, the operators
# group) for every test after them. This puts the flushing tests back at the end.
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    _deselect_once(config, items)
    items[:] = sorted(items, key=_flushes_the_database)
    require = os.environ.get("TG_REQUIRE_SERVICES") == "1"
    on_postgres = _vendor() == "postgresql"
    has_redis = bool(os.environ.get("REDIS_URL"))
    if require and not (on_postgres and has_redis):
        raise pytest.UsageError(
            "TG_REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL or REDIS_URL is unset"
        )
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    skip_redis = pytest.mark.skip(reason="needs Redis (set REDIS_URL)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not has_redis:
            item.add_marker(skip_redis)


# TG_TEST_CLOCK: one moment, or several separated by commas (scripts/test.sh passes three).
_CLOCK_MOMENTS = [m.strip() for m in os.environ.get("TG_TEST_CLOCK", "").split(",") if m.strip()]

if len(_CLOCK_MOMENTS) > 1:

    @pytest.fixture(scope="session", params=_CLOCK_MOMENTS)
    def _clock_moment(request):
        """Each moment of TG_TEST_CLOCK in turn: every test runs once at each, the tests
        grouped by moment (session scope), as if the suite ran once per moment."""
        return request.param

else:

    @pytest.fixture(scope="session")
    def _clock_moment():
        return _CLOCK_MOMENTS[0] if _CLOCK_MOMENTS else None


@pytest.fixture(autouse=True)
def _moved_clock(request, _clock_moment):
    """``TG_TEST_CLOCK=2027-01-01T00:00:00+00:00`` runs every test with the clock set to
    that moment (and ticking from it), so that the suite can be shown not to depend on the
    day it runs: scripts/test.sh runs the ``dates`` tests at several such moments (in one
    pytest process: ``TG_TEST_CLOCK=MOMENT,MOMENT,...`` runs each test at every moment,
    its id ending in the moment). Tests that need a particular date set it themselves with
    time-machine's ``time_machine`` fixture, which takes precedence over this one. A child
    process (marker ``process``) reads the machine's real clock, so tests that compare its
    view of "now" with rows written here keep the real clock too."""
    if not _clock_moment or request.node.get_closest_marker("process"):
        yield
        return
    with time_machine.travel(datetime.fromisoformat(_clock_moment), tick=True):
        yield


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Where browser pages open: ``page.goto("/admin/")`` goes to the live server.

    Only browser tests ask for it (through pytest-playwright's context arguments), so
    only they start the live server — and only they get the transactional database
    that comes with it. pytest.ini turns off the pytest-base-url plugin: its autouse
    ``_verify_url`` would request this fixture, hence the live server, for every test,
    making every test transactional (flushed tables, the game lines loaded by a data
    migration gone, and a slower suite).
    """
    return live_server.url


# --- Personas shared by every app's tests -------------------------------------------


@pytest.fixture
def make_user(db):
    """``make_user("ada", is_staff=True)``: ``tests.support.make_person``."""
    from tests.support import make_person

    return make_person


@pytest.fixture
def storyteller(make_user):
    """Head storyteller of ``chronicle``."""
    return make_user("sophia_st")


@pytest.fixture
def player(make_user):
    return make_user("pat_player")


@pytest.fixture
def chronicle(storyteller):
    from game.models import Chronicle

    return Chronicle.objects.create(name="Chicago by Night", head_st=storyteller)


@pytest.fixture
def make_human(player, chronicle):
    """``make_human(name="Ada", xp=10, status="App", **traits)`` — saved through the ORM."""
    from characters.models import Human

    def make(name="Ada", **fields):
        fields.setdefault("owner", player)
        fields.setdefault("chronicle", chronicle)
        fields.setdefault("status", "App")
        return Human.objects.create(name=name, **fields)

    return make


@pytest.fixture
def tg_monitoring(settings):
    """``tg_monitoring(TOKEN="t", MIN_SAMPLE=1)``: override some TG_MONITORING options for
    one test (pytest-django restores the settings afterwards)."""

    def override(**options):
        settings.TG_MONITORING = {**settings.TG_MONITORING, **options}

    return override


@pytest.fixture
def other_session():
    """A second PostgreSQL session of its own, as another operator's (psql, a second
    command) would be: autocommit, closed after the test."""
    import psycopg2
    from django.db import connection

    session = psycopg2.connect(**connection.get_connection_params())
    session.autocommit = True
    yield session
    session.close()
