"""Rehearsal: the staging deployment of docs/deployment/README.md, exactly its five steps,
on a copy of a database from before the constraints, while tg keeps serving from it.

"Production" is a database with pre-constraint data that breaks each rule --fix can
repair (built by a real process through the code of this release: the schema-first
migrations are applied, as the README's preparation says). Staging is a copy of it
(``CREATE DATABASE … TEMPLATE``). gunicorn serves staging with the production settings;
a thread asks it for /health/ and a signed-in player's dashboard all along. The five
commands run as an operator runs them, each a real process.
"""

import re

import pytest

from tests.serving import (
    Poller,
    build_pre_constraint_database,
    manage_on,
    query,
    scratch_database,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db, pytest.mark.server]

FIVE_STEPS = [
    ("validate_data_integrity", "--verbose"),
    ("validate_data_integrity", "--fix"),
    ("migrate",),
    ("validate_data_integrity",),
    ("monitor_validation",),
]


def test_the_five_steps_on_a_staging_copy_while_the_site_keeps_serving(start_server):
    with scratch_database("tg_rehearsal_production") as production:
        build_pre_constraint_database(production, violations=True)
        with scratch_database("tg_rehearsal_staging", template=production) as staging:
            server = start_server(staging)
            player = server.site()
            player.sign_in("pat", "pw-pat")
            poller = Poller(player, ["/health/", "/"])
            poller.start()
            try:
                ran = [manage_on(staging, *step) for step in FIVE_STEPS]
            finally:
                answers = poller.stop()
            stopped = server.stop()

            statuses = [r.returncode for r in ran]
            assert statuses == [1, 0, 0, 0, 0], [r.stdout + r.stderr for r in ran]
            verbose, fix, migrate, verify, monitor = (r.stdout for r in ran)
            for row in (
                r"Bea \(#\d+\) strength = 0 → 1",
                r"Bea \(#\d+\) brawl = 11 → 10",
                r"Bea \(#\d+\) age = -3 → empty",
                r"Cy \(#\d+\) status = Zz → Un",
                r"Dee \(#\d+\) xp = 9, ledger 0 → opening-balance entry of \+9",
            ):
                assert re.search(rf"^    {row}$", verbose, re.M), row
            assert "Applying characters.0003_validation_constraints... OK" in migrate
            assert "Applying game.0007_storytellerchange_constraints... OK" in migrate
            assert verify.endswith("check(s) passed.\n")
            assert monitor.startswith("tg health: HEALTHY, score 100/100")

            # The site answered every request, the player stayed signed in.
            assert len(answers) >= 20
            assert {status for _, status in answers} == {200}, answers
            assert stopped == 0

        # Production itself was not touched.
        assert query(
            production,
            "SELECT h.strength FROM characters_human h JOIN characters_character c "
            "ON c.id = h.character_ptr_id WHERE c.name = 'Bea'",
        ) == [(0,)]
