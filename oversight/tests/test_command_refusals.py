"""The operator commands' refusals, as a deploy gate or cron sees them: ``manage.py`` in a
real process, with the production settings, on the test database.

- A database that refuses to be read (a role without SELECT: ``permission denied for
  table …``) is "could not check": exit 2, one line naming what was refused, never exit 1
  ("bad data") with a traceback. A refused write (``--fix`` as a role that may only read)
  is the same, and nothing is changed.
- An unknown option is one line and exit 2, not argparse's usage block.
- A dry run's exit status is the state now, for the balance decisions as for ``--fix``:
  1 while the drift it would settle is still there.
"""

import json
import secrets

import pytest
from django.db import connection

from characters.models import Character
from core.models import IntegrityFix
from game.models import XPLedgerEntry
from oversight.management.base import usage_line
from tests.serving import database_url, manage_on, query
from tests.support import corrupt, monitor, validate

LEDGER_ISSUE = "1 integrity issue(s) in xp_ledger"


def one_line(result, status: int) -> str:
    """The one line on stderr of a run that exited with ``status`` and printed nothing on
    stdout."""
    assert result.returncode == status, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    return line


@pytest.fixture
def role():
    """``role(*grants)``: the URL of the test database as a new PostgreSQL role that may
    log in and holds only ``grants`` (SQL privileges on every table, e.g. ``"SELECT"``)."""
    names = []
    database = connection.settings_dict["NAME"]

    def make(*grants: str) -> str:
        name = f"tg_refused_{secrets.token_hex(4)}"
        password = secrets.token_hex(8)
        query(database, f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        names.append(name)
        for grant in grants:
            query(database, f"GRANT {grant} ON ALL TABLES IN SCHEMA public TO {name}")
        owner = database_url().split("//", 1)[1].split("@", 1)[0]
        return database_url().replace(f"//{owner}@", f"//{name}:{password}@", 1)

    yield make
    for name in names:
        query(database, f"DROP OWNED BY {name}")
        query(database, f"DROP ROLE {name}")


@pytest.fixture
def drifted(make_human):
    """Ada, whose balance (25) a write around tg moved away from her ledger (10)."""
    ada = make_human("Ada", xp=10)
    corrupt(Character, ada.pk, xp=25)
    return ada


def unchanged(ada) -> None:
    assert Character.objects.get(pk=ada.pk).xp == 25
    assert not IntegrityFix.objects.exists()
    assert list(XPLedgerEntry.objects.filter(character=ada).values_list("amount", flat=True)) == [
        10
    ]


# --- a database the command may not read ------------------------------------------------


@pytest.mark.process
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("args", [[], ["--json"], ["--verbose", "--limit", "3"]])
def test_a_role_that_may_not_read_the_tables_is_could_not_check(role, drifted, args):
    result = manage_on(None, "validate_data_integrity", *args, DATABASE_URL=role())

    assert one_line(result, 2) == (
        "CommandError: cannot read the database: permission denied for table core_ledgercheckpoint"
    )
    assert result.stdout == ""


@pytest.mark.process
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("args", "table"),
    [
        (["--fix"], "django_migrations"),
        (["--fix", "--dry-run"], "django_migrations"),
        (["--restore-balances", "ID", "--reason", "bulk update by mistake"], "django_migrations"),
        (["--accept-balances", "ID", "--reason", "a gift", "--dry-run"], "django_migrations"),
        (["--full", "--json"], "characters_character"),
    ],
)
def test_a_run_that_writes_is_could_not_check_when_refused_and_changes_nothing(
    role, drifted, args, table
):
    args = [str(drifted.pk) if arg == "ID" else arg for arg in args]

    result = manage_on(None, "validate_data_integrity", *args, DATABASE_URL=role())

    assert one_line(result, 2) == (
        f"CommandError: cannot read or write the database: permission denied for table {table}"
    )
    assert result.stdout == ""
    unchanged(drifted)


@pytest.mark.process
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_repair_by_a_role_that_may_only_read_changes_nothing(role, drifted):
    url = role("SELECT")

    checked = manage_on(None, "validate_data_integrity", DATABASE_URL=url)
    fixed = manage_on(None, "validate_data_integrity", "--fix", "--json", DATABASE_URL=url)

    assert one_line(checked, 1) == f"CommandError: {LEDGER_ISSUE}"  # reading is allowed
    assert one_line(fixed, 2) == (
        "CommandError: cannot read or write the database: permission denied for table "
        "characters_character"  # its row locks need UPDATE
    )
    assert fixed.stdout == ""
    unchanged(drifted)


# --- unknown options ----------------------------------------------------------------------


@pytest.mark.process
@pytest.mark.parametrize("command", ["validate_data_integrity", "monitor_validation"])
def test_an_unknown_option_is_one_line_and_exit_2(command):
    result = manage_on(None, command, "--foo")

    assert one_line(result, 2) == (
        f"CommandError: unknown option --foo; see manage.py {command} --help."
    )
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("message", "line"),
    [
        ("unrecognized arguments: --foo", "unknown option --foo"),
        ("unrecognized arguments: --foo=1 --bar", "unknown options --foo, --bar"),
        ("unrecognized arguments: --foo extra", "unknown option --foo; unexpected argument extra"),
        ("argument --limit: invalid int value: 'x'", "argument --limit: invalid int value: 'x'"),
    ],
)
def test_argparse_complaints_read_as_one_line(message, line):
    assert usage_line(message) == line


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("run", "args", "line"),
    [
        (
            validate,
            ["--fox"],
            "unknown option --fox; see manage.py validate_data_integrity --help.",
        ),
        (
            validate,
            ["--limit", "many"],
            "argument --limit: invalid int value: 'many'; see manage.py validate_data_integrity "
            "--help.",
        ),
        (
            monitor,
            ["--perod=48"],
            "unknown option --perod; see manage.py monitor_validation --help.",
        ),
    ],
)
def test_every_usage_error_of_both_commands_is_exit_2_with_one_line(run, args, line):
    assert tuple(run(*args)) == (2, "", f"CommandError: {line}\n")


# --- dry runs: the exit status is the state now -------------------------------------------


@pytest.mark.process
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("option", "verb"),
    [("--restore-balances", "restored to the ledger"), ("--accept-balances", "accepted")],
)
def test_a_dry_run_decision_exits_1_while_the_drift_is_still_there(drifted, option, verb):
    decide = [option, str(drifted.pk), "--reason", "checked with the storyteller", "--dry-run"]

    text = manage_on(None, "validate_data_integrity", *decide)
    document = manage_on(None, "validate_data_integrity", *decide, "--json")

    assert one_line(text, 1) == f"CommandError: {LEDGER_ISSUE}"
    assert text.stdout.splitlines()[0] == (
        f"Dry run, nothing written: would have {verb}: 1 character(s)."
    )
    assert text.stdout.splitlines()[-1] == "After this decision, no issue would remain."
    assert one_line(document, 1) == f"CommandError: {LEDGER_ISSUE}"
    report = json.loads(document.stdout)
    assert (report["dry_run"], report["total_issues"], report["remaining"]) == (True, 1, 0)
    unchanged(drifted)
