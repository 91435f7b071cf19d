"""Helpers shared by the operator page tests (no tests of its own).

``OPS_ROLES`` are who looks at the pages; ``ops_world()`` makes one user per role, on top
of the player web's small chronicle (``game.tests.web_world``); ``database_state()`` is
everything a read-only page must leave as it was; the snapshot helpers store monitor
runs as the cron job would.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.models import IntegrityFix, MonitorSnapshot, OperationRecord
from game.permissions import OPERATORS_GROUP
from game.tests.web_world import World, build_world, snapshot

OPS_ROLES = ("anonymous", "player", "storyteller", "staff", "operator", "superuser")
OPS_PAGES = ("ops-health", "ops-integrity", "ops-operations")


def make_operator(user):
    """Put ``user`` in the operators group. The group comes from a data migration, but
    transactional tests flush every table, so it is made here when missing."""
    group, _ = Group.objects.get_or_create(name=OPERATORS_GROUP)
    user.groups.add(group)
    return user


@dataclass
class OpsWorld:
    world: World
    users: dict  # role -> user (no entry for anonymous)


def ops_world() -> OpsWorld:
    world = build_world()
    make = get_user_model().objects.create_user
    users = {
        "player": world.users["owner"],
        "storyteller": world.users["head"],
        "staff": make("stan", password="pw", email="stan@example.test", is_staff=True),
        "operator": make_operator(make("otto", password="pw", email="otto@example.test")),
        "superuser": world.users["superuser"],
    }
    return OpsWorld(world, users)


def database_state() -> dict:
    """Every row a page could write, by value: characters, requests, the ledger (and the
    web's other tables), the audit of fixes, users (the repair account), snapshots and
    operation records."""
    return {
        **snapshot(),
        "integrity_fixes": IntegrityFix.objects.count(),
        "users": list(get_user_model().objects.order_by("pk").values_list("pk", "username")),
        "snapshots": MonitorSnapshot.objects.count(),
        "records": OperationRecord.objects.count(),
    }


def report(*, score: float = 100, status: str = "healthy", issues: int = 0) -> dict:
    """The part of a stored report the trend reads."""
    return {
        "status": status,
        "health_score": score,
        "checks": {"data_integrity": {"total": issues, "healthy": issues == 0}},
    }


def store_run(
    when: datetime,
    *,
    score: float = 100,
    status: str = "healthy",
    issues: int = 0,
    alert_sent: str = "",
    full_report: dict | None = None,
    notification: dict | None = None,
) -> MonitorSnapshot:
    data = dict(full_report or report(score=score, status=status, issues=issues))
    if notification is not None:
        data["notification"] = notification
    return MonitorSnapshot.objects.create(
        created_at=when,
        health_score=score,
        status=status,
        report=data,
        alert_sent=alert_sent,
    )


def store_hourly_runs(count: int, *, now: datetime, score: float = 100, issues: int = 0) -> None:
    """``count`` runs, one an hour back from ``now``, in one INSERT."""
    MonitorSnapshot.objects.bulk_create(
        MonitorSnapshot(
            created_at=now - timedelta(hours=n),
            health_score=score,
            status="healthy" if score >= 90 else "degraded",
            report=report(score=score, issues=issues),
        )
        for n in range(count)
    )


class _Tables(HTMLParser):
    """The text of each row of one table, cell by cell."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # > 0 inside the table
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The rows of the table ``table_id`` as a person reads them: header row included,
    each cell's text with its white space collapsed."""
    parser = _Tables(table_id)
    parser.feed(html)
    return parser.rows
