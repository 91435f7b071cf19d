"""Running tg the way an operator does: ``manage.py`` in a real child process.

Exit statuses, stderr lines and start-up refusals only exist in a real process, so the
tests that promise them run one. The child gets the parent's environment minus tg's
own variables (so it never touches the parent's test database), plus what the test
passes.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TG_VARIABLES = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "TG_REQUIRE_SERVICES")


def child_env(env: dict | None = None) -> dict:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in TG_VARIABLES and not key.startswith(("DJANGO_", "TG_"))
    }
    return {"DJANGO_SETTINGS_MODULE": "tg.settings.test", **clean, **(env or {})}


def python(*args: str, env: dict | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    """``python ARGS`` (this interpreter) from the repository root; output captured as text."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def manage(*args: str, env: dict | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    """``python manage.py ARGS``."""
    return python("manage.py", *args, env=env, timeout=timeout)


def shell(command: str, env: dict | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    """One command line through ``sh -c``, as cron runs it."""
    return subprocess.run(
        ["sh", "-c", command],
        cwd=ROOT,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    """A loopback port with nothing listening: a server that is down, or one to start."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
