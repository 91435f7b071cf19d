"""Rehearsal: the scheduled jobs, as README.md writes them — the crontab lines through
``sh -c`` as cron runs them, and the systemd services' ``ExecStart=`` commands with their
``EnvironmentFile=`` — against the test database, each a real process.

The only changes to the documented text: ``/srv/tg`` is this checkout, ``/etc/tg/tg.env``
a file written from tg.env.example (pointed at the test database and Redis, with a local
webhook for alerts), and ``/var/log/tg`` a temporary directory.
"""

import json
import shlex
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator

from core.models import OperationRecord
from tests.processes import ROOT, child_env, shell
from tests.serving import DEPLOYMENT, UNITS, production_env
from tests.support import Webhook

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.process]

SCHEMA = Draft202012Validator(json.loads((DEPLOYMENT / "monitor_report.schema.json").read_text()))


def crontab() -> list[str]:
    readme = (DEPLOYMENT / "README.md").read_text()
    return readme.split("```cron\n", 1)[1].split("```", 1)[0].splitlines()


class Machine:
    """Where the documented paths lead in this test."""

    def __init__(self, tmp_path, webhook):
        self.logs = tmp_path / "log"
        self.logs.mkdir()
        self.env_file = tmp_path / "tg.env"
        self.env = production_env(TG_ALERT_WEBHOOK_URL=webhook.url)
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in self.env.items()))

    def place(self, text: str) -> str:
        return (
            text.replace("/srv/tg", str(ROOT))
            .replace("/etc/tg/tg.env", str(self.env_file))
            .replace("/var/log/tg", str(self.logs))
        )

    def cron(self, job: str) -> subprocess.CompletedProcess:
        """The crontab line whose command contains ``job``, without its schedule."""
        [line] = [line for line in crontab() if job in line]
        return shell(self.place(line.split(None, 5)[5]), env={})

    def service(self, name: str) -> subprocess.CompletedProcess:
        """The service's ExecStart, in its WorkingDirectory, with its EnvironmentFile."""
        text = self.place((UNITS / name).read_text())
        fields = dict(
            line.split("=", 1) for line in text.splitlines() if "=" in line and line[0] != "#"
        )
        return subprocess.run(
            shlex.split(fields["ExecStart"]),
            cwd=fields["WorkingDirectory"],
            env=child_env(self.env),
            capture_output=True,
            text=True,
            timeout=180,
        )

    def log(self, name: str) -> list[str]:
        path = self.logs / name
        return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def machine(tmp_path):
    hook = Webhook()
    yield Machine(tmp_path, hook), hook
    hook.close()


def failing_spends(count: int = 20) -> None:
    """Enough failed spends in the last day to cross the success-rate threshold."""
    when = timezone.now() - timedelta(minutes=10)
    OperationRecord.objects.bulk_create(
        OperationRecord(operation="xp_spend", outcome="error", duration_ms=5, created_at=when)
        for _ in range(count)
    )


def test_the_cron_lines_and_the_timers_commands_run_as_written(machine, make_human, storyteller):
    machine, webhook = machine
    make_human("Ada", xp=10).spend_xp("brawl")  # waits for the storyteller: a digest

    hourly = machine.cron("monitor_validation --json")
    daily = machine.cron("monitor_validation --alert")
    digest = machine.cron("send_storyteller_digest")
    full = machine.cron("validate_data_integrity --full")
    assert [hourly.returncode, daily.returncode, digest.returncode, full.returncode] == [
        0, 0, 0, 0
    ], hourly.stderr + daily.stderr + digest.stderr + full.stderr  # fmt: skip
    [nightly] = [json.loads(line) for line in machine.log("integrity-full.log")]
    assert (nightly["status"], nightly["total_issues"]) == ("ok", 0)
    assert nightly["checkpoints_refreshed"] >= 1  # Ada's ledger, summed and checkpointed
    assert webhook.received == []  # healthy: no alert
    *mailed, summary = machine.log("digest.log")
    assert mailed[-1].endswith(
        "INFO tg.notifications: E-mailed sophia_st@example.test: tg: 1 XP request"
    )
    assert summary.startswith("Storyteller digests for ") and ": 1 sent, 0 failed" in summary

    failing_spends()
    hourly = machine.cron("monitor_validation --json")
    daily = machine.cron("monitor_validation --alert")
    assert (hourly.returncode, daily.returncode) == (1, 1)
    assert daily.stdout == ""  # >/dev/null; cron mails the verdict on stderr
    assert daily.stderr == "CommandError: tg is degraded (health score 65/100)\n"
    assert [post["body"]["kind"] for post in webhook.received] == ["alert"]

    # The same jobs as the systemd services run them.
    ran = {name: machine.service(name) for name in (
        "tg-monitor.service", "tg-monitor-daily.service", "tg-digest.service",
        "tg-integrity-full.service",
    )}  # fmt: skip
    assert {name: r.returncode for name, r in ran.items()} == {
        "tg-monitor.service": 1,
        "tg-monitor-daily.service": 1,
        "tg-digest.service": 0,
        "tg-integrity-full.service": 0,  # slow spends are not a data issue
    }
    assert len(machine.log("integrity-full.log")) == 2  # one JSON line a run, appended
    assert "tg health: DEGRADED, score 65/100" in ran["tg-monitor-daily.service"].stdout
    assert len(webhook.received) == 1  # the same alert, within its cooldown: not again

    lines = machine.log("validation.log")
    assert len(lines) == 3  # one JSON document per run, appended
    reports = [json.loads(line) for line in lines]
    assert [r["status"] for r in reports] == ["healthy", "degraded", "degraded"]
    assert all(SCHEMA.is_valid(report) for report in reports)
    assert (
        machine.log("validation.err") == ["CommandError: tg is degraded (health score 65/100)"] * 2
    )
    assert machine.log("digest.log")[-1].endswith(
        ": 0 sent, 0 failed, 0 nothing waiting, 1 already sent today, 0 turned off."
    )
