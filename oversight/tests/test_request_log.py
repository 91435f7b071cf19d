"""A refused request (4xx) is one warning line in the log, never a traceback; a server
error (5xx) keeps its traceback. Read from the console handler settings.LOGGING sets up,
which is where production's log lines go."""

import io
import logging
import sys

import pytest
from django.urls import path, reverse

from core.log_filters import ClientErrorFilter
from game.tests.web_world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def console():
    """What tg's console handler writes, while the test runs."""
    [handler] = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, ClientErrorFilter) for f in h.filters)
    ]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_a_refusal_logs_one_line_with_its_reason_and_no_traceback(client, console):
    world = build_world()
    client.force_login(world.users["member"])  # mia, another player of the chronicle

    response = client.get(reverse("xp-spend", args=[world.approved.pk]))

    assert response.status_code == 403
    [line] = console.getvalue().splitlines()
    assert line.endswith(
        f"WARNING django.request: Forbidden (Permission denied): /characters/"
        f"{world.approved.pk}/xp/spend/ (PermissionDenied: Only the character's player can "
        "do this.)"
    )


def test_a_disallowed_host_is_one_warning_line_and_mails_no_one(
    client, console, settings, mailoutbox
):
    settings.ADMINS = [("tg admin", "ops@example.org")]  # TG_ADMINS=ops@example.org

    response = client.get("/", HTTP_HOST="evil%s.example")

    assert response.status_code == 400
    [line] = console.getvalue().splitlines()
    assert (
        "WARNING django.security.DisallowedHost: Invalid HTTP_HOST header: 'evil%s.example'" in line
    )
    assert mailoutbox == []


def boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", boom)]


@pytest.mark.urls(__name__)
def test_a_server_error_still_mails_the_admins(client, console, settings, mailoutbox):
    settings.ADMINS = [("tg admin", "ops@example.org")]
    client.raise_request_exception = False

    assert client.get("/boom/").status_code == 500
    assert client.get("/boom/", HTTP_HOST="evil.example").status_code == 400

    [mail] = mailoutbox
    assert mail.to == ["ops@example.org"]
    assert "Internal Server Error: /boom/" in mail.subject
    assert "ERROR django.request: Internal Server Error: /boom/" in console.getvalue()


def record(status, msg, args, exc_info):
    entry = logging.LogRecord("django.request", logging.WARNING, __file__, 1, msg, args, exc_info)
    entry.status_code = status
    return entry


def raised(error):
    try:
        raise error
    except type(error):
        return sys.exc_info()


def test_records_with_mapping_arguments_or_percent_signs_keep_their_message():
    mapping = record(403, "Refused %(path)s", ({"path": "/a%b/"},), raised(ValueError("no 100%")))
    literal = record(400, "50% off", None, raised(ValueError("bad")))

    for entry in (mapping, literal):
        assert ClientErrorFilter().filter(entry) is True
        assert entry.exc_info is None
    assert mapping.getMessage() == "Refused /a%b/ (ValueError: no 100%)"
    assert literal.getMessage() == "50% off (ValueError: bad)"


def test_a_server_error_keeps_its_traceback():
    exc_info = raised(RuntimeError("boom"))
    entry = record(500, "Internal Server Error: %s", ("/x/",), exc_info)

    assert ClientErrorFilter().filter(entry) is True
    assert entry.exc_info is exc_info
    assert entry.getMessage() == "Internal Server Error: /x/"
