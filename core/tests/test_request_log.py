"""A refused request (4xx) is one warning line in the log, never a traceback; a server
error (5xx) keeps its traceback."""

import logging
import sys

import pytest
from django.urls import reverse

from core.log_filters import ClientErrorFilter
from game.tests.web_world import build_world

pytestmark = pytest.mark.django_db


def test_a_refusal_logs_one_line_with_its_reason_and_no_traceback(client, caplog):
    world = build_world()
    client.force_login(world.users["member"])  # mia, another player of the chronicle

    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("xp-spend", args=[world.approved.pk]))

    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelname == "WARNING"
    assert record.exc_info is None
    assert record.getMessage() == (
        f"Forbidden (Permission denied): /characters/{world.approved.pk}/xp/spend/ "
        "(PermissionDenied: Only the character's player can do this.)"
    )
    assert "Traceback" not in caplog.text


def test_a_server_error_keeps_its_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", ("/x/",),
        exc_info,
    )  # fmt: skip
    record.status_code = 500

    assert ClientErrorFilter().filter(record) is True
    assert record.exc_info is exc_info
    assert record.getMessage() == "Internal Server Error: /x/"
