"""Run callables at the same moment on real threads, each with its own DB connection."""

import threading

from django.db import connections


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
