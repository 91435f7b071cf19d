"""Rehearsal: backup and restore, with PostgreSQL's own tools, as docs/deployment/README.md
says: ``pg_dump`` of a tg that is working (gunicorn serving, XP operations committing on
other connections during the dump), more XP activity, then ``createdb`` + ``psql`` into a
fresh database, where ``validate_data_integrity`` (a real process) finds nothing and every
restored balance equals its ledger — the dump is one consistent snapshot."""

import threading

import pytest
from django.db import connections

from characters.models import Human
from game.operations import xp
from tests.serving import (
    Poller,
    balances_and_ledgers,
    database_url,
    manage_on,
    pg,
    scratch_database,
)
from tests.support import ledger_sum

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.server,
]

TRAITS = ("alertness", "athletics", "brawl", "empathy", "expression")


class XPActivity(threading.Thread):
    """Spends and withdrawals on ``characters``, each its own transaction, until stopped."""

    def __init__(self, characters, owner):
        super().__init__(daemon=True)
        self.ids, self.owner = [c.pk for c in characters], owner
        self.done = 0
        self.stop = threading.Event()
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                for pk, trait in zip(self.ids, TRAITS, strict=False):
                    character = Human.objects.get(pk=pk)
                    request = xp.spend_xp(character=character, trait_name=trait)
                    xp.withdraw_xp_spend(character=character, request_id=request.pk, by=self.owner)
                    self.done += 1
        except Exception as error:  # noqa: BLE001 - reported to the test
            self.error = error
        finally:
            connections.close_all()


def test_a_backup_of_a_working_tg_restores_to_a_consistent_database(
    start_server, make_human, player, tmp_path
):
    characters = [make_human(name, xp=30) for name in ("Ada", "Bea", "Cy")]
    server = start_server()
    poller = Poller(server.site(), ["/health/"])
    poller.start()
    activity = XPActivity(characters, player)
    activity.start()
    while activity.done < 3 and activity.is_alive():
        activity.stop.wait(0.05)

    backup = tmp_path / "tg-backup.sql"
    dumped = pg("pg_dump", "--no-owner", "--file", str(backup), "--dbname", database_url())

    during = activity.done
    activity.stop.set()
    activity.join(60)
    assert activity.error is None, activity.error
    later = make_human("Zed", xp=7)  # after the backup: not in it
    xp.spend_xp(character=later, trait_name="brawl")
    assert {status for _, status in poller.stop()} == {200}
    assert dumped.returncode == 0, dumped.stderr
    assert during >= 3

    with scratch_database("tg_rehearsal_restored") as restored:
        loaded = pg(
            "psql", "-v", "ON_ERROR_STOP=1", "--single-transaction", "--quiet",
            "--dbname", restored, "--file", str(backup),
        )  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr

        checked = manage_on(restored, "validate_data_integrity")

        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert checked.stdout.endswith("check(s) passed.\n")
        rows = balances_and_ledgers(restored)
        assert [pk for pk, _, _ in rows] == [c.pk for c in characters]
        assert all(balance == ledger for _, balance, ledger in rows), rows
        assert all(ledger_sum(c) == Human.objects.get(pk=c.pk).xp for c in characters)

    assert server.stop() == 0
