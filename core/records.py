"""Recording the outcome and duration of XP operations for monitoring.

``recorded(operation)`` wraps an operation *outside* its transaction: the operation's
own ``transaction.atomic`` block runs inside it, so a rolled-back operation is still
counted. When a caller (a script, a command) runs the operation inside a transaction of
its own, a refusal or failure is recorded on a second, short-lived connection (PostgreSQL),
so that the caller's rollback does not erase it; a success stays in the caller's
transaction and rolls back with it, as the operation itself does. Writing the record
can never break the operation: a failure is logged and swallowed. On PostgreSQL the
record's commit does not wait for the disk (``synchronous_commit = off``): it is
telemetry, and losing the last few records in a database crash is preferable to
doubling the fsyncs of every XP operation.
"""

import logging
import time
from contextlib import contextmanager
from functools import cache

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.utils import timezone

from core.models import OperationRecord, Outcome

logger = logging.getLogger("tg.operations")

DEADLOCK_SQLSTATE = "40P01"


class Recording:
    """What the wrapped operation tells its record (ids it touched)."""

    __slots__ = ("character_id", "scene_id")

    def __init__(self, character_id=None, scene_id=None):
        self.character_id = character_id
        self.scene_id = scene_id

    def ids(self):
        return [self.character_id, self.scene_id]


RECORD_FIELDS = (
    "operation",
    "outcome",
    "code",
    "duration_ms",
    "character_id",
    "scene_id",
    "created_at",
)


@cache
def _insert_sql(vendor: str, own_transaction: bool) -> str:
    """One round trip per record: an INSERT built from the model's metadata, compiled once.

    On PostgreSQL, when the record commits on its own, that commit does not wait for the
    WAL flush. Inside a caller's transaction the setting would apply to the caller's
    writes too (``SET LOCAL`` lasts until the outer commit), so it is left alone there.
    """
    quote = connection.ops.quote_name
    meta = OperationRecord._meta
    columns = ", ".join(quote(meta.get_field(f).column or f) for f in RECORD_FIELDS)  # type: ignore[union-attr]
    placeholders = ", ".join(["%s"] * len(RECORD_FIELDS))
    insert = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"
    if vendor == "postgresql" and own_transaction:
        return "SET LOCAL synchronous_commit = off; " + insert
    return insert


def classify(exc: BaseException | None) -> tuple[str, str]:
    """(outcome, code) for an operation that raised ``exc`` (or None on success)."""
    if exc is None:
        return Outcome.SUCCESS, ""
    if isinstance(exc, ValidationError):
        return Outcome.REJECTED, getattr(exc, "code", None) or "invalid"
    if isinstance(exc, PermissionDenied):
        return Outcome.REJECTED, "permission_denied"
    if isinstance(exc, IntegrityError):
        return Outcome.CONSTRAINT_VIOLATION, _constraint_name(exc)
    cause = getattr(exc, "__cause__", None)
    if getattr(cause, "pgcode", None) == DEADLOCK_SQLSTATE:
        return Outcome.DEADLOCK, "deadlock_detected"
    return Outcome.ERROR, type(exc).__name__


def _constraint_name(exc: IntegrityError) -> str:
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    name = getattr(diag, "constraint_name", None)
    return (name or "integrity_error")[:100]


def constraint_message(name: str) -> str:
    """What a user reads when a write meets the database constraint ``name``: the
    constraint's own ``violation_error_message`` when a model declares one."""
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name == name and constraint.violation_error_message:
                message = constraint.get_violation_error_message()
                return f"{message} Nothing was changed."
    return (
        f"This change would break a rule the database keeps ({name}), so nothing was "
        "changed. Reload the page: someone may have changed this meanwhile."
    )


@contextmanager
def recorded(operation: str, *, character_id=None, scene_id=None):
    """Time the block and store its outcome in ``OperationRecord``; re-raise any error.

    A database constraint the operation met (``IntegrityError``: its own transaction has
    rolled back, nothing was written) is recorded as such for the operators, and raised
    to the caller as a ``ValidationError`` with code ``constraint_violation`` and a
    message: the page shows it, as it shows every other refusal, never a server error.
    """
    info = Recording(character_id, scene_id)
    started = time.perf_counter()
    exc: BaseException | None = None
    try:
        yield info
    except IntegrityError as error:
        exc = error
        name = _constraint_name(error)
        raise ValidationError(
            constraint_message(name), code="constraint_violation", params={"constraint": name}
        ) from error
    except BaseException as error:
        exc = error
        raise
    finally:
        duration_ms = (time.perf_counter() - started) * 1000
        outcome, code = classify(exc)
        write_record(operation, outcome, code, duration_ms, info)


def _in_callers_transaction() -> bool:
    """Whether the operation ran inside a transaction its caller opened (a script, a
    command), whose rollback would take a record written on this connection with it.

    A test's own transaction (pytest-django's, marked by Django) does not count: a record
    written on another connection would outlive the test's rollback and leak into the
    next test; such tests see the record on their own connection, as before.
    """
    blocks = connection.atomic_blocks
    return bool(blocks) and not any(getattr(b, "_from_testcase", False) for b in blocks)


def _write_on_its_own_connection(values: list) -> None:
    """Insert the record on a short-lived second connection to the same database,
    committed at once: a refusal or a failure inside a caller's transaction is counted
    even when the caller rolls back (what the monitor counts are exactly those)."""
    current = connections[DEFAULT_DB_ALIAS]
    own = type(current)(current.settings_dict.copy(), alias=DEFAULT_DB_ALIAS)
    try:
        own.ensure_connection()
        own.set_autocommit(True)
        with own.cursor() as cursor:
            cursor.execute(_insert_sql(own.vendor, True), values)
    finally:
        own.close()


def write_record(operation, outcome, code, duration_ms, info: Recording) -> None:
    try:
        if (
            outcome != Outcome.SUCCESS
            and connection.vendor == "postgresql"
            and _in_callers_transaction()
        ):
            stamp = connection.ops.adapt_datetimefield_value(timezone.now())
            values = [operation, outcome, code[:100], duration_ms, *info.ids(), stamp]
            _write_on_its_own_connection(values)
            return
        if connection.needs_rollback:
            # Inside a failed outer transaction nothing can be written on this connection.
            raise DatabaseError("the enclosing transaction is marked for rollback")
        # An operation that failed may have lost its connection (server restart, terminated
        # backend): reconnect so that its failure is still counted.
        if (
            outcome == Outcome.ERROR
            and not connection.in_atomic_block
            and connection.connection is not None
            and not connection.is_usable()
        ):
            connection.close()
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        values = [operation, outcome, code[:100], duration_ms, *info.ids(), stamp]
        own_transaction = not connection.in_atomic_block
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_insert_sql(connection.vendor, own_transaction), values)
    except Exception:  # the record must never break the operation: log it, carry on
        logger.warning(
            "could not record %s outcome %s (%s)", operation, outcome, code, exc_info=True
        )
