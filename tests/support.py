"""Test support shared by every app: ledger sums, raw writes around tg, running the
management commands as an operator would, operation records for the monitor.

One module, so that no helper is written twice (and no copy drifts: one ``ledger_sum``
once returned None instead of 0).
"""

import json
import threading
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

# --- People and refusals ----------------------------------------------------------------


def make_person(username: str, **extra):
    """A user who signs in with ``tests.password_for(username)``; e-mail
    ``USERNAME@example.test``. The ``make_user`` fixture and the browser worlds use it."""
    from django.contrib.auth import get_user_model

    from tests import password_for

    return get_user_model().objects.create_user(
        username=username,
        password=password_for(username),
        email=f"{username}@example.test",
        **extra,
    )


def refused(call, code: str | None = None):
    """The ``ValidationError`` that ``call()`` raises (its ``code`` checked when given)."""
    import pytest
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        call()
    if code is not None:
        assert info.value.code == code, info.value
    return info.value


# --- Waiting for another PostgreSQL backend ------------------------------------------------


def wait_for_backend(sql: str, params=(), *, ready=bool, failure: str, timeout: float = 30):
    """Poll ``sql`` (one value) until ``ready(value)``; return that value. For tests
    that wait for another session to block on a lock, sleep in a trigger, and the like.
    ``AssertionError(failure)`` after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is not None and ready(row[0]):
            return row[0]
        time.sleep(0.05)
    raise AssertionError(failure)


# --- The ledger ------------------------------------------------------------------------


def ledger_sum(character) -> int:
    """The sum of a character's XP ledger entries (0 when it has none)."""
    from game.models import XPLedgerEntry

    total = XPLedgerEntry.objects.filter(character=character).aggregate(s=Sum("amount"))["s"]
    return total or 0


# --- Writing around tg (what the integrity checks exist for) ------------------------------


def corrupt(model, pk: int, **values) -> None:
    """Write ``values`` straight into ``model``'s own table with raw SQL."""
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column)} = %s" for column in values)
    key = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {key} = %s",
            [*values.values(), pk],
        )


def drop_validation_constraints() -> None:
    """Remove every validation constraint for the rest of the test's transaction.

    On PostgreSQL DDL is transactional: the rollback at the end of the test restores them.
    """
    from characters.models import Character, Human
    from game.models import Scene, STRelationship, XPLedgerEntry, XPSpendingRequest

    assert connection.in_atomic_block, "only inside a test transaction (it is rolled back)"
    with connection.schema_editor() as editor:
        for model in (Character, Human, STRelationship, Scene, XPSpendingRequest, XPLedgerEntry):
            for constraint in model._meta.constraints:
                editor.remove_constraint(model, constraint)


def counts(*names: str) -> dict[str, int | None]:
    """The violation count of each named integrity check, as the registry reports it."""
    from oversight.integrity import run_checks

    return {r.name: r.count for r in run_checks(list(names) or None)}


# --- Commands, as an operator runs them ---------------------------------------------------


@dataclass
class Ran:
    """What a command did: its exit status, its standard output and error."""

    status: int
    out: str
    err: str

    def __iter__(self):
        return iter((self.status, self.out, self.err))


def command(name: str, *args: str) -> Ran:
    """Run a management command in-process; a ``CommandError`` becomes its exit status and
    its one line on stderr, exactly as ``manage.py`` would print it."""
    out, err = StringIO(), StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
        status = 0
    except CommandError as error:
        status = error.returncode
        err.write(f"CommandError: {error}\n")
    except SystemExit as exit_:
        status = exit_.code
    return Ran(status, out.getvalue(), err.getvalue())


def validate(*args: str) -> Ran:
    return command("validate_data_integrity", *args)


def monitor(*args: str) -> Ran:
    return command("monitor_validation", *args)


# --- Operation records, for the monitor ---------------------------------------------------


def operation_records(
    operation: str,
    outcome: str,
    count: int = 1,
    *,
    ms: float = 10.0,
    durations=None,
    code: str = "",
    ago: timedelta = timedelta(minutes=30),
) -> None:
    """``count`` records (or one per duration in ``durations``), ``ago`` before now."""
    from core.models import OperationRecord

    when = timezone.now() - ago
    durations = list(durations) if durations is not None else [ms] * count
    OperationRecord.objects.bulk_create(
        OperationRecord(
            operation=operation, outcome=outcome, code=code, duration_ms=value, created_at=when
        )
        for value in durations
    )


# --- Alert receivers ----------------------------------------------------------------------


class Webhook:
    """A receiver on 127.0.0.1 that records POSTs and answers ``status`` after ``delay``."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        self.delay = 0.0
        self.release = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append(
                    {"body": json.loads(body), "content_type": self.headers["Content-Type"]}
                )
                if hook.delay:
                    hook.release.wait(hook.delay)
                self.send_response(hook.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/secret-path"
        # serve_forever checks for shutdown() every poll_interval (0.5 s by default, which
        # each close() waited out: 0.5 s of every test with a webhook).
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
