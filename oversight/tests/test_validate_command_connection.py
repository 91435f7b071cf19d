"""A database that cannot be reached is a clear one-line error with exit status 2."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.process


def test_an_unreachable_database_exits_2_with_one_line_and_no_traceback():
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://x@127.0.0.1:1/none",
        "DJANGO_SETTINGS_MODULE": "tg.settings.test",
    }
    env.pop("REDIS_URL", None)

    finished = subprocess.run(
        [sys.executable, "manage.py", "validate_data_integrity"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 2
    assert finished.stdout == ""
    [line] = finished.stderr.splitlines()
    assert line.startswith("CommandError: Cannot connect to the database: connection to server at")
    assert "127.0.0.1" in line and "port 1 failed" in line
    assert "Traceback" not in finished.stderr
