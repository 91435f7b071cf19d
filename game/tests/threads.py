"""Real concurrency for tests: callables started together on threads with their own
connections, a second connection that holds locks, and a wait for a blocked backend."""

import threading
from contextlib import contextmanager

from django.db import connection, connections

from tests.support import wait_for_backend


def run_together(*calls, timeout=60):
    """Start every callable behind one barrier; return [(result, exception), ...] in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=timeout)
            outcomes[index] = (call(), None)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcomes[index] = (None, exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a worker thread did not finish"
    return outcomes


def codes(outcomes):
    """The ValidationError code of each failed outcome, 'ok' for successes."""
    return sorted(
        "ok" if exc is None else getattr(exc, "code", type(exc).__name__) for _, exc in outcomes
    )


@contextmanager
def second_connection():
    """A plain psycopg2 connection to the test database, outside Django, in a transaction.

    It plays another process (a storyteller's request, an operator's psql) that holds row
    locks while the code under test waits for them.
    """
    import psycopg2

    params = connection.settings_dict
    raw = psycopg2.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"],
        host=params["HOST"],
        port=params["PORT"],
    )
    try:
        yield raw
    finally:
        raw.rollback()
        raw.close()


def wait_until_blocked(timeout: float = 30) -> None:
    """Return once some backend of this database waits for a row lock."""
    wait_for_backend(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'",
        failure="nothing ever waited for the lock",
        timeout=timeout,
    )


def in_thread(call):
    """Start ``call`` on a thread with its own connection; ``join()`` returns (result, exc)."""
    outcome = {}

    def worker():
        try:
            outcome["result"] = call()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()

    def join(timeout: float = 60):
        thread.join(timeout)
        assert not thread.is_alive(), "the operation never finished"
        return outcome.get("result"), outcome.get("error")

    return join
