"""A database without any of tg's tables (a wrong DATABASE_URL, never migrated) is
"could not check" (exit 2, one line naming the database), never "no issues"."""

import pytest
from django.db import connection

from tests.processes import manage

pytestmark = pytest.mark.process

COMMANDS = [
    ("validate_data_integrity",),
    ("validate_data_integrity", "--json"),
    ("validate_data_integrity", "--fix"),
    ("monitor_validation", "--json"),
]


@pytest.mark.parametrize("args", COMMANDS)
def test_an_empty_sqlite_database_exits_2_naming_it(tmp_path, args):
    path = tmp_path / "elsewhere.sqlite3"

    result = manage(*args, env={"DATABASE_URL": f"sqlite:///{path}"})

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"CommandError: no tg tables in {path} — is DATABASE_URL right? run migrate\n"
    )


def test_a_database_with_only_other_applications_tables_is_refused_too(tmp_path):
    url = f"sqlite:///{tmp_path / 'auth-only.sqlite3'}"
    assert manage("migrate", "auth", "-v", "0", env={"DATABASE_URL": url}).returncode == 0

    result = manage("validate_data_integrity", env={"DATABASE_URL": url})

    assert result.returncode == 2
    assert "no tg tables in" in result.stderr


@pytest.fixture
def empty_postgres_database(django_db_blocker):
    """A second, empty database on the test server (a wrong DATABASE_URL)."""
    name = "tg_test_wrong_database"
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        cursor.execute(f"CREATE DATABASE {name}")
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    yield name, f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{name}"
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
    # Close what this database-less fixture opened: when browser tests (Playwright) ran
    # earlier in the session, the test database's teardown leaves this connection open,
    # and "test_tg" cannot be dropped at the end ("being accessed by other users").
    with django_db_blocker.unblock():
        connection.close()


@pytest.mark.postgres
@pytest.mark.parametrize("args", COMMANDS)
def test_an_empty_postgresql_database_exits_2_naming_it(empty_postgres_database, args):
    name, url = empty_postgres_database
    db = connection.settings_dict

    result = manage(*args, env={"DATABASE_URL": url})

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"CommandError: no tg tables in postgresql://{db['HOST']}:{db['PORT']}/{name} — "
        "is DATABASE_URL right? run migrate\n"
    )
