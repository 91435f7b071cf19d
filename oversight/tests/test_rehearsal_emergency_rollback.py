"""Rehearsal: the emergency rollback of docs/deployment/README.md, command for command.

A database of the previous release (before the constraint migrations, this release's
columns already there) is backed up, the constraints are deployed (``migrate``) and the
site serves; then the emergency: the web service is stopped (SIGTERM), the pre-deployment
backup is restored into a new database (``createdb`` + ``psql``) — the previous release's
migration state, as ``showmigrations`` shows — and a new server process starts on it.
The site serves, a player spends XP and the storyteller approves it through the web
pages. Then forward again: ``--fix``, ``migrate``, ``validate_data_integrity``.
"""

import pytest

from tests.serving import (
    build_pre_constraint_database,
    database_url,
    manage_on,
    pg,
    query,
    scratch_database,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db, pytest.mark.server]

CONSTRAINT_MIGRATIONS = (
    "0003_validation_constraints",
    "0005_join_version_and_constraints",
    "0005_spend_request_constraints",
    "0007_storytellerchange_constraints",
)


def applied(database: str) -> dict[str, bool]:
    """{migration name: applied?} for characters and game, from ``showmigrations``."""
    shown = manage_on(database, "showmigrations", "characters", "game")
    assert shown.returncode == 0, shown.stderr
    return {
        line[5:]: line.startswith(" [X]")
        for line in shown.stdout.splitlines()
        if line.startswith(" [")
    }


def character_id(database: str, name: str) -> int:
    return query(database, "SELECT id FROM characters_character WHERE name = %s", [name])[0][0]


def test_emergency_rollback_to_the_pre_deployment_backup_and_forward_again(start_server, tmp_path):
    backup = tmp_path / "tg-pre-deploy.sql"
    with scratch_database("tg_rehearsal_live") as live:
        build_pre_constraint_database(live, violations=False)
        dumped = pg("pg_dump", "--no-owner", "--file", str(backup), "--dbname", database_url(live))
        assert dumped.returncode == 0, dumped.stderr

        deployed = manage_on(live, "migrate")  # the deployment
        assert deployed.returncode == 0, deployed.stderr
        assert all(applied(live)[name] for name in CONSTRAINT_MIGRATIONS)
        server = start_server(live)
        player = server.site()
        player.sign_in("pat", "pw-pat")
        ada = character_id(live, "Ada")
        assert player.post(f"/characters/{ada}/xp/spend/", {"trait": "athletics"}).status == 302

        assert server.stop() == 0  # 1. stop the web service

    with scratch_database("tg_rehearsal_rollback") as restored:  # 2. restore the backup
        loaded = pg(
            "psql", "-v", "ON_ERROR_STOP=1", "--single-transaction", "--quiet",
            "--dbname", restored, "--file", str(backup),
        )  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr
        state = applied(restored)
        assert not any(state[name] for name in CONSTRAINT_MIGRATIONS)
        assert state["0004_character_version"] and state["0006_storytellerchange"]
        assert not state["0008_ledger_append_only"]  # it depends on game 0007

        server = start_server(restored)  # 3. start the web service again
        player, storyteller = server.site(), server.site()
        player.sign_in("pat", "pw-pat")
        storyteller.sign_in("sophia", "pw-sophia")
        ada = character_id(restored, "Ada")
        assert player.get("/").status == 200
        assert player.get(f"/characters/{ada}/").status == 200

        # XP operations work: a spend through the page, the storyteller's approval.
        assert player.post(f"/characters/{ada}/xp/spend/", {"trait": "wits"}).status == 302
        [(request,)] = query(
            restored,
            "SELECT id FROM game_xpspendingrequest WHERE trait_name = 'wits' "
            "AND status = 'Pending'",
        )
        approved = storyteller.post("/st/requests/", {"action": "approve", "request": request})
        assert approved.status == 302
        assert query(
            restored,
            "SELECT r.status, h.wits, c.xp FROM game_xpspendingrequest r "
            "JOIN characters_human h ON h.character_ptr_id = r.character_id "
            "JOIN characters_character c ON c.id = r.character_id WHERE r.id = %s",
            [request],
        ) == [("Approved", 2, 20 - 3 - 4)]  # 20 XP, brawl pending (3), wits 1 → 2 (4)
        # The spend made after the deployment went with the deployment.
        assert not query(
            restored, "SELECT 1 FROM game_xpspendingrequest WHERE trait_name = 'athletics'"
        )
        assert server.stop() == 0

        # Forward again, once the cause is understood.
        forward = [
            manage_on(restored, *step)
            for step in (
                ("validate_data_integrity", "--fix"),
                ("migrate",),
                ("validate_data_integrity",),
            )
        ]
        assert [r.returncode for r in forward] == [0, 0, 0], [r.stderr for r in forward]
        assert all(applied(restored)[name] for name in CONSTRAINT_MIGRATIONS)
