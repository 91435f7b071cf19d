"""A gunicorn worker warms itself before its first request (tg/gunicorn.conf.py's
post_worker_init): every URL module imported and the busiest pages' templates compiled.
A warm-up that fails must log, never stop the worker; here it must not fail at all (a
renamed template would otherwise leave every worker cold without anyone noticing)."""

import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "tg" / "gunicorn.conf.py"


class Log:
    def __init__(self):
        self.failures: list[str] = []

    def exception(self, message, *args):
        self.failures.append(message % args if args else message)


class Worker:
    def __init__(self):
        self.log = Log()


def test_the_warm_up_compiles_every_listed_template_without_a_failure():
    conf = runpy.run_path(str(CONF))
    worker = Worker()

    conf["post_worker_init"](worker)

    assert worker.log.failures == []
    assert "registration/login.html" in conf["WARM_TEMPLATES"]


def test_a_failing_warm_up_is_logged_and_the_worker_goes_on():
    conf = runpy.run_path(str(CONF))
    conf["post_worker_init"].__globals__["WARM_TEMPLATES"] = ("no/such/template.html",)
    worker = Worker()

    conf["post_worker_init"](worker)  # no exception out of it

    assert worker.log.failures == ["Warming the worker failed; it serves cold."]
