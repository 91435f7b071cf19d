"""Every setting read from the environment is checked at start-up: a malformed or
out-of-range value stops any ``manage.py`` command with one line naming the variable
and exit status 2, never a traceback. A mistyped ``TG_MONITORING`` (a settings file,
not the environment) makes both operator commands exit 2 with one line naming the key,
and blocks nothing else.

The tables of values are read in this process (the settings module run afresh with the
environment a child process gets; the commands through ``call_command``); one real
``manage.py`` per kind of refusal shows what the operator sees: the line, the status,
no traceback, no secret repeated. Nothing here depends on the suite's database: marker
``once``.
"""

import ast
import importlib.util
import json
import os
import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from oversight.monitoring.config import OPTIONS
from tests.processes import ROOT, TG_VARIABLES, free_port, manage, python
from tests.support import command as run_command
from tg.settings.env import check_settings_module

pytestmark = pytest.mark.once


def one_line_refusal(result) -> str:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    return line


@pytest.fixture
def settings_from(monkeypatch):
    """``settings_from({"VARIABLE": "value"})``: the names tg/settings/base.py (where every
    variable the test settings use is read) defines, run afresh in this process with the
    environment ``tests.processes.child_env`` gives a child — tg's own variables removed —
    plus these. A refusal raises ``ImproperlyConfigured``, as it does at start-up."""

    def read(env: dict) -> dict:
        for name in list(os.environ):
            if name in TG_VARIABLES or name.startswith("TG_"):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        path = ROOT / "tg" / "settings" / "base.py"
        spec = importlib.util.spec_from_file_location("tg.settings.base", path)
        module = importlib.util.module_from_spec(spec)  # not put in sys.modules
        spec.loader.exec_module(module)
        return vars(module)

    return read


def refusal(settings_from, env: dict) -> str:
    with pytest.raises(ImproperlyConfigured) as refused:
        settings_from(env)
    return str(refused.value)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "TG_MONITOR_RETENTION_DAYS",
            "99999999999",
            "TG_MONITOR_RETENTION_DAYS must be a whole number from 1 to 36600, got '99999999999'.",
        ),
        (
            "TG_MONITOR_RETENTION_DAYS",
            "-1",
            "TG_MONITOR_RETENTION_DAYS must be a whole number from 1 to 36600, got '-1'.",
        ),
        (
            "TG_OPERATION_RETENTION_DAYS",
            "0",
            "TG_OPERATION_RETENTION_DAYS must be a whole number from 1 to 36600, got '0'.",
        ),
        (
            "TG_MONITOR_MIN_SAMPLE",
            "many",
            "TG_MONITOR_MIN_SAMPLE must be a whole number from 1 to 1000000, got 'many'.",
        ),
        (
            "TG_ALERT_COOLDOWN_HOURS",
            "-6",
            "TG_ALERT_COOLDOWN_HOURS must be a whole number from 0 to 8784, got '-6'.",
        ),
        (
            "TG_MONITOR_STALE_MINUTES",
            "0",
            "TG_MONITOR_STALE_MINUTES must be a whole number from 1 to 527040, got '0'.",
        ),
        (
            "TG_MONITOR_CACHE_SECONDS",
            "1e3",
            "TG_MONITOR_CACHE_SECONDS must be a whole number from 0 to 86400, got '1e3'.",
        ),
        ("EMAIL_PORT", "0", "EMAIL_PORT must be a whole number from 1 to 65535, got '0'."),
        ("EMAIL_TIMEOUT", "0", "EMAIL_TIMEOUT must be a whole number from 1 to 600, got '0'."),
        (
            "DATABASE_CONN_MAX_AGE",
            "-1",
            "DATABASE_CONN_MAX_AGE must be a whole number from 0 to 86400, got '-1'.",
        ),
        (
            "TG_MAX_SCENE_XP",
            "five",
            "TG_MAX_SCENE_XP must be a whole number from 1 to 1000, got 'five'.",
        ),
        (
            "TG_PROXY_COUNT",
            "-1",
            "TG_PROXY_COUNT must be a whole number from 0 to 10, got '-1'.",
        ),
        (
            "TG_LOG_LEVEL",
            "loud",
            "TG_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'.",
        ),
    ],
)
def test_a_bad_environment_value_stops_start_up_with_one_line_naming_it(
    settings_from, variable, value, message
):
    assert refusal(settings_from, {variable: value}) == message


@pytest.mark.process
def test_manage_py_prints_a_bad_value_as_one_line_and_exits_2():
    result = manage("monitor_validation", "--json", env={"TG_MONITOR_RETENTION_DAYS": "-1"})

    assert one_line_refusal(result) == (
        "ImproperlyConfigured: TG_MONITOR_RETENTION_DAYS must be a whole number from 1 to "
        "36600, got '-1'."
    )


@pytest.mark.parametrize(
    "url",
    [
        "hooks.example.org/T0/s3cret",
        "ftp://hooks.example.org/s3cret",
        "https://[hooks.example.org]/T0/s3cret",
    ],
)
def test_a_webhook_that_is_not_an_http_url_stops_start_up_without_repeating_it(settings_from, url):
    message = refusal(settings_from, {"TG_ALERT_WEBHOOK_URL": url})

    assert message == (
        "TG_ALERT_WEBHOOK_URL must be an http(s) URL with a host name, "
        "or empty; the value is not repeated here (it may hold a secret)."
    )
    assert "s3cret" not in message


@pytest.mark.process
def test_manage_py_refuses_a_secret_bearing_value_in_one_line_without_repeating_it():
    url = "https://[hooks.example.org]/T0/s3cret"

    result = manage("monitor_validation", "--json", env={"TG_ALERT_WEBHOOK_URL": url})

    assert one_line_refusal(result) == (
        "ImproperlyConfigured: TG_ALERT_WEBHOOK_URL must be an http(s) URL with a host name, "
        "or empty; the value is not repeated here (it may hold a secret)."
    )
    assert "s3cret" not in result.stderr


def test_a_hash_in_the_database_password_is_refused_without_repeating_the_password(
    settings_from,
):
    message = refusal(settings_from, {"DATABASE_URL": "postgres://tg:s3cr#et@db.internal:5432/tg"})

    assert message == (
        "DATABASE_URL contains '#', which ends a URL: URL-encode it in "
        "the user name or password as %23 (see README, Configuration)."
    )
    assert "s3cr" not in message


@pytest.mark.process
def test_manage_py_refuses_a_bad_database_url_in_one_line_without_repeating_it():
    url = "postgres://tg:s3cr#et@db.internal:5432/tg"

    result = manage("validate_data_integrity", env={"DATABASE_URL": url})

    assert one_line_refusal(result) == (
        "ImproperlyConfigured: DATABASE_URL contains '#', which ends a URL: URL-encode it in "
        "the user name or password as %23 (see README, Configuration)."
    )
    assert "s3cr" not in result.stderr


def test_an_unparsable_database_url_is_refused_without_repeating_it(settings_from):
    message = refusal(settings_from, {"DATABASE_URL": "postgres://tg:se/cret@db.internal:5432/tg"})

    assert message == (
        "DATABASE_URL is not a valid database URL "
        "(scheme://user:password@host:port/name): URL-encode any of : / ? # @ % in the user "
        "name or password (see README, Configuration)."
    )
    assert "cret" not in message


def test_the_url_encoded_password_is_decoded_for_the_driver(settings_from):
    read = settings_from({"DATABASE_URL": "postgres://tg:s3cr%23et@db.internal:5432/tg"})

    assert read["DATABASES"]["default"]["PASSWORD"] == "s3cr#et"


REDIS_REFUSAL = (
    "REDIS_URL must be a redis://, rediss:// or unix:// URL (e.g. redis://127.0.0.1:6379/1), "
    "got {found}; the rest is not repeated here (it may hold a password)."
)


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("http://nope", "scheme 'http'"),
        ("https://:s3cret@cache.internal:6379/1", "scheme 'https'"),
        ("cache.internal:6379", "no scheme"),
        ("redis:cache.internal", "no scheme"),
    ],
)
def test_a_redis_url_that_is_not_redis_stops_start_up_without_repeating_it(
    settings_from, url, found
):
    message = refusal(settings_from, {"REDIS_URL": url})

    assert message == REDIS_REFUSAL.format(found=found)
    assert "s3cret" not in message and "nope" not in message


@pytest.mark.parametrize(
    "url",
    ["redis://127.0.0.1:6379/1", "rediss://:pw@cache.internal:6380/0", "unix:///run/redis.sock"],
)
def test_the_three_redis_schemes_are_the_cache(settings_from, url):
    assert settings_from({"REDIS_URL": url})["CACHES"]["default"]["LOCATION"] == url


@pytest.mark.process
def test_manage_py_refuses_a_redis_url_of_another_scheme_in_one_line():
    result = manage("monitor_validation", "--json", env={"REDIS_URL": "http://nope"})

    assert one_line_refusal(result) == "ImproperlyConfigured: " + REDIS_REFUSAL.format(
        found="scheme 'http'"
    )


# --- DJANGO_SETTINGS_MODULE naming no module ----------------------------------------------

NO_SUCH_SETTINGS = (
    "DJANGO_SETTINGS_MODULE is {name!r}, which is not a module that exists: use "
    "tg.settings.production (or tg.settings.development, tg.settings.test)."
)


@pytest.mark.parametrize(
    "name", ["tg.settings.prodution", "tg.setings.production", "settings", ".production"]
)
def test_a_settings_module_that_does_not_exist_is_refused_naming_it(monkeypatch, name):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", name)

    with pytest.raises(ImproperlyConfigured) as refused:
        check_settings_module()

    assert str(refused.value) == NO_SUCH_SETTINGS.format(name=name)


def test_a_settings_module_that_exists_is_not_run_to_find_it(monkeypatch, tmp_path):
    (tmp_path / "loud_settings.py").write_text("raise SystemExit('run')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "loud_settings")

    check_settings_module()  # found, not imported


@pytest.mark.process
@pytest.mark.parametrize("command", ["validate_data_integrity", "migrate"])
def test_manage_py_refuses_a_misspelt_settings_module_in_one_line(command):
    result = manage(command, env={"DJANGO_SETTINGS_MODULE": "tg.settings.prodution"})

    assert one_line_refusal(result) == "ImproperlyConfigured: " + NO_SUCH_SETTINGS.format(
        name="tg.settings.prodution"
    )


@pytest.mark.process
def test_gunicorn_stops_on_a_misspelt_settings_module_naming_it(tmp_path):
    """tg/wsgi.py refuses it: the worker cannot boot, gunicorn stops (3) with the line."""
    env = {
        "DJANGO_SETTINGS_MODULE": "tg.settings.prodution",
        "TG_BIND": f"127.0.0.1:{free_port()}",
        "TG_WEB_WORKERS": "1",
    }

    result = python("-m", "gunicorn", "-c", str(ROOT / "tg" / "gunicorn.conf.py"), env=env)

    assert result.returncode == 3
    assert (
        "ImproperlyConfigured: " + NO_SUCH_SETTINGS.format(name="tg.settings.prodution")
    ) in result.stdout + result.stderr
    assert "Reason: Worker failed to boot." in result.stdout + result.stderr


@pytest.mark.process
def test_the_settings_a_real_process_reads_are_the_ones_read_here(settings_from):
    """The in-process reading above is what ``django.setup()`` makes of the same
    environment in a child process."""
    env = {
        "DATABASE_URL": "postgres://tg:s3cr%23et@db.internal:5432/tg",
        "TG_MONITOR_MIN_SAMPLE": "7",
        "TG_ALERT_EMAILS": "a@example.test, b@example.test",
    }
    result = python(
        "-c",
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DATABASES['default']['PASSWORD'], s.TG_MONITORING]))",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    read = settings_from(env)

    assert json.loads(result.stdout) == [
        read["DATABASES"]["default"]["PASSWORD"],
        read["TG_MONITORING"],
    ]
    assert read["DATABASES"]["default"]["PASSWORD"] == "s3cr#et"


def test_an_enormous_limit_is_a_usage_error_not_a_traceback():
    result = manage("validate_data_integrity", "--limit", "99999999999999999999")

    assert one_line_refusal(result) == (
        "CommandError: --limit must be a whole number from 1 to 10000, not 99999999999999999999."
    )


# --- TG_MONITORING: defaults live in oversight.monitoring.config, settings hold the environment


def test_without_environment_the_setting_holds_nothing_and_config_has_every_default(
    settings_from,
):
    assert settings_from({})["TG_MONITORING"] == {}


def test_the_setting_holds_exactly_what_the_environment_sets(settings_from):
    env = {spec.env: "7" for spec in OPTIONS.values() if spec.kind is int and spec.env}
    env |= {"TG_ALERT_EMAILS": "a@example.test, b@example.test", "TG_MONITOR_TOKEN": "t"}

    assert settings_from(env)["TG_MONITORING"] == {
        "ALERT_EMAILS": ["a@example.test", "b@example.test"],
        "ALERT_COOLDOWN_HOURS": 7,
        "SNAPSHOT_RETENTION_DAYS": 7,
        "OPERATION_RETENTION_DAYS": 7,
        "TOKEN": "t",
        "STALE_AFTER_MINUTES": 7,
        "ENDPOINT_CACHE_SECONDS": 7,
        "MIN_SAMPLE": 7,
    }


# --- a mistyped TG_MONITORING in a settings module

TYPO_SETTINGS = """
from tg.settings.test import *  # noqa: F403
TG_MONITORING = {{**TG_MONITORING, {entry}}}
"""


@pytest.fixture
def settings_with(tmp_path):
    def write(entry: str) -> dict:
        (tmp_path / "typo_settings.py").write_text(TYPO_SETTINGS.format(entry=entry))
        return {"PYTHONPATH": str(tmp_path), "DJANGO_SETTINGS_MODULE": "typo_settings"}

    return write


TYPOS = [
    (
        '"SNAPSHOT_RETENTON_DAYS": 30',
        "TG_MONITORING['SNAPSHOT_RETENTON_DAYS'] is not a monitoring setting; "
        "did you mean 'SNAPSHOT_RETENTION_DAYS'?",
    ),
    (
        '"THRESHOLDS": {"xp_spend_tme_p95_ms": 800}',
        "TG_MONITORING['THRESHOLDS'] names an unknown metric 'xp_spend_tme_p95_ms'; "
        "known metrics: cache_available, constraint_violations_per_day, "
        "data_integrity_issues, database_deadlocks_per_day, health_score, monitor_stale, "
        "scene_xp_award_success_rate, transaction_rollback_rate, xp_spend_success_rate, "
        "xp_spend_time_p95_ms.",
    ),
    (
        '"SNAPSHOT_RETENTION_DAYS": -1',
        "TG_MONITORING['SNAPSHOT_RETENTION_DAYS'] (environment variable "
        "TG_MONITOR_RETENTION_DAYS) must be a whole number from 1 to 36600, not -1.",
    ),
    (
        '"WEBHOOK_URL": "hooks.example.org/s3cret"',
        "TG_MONITORING['WEBHOOK_URL'] (environment variable TG_ALERT_WEBHOOK_URL) must be "
        "an http(s) URL with a host name, or empty; the value is not repeated here (it may "
        "hold a secret).",
    ),
    (
        '"WEBHOOK_TIMEOUT_SECONDS": "5"',
        "TG_MONITORING['WEBHOOK_TIMEOUT_SECONDS'] must be a number from 0.1 to 60, not '5'.",
    ),
]


@pytest.mark.parametrize(("entry", "message"), TYPOS)
@pytest.mark.parametrize("command", ["monitor_validation", "validate_data_integrity"])
def test_both_commands_exit_2_with_one_line_naming_the_bad_key(settings, command, entry, message):
    """In this process, as ``manage.py`` prints it (tests.support.command)."""
    settings.TG_MONITORING = {**settings.TG_MONITORING, **ast.literal_eval(f"{{{entry}}}")}

    ran = run_command(command, "--json")

    assert tuple(ran) == (2, "", f"CommandError: settings: {message}\n")


@pytest.mark.process
@pytest.mark.parametrize("command", ["monitor_validation", "validate_data_integrity"])
def test_manage_py_stops_both_commands_with_one_line_for_a_bad_key(settings_with, command):
    [(entry, message), *_] = TYPOS

    result = manage(command, "--json", env=settings_with(entry))

    assert one_line_refusal(result) == f"CommandError: settings: {message}"


@pytest.mark.process
def test_a_mistyped_monitoring_setting_blocks_no_other_command(settings_with):
    env = settings_with('"SNAPSHOT_RETENTON_DAYS": 30')

    check = manage("check", env=env)
    migrations = manage("showmigrations", "core", env=env)

    assert check.returncode == 0
    assert "(tg.W001) TG_MONITORING['SNAPSHOT_RETENTON_DAYS'] is not a monitoring setting" in (
        check.stderr
    )
    assert migrations.returncode == 0, migrations.stderr
    assert migrations.stdout.startswith("core\n")


def documented_settings() -> dict[str, tuple[str, str]]:
    """{key: (variable, allowed)} from the settings table of docs/deployment/monitoring.md."""
    doc = (ROOT / "docs" / "deployment" / "monitoring.md").read_text()
    section = doc.split("## Settings and environment variables", 1)[1].split("\n## ", 1)[0]
    table = {}
    for row in section.splitlines():
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if len(cells) != 5 or not cells[1].startswith("`"):
            continue
        for key in re.findall(r"`([A-Z_]+)`", cells[1]):
            table[key] = (cells[0].strip("`"), cells[3])
    return table


def test_the_documented_settings_are_exactly_the_options_with_their_variables_and_ranges():
    table = documented_settings()

    assert set(table) == set(OPTIONS)
    for key, spec in OPTIONS.items():
        variable, allowed = table[key]
        assert variable == spec.env, key
        if spec.minimum is not None:
            assert allowed == f"{spec.minimum}–{spec.maximum}", key
