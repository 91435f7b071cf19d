"""The deployment files of docs/deployment/ hold what they claim: the env template names
every variable tg reads and passes ``check --deploy`` without a warning, and the systemd
units are valid, use that environment, and fire when the documented cron lines do.

(The units' commands themselves run in test_rehearsal_cron.py, against a database;
systemd is not running here, so ``systemd-analyze verify`` checks the units offline.)
"""

import configparser
import os
import re
import shutil
import subprocess

import pytest

from oversight.monitoring.config import OPTIONS
from tests.processes import ROOT, manage
from tests.serving import DEPLOYMENT, ENV_TEMPLATE, UNITS, env_template

SOURCES = ("tg", "core", "characters", "game", "notifications")
READER = re.compile(r'env_(?:str|int|bool|list|choice|database|redis_url)\(\s*"([A-Z][A-Z0-9_]*)"')
# Read by a command the README gives in full, never set in the service's environment.
COMMAND_ONLY = {"TG_CONSTRAINTS_ROLLBACK"}
CRON_LINE = re.compile(r"^(\S+ \S+ \S+ \S+ \S+)\s+(cd /srv/tg && .*)$")

pytestmark = pytest.mark.once  # files and child processes: the same on either database


def variables_tg_reads() -> set[str]:
    names = {option.env for option in OPTIONS.values() if option.env}
    for package in SOURCES:
        for path in (ROOT / package).rglob("*.py"):
            if "tests" not in path.parts:
                names.update(READER.findall(path.read_text()))
    return names


def test_the_template_names_every_variable_tg_reads_and_no_other():
    documented = set(env_template(optional=True))

    assert variables_tg_reads() - COMMAND_ONLY == documented - {"DJANGO_SETTINGS_MODULE"}


def test_every_line_reads_the_same_in_systemd_and_sh():
    """No quotes, spaces or shell syntax: EnvironmentFile= and ``.`` agree on each value."""
    for line in ENV_TEMPLATE.read_text().splitlines():
        if line and not line.startswith("# ") and line != "#":
            assert re.fullmatch(r"#?[A-Z][A-Z0-9_]*=[^\s'\"$`\\]*", line), line


def production_settings_with(values: dict) -> dict:
    return {**values, "DJANGO_SETTINGS_MODULE": "tg.settings.production"}


@pytest.mark.process
def test_the_template_as_written_refuses_to_start_until_the_secret_key_is_set():
    ran = manage("check", env=production_settings_with(env_template()))

    assert ran.returncode == 2
    assert ran.stderr.strip().endswith("The environment variable SECRET_KEY must be set.")


@pytest.mark.process
@pytest.mark.parametrize("optional", [False, True], ids=["required lines", "every line"])
def test_the_template_passes_check_deploy_without_a_warning(optional):
    values = env_template(optional=optional)
    values["SECRET_KEY"] = "k" + os.urandom(40).hex()

    ran = manage("check", "--deploy", "--fail-level", "WARNING", env=values)

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout == "System check identified no issues (0 silenced).\n"
    assert "WARNINGS" not in ran.stderr


# --- systemd units -------------------------------------------------------------------------


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((UNITS / name).read_text())
    return parser


SERVICES = sorted(path.name for path in UNITS.glob("*.service"))
TIMERS = sorted(path.name for path in UNITS.glob("*.timer"))


def test_the_units_are_the_web_service_and_four_timed_jobs():
    assert SERVICES == [
        "tg-digest.service",
        "tg-integrity-full.service",
        "tg-monitor-daily.service",
        "tg-monitor.service",
        "tg-web.service",
    ]
    assert TIMERS == [
        "tg-digest.timer",
        "tg-integrity-full.timer",
        "tg-monitor-daily.timer",
        "tg-monitor.timer",
    ]


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_runs_as_tg_from_the_checkout_with_the_env_file(name):
    service = unit(name)["Service"]

    assert (service["User"], service["Group"]) == ("tg", "tg")
    assert service["WorkingDirectory"] == "/srv/tg"
    assert service["EnvironmentFile"] == "/etc/tg/tg.env"
    program = service["ExecStart"].split()[0]
    assert program in ("/bin/sh", "/srv/tg/scripts/serve.sh", "/srv/tg/.venv/bin/python")


def test_the_web_service_is_serve_sh_stopped_gracefully():
    service = unit("tg-web.service")["Service"]

    assert service["ExecStart"] == "/srv/tg/scripts/serve.sh"  # run by test_serving.py
    assert os.access(ROOT / "scripts" / "serve.sh", os.X_OK)
    assert service["ExecReload"] == "/bin/kill -s HUP $MAINPID"
    assert service["KillMode"] == "mixed"  # SIGTERM to gunicorn's master only
    assert int(service["TimeoutStopSec"]) > 30  # beyond gunicorn's graceful timeout


def documented_cron_lines() -> dict[str, str]:
    """{command after ``manage.py``: cron schedule} from README.md's crontab block."""
    readme = (DEPLOYMENT / "README.md").read_text()
    block = readme.split("```cron\n", 1)[1].split("```", 1)[0]
    lines = {}
    for line in block.splitlines():
        schedule, command = CRON_LINE.match(line).groups()
        lines[command.split("manage.py ", 1)[1]] = schedule
    return lines


def on_calendar(schedule: str) -> str:
    """The systemd calendar event of a daily or hourly cron schedule ``M H * * *``."""
    minute, hour, *rest = schedule.split()
    assert rest == ["*", "*", "*"], schedule
    return f"*-*-* {hour if hour == '*' else hour.zfill(2)}:{minute.zfill(2)}:00"


def test_each_timer_fires_when_its_cron_line_does_and_runs_the_same_command():
    cron = documented_cron_lines()
    assert len(cron) == len(TIMERS) == 4
    for name in TIMERS:
        timer = unit(name)["Timer"]
        command = unit(timer["Unit"])["Service"]["ExecStart"]
        managed = command.split("manage.py ", 1)[1].rstrip("'")
        if ">" not in managed:  # the daily check: the journal keeps its output
            managed = next(c for c in cron if c.startswith(managed) and "/dev/null" in c)
        assert timer["OnCalendar"] == on_calendar(cron[managed]), name
        assert timer["Persistent"] == "true"


def installed_copy(tmp_path) -> list:
    """The units with /srv/tg and /etc/tg/tg.env moved to where they exist here."""
    (tmp_path / "tg.env").write_text(ENV_TEMPLATE.read_text())
    copies = []
    for path in [*UNITS.glob("*.service"), *UNITS.glob("*.timer")]:
        text = path.read_text().replace("/srv/tg", str(ROOT))
        text = text.replace("/etc/tg/tg.env", str(tmp_path / "tg.env"))
        copy = tmp_path / path.name
        copy.write_text(text)
        copies.append(copy)
    return copies


@pytest.mark.process
@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_systemd_analyze_verify_finds_nothing_to_say(tmp_path):
    ran = subprocess.run(
        ["systemd-analyze", "verify", *map(str, installed_copy(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "", "")
