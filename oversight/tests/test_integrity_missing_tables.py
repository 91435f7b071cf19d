"""Before migrate, a check whose table does not exist yet is skipped with a note."""

import json

import pytest
from django.db import connection

from characters.models import Character
from core.models import IntegrityFix
from game.models import XPLedgerEntry, XPSpendingRequest
from tests.support import corrupt, validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def without_request_table(db):
    """Rename the table for this test only (the test transaction rolls it back)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {quote(XPSpendingRequest._meta.db_table)} "
            f"RENAME TO {quote('tg_test_hidden_requests')}"
        )


def test_a_check_without_its_table_is_skipped_with_a_note(without_request_table, make_human):
    make_human("Ada")

    status, out, _ = validate()

    assert status == 0
    assert (
        "– pending_spends_inactive     skipped: table game_xpspendingrequest does not exist "
        "yet (run migrate)\n"
    ) in out
    assert out.endswith(
        "3 check(s) skipped: duplicate_pending, pending_spends_inactive, lost_dots.\n"
        "No issues: 9 check(s) passed.\n"
    )


def test_json_marks_the_skipped_check_with_no_count(without_request_table):
    status, out, _ = validate("--json", "--check", "pending_spends_inactive", "xp_ledger")

    assert status == 0
    ledger, skipped = json.loads(out)["checks"]  # registry order
    assert (skipped["count"], skipped["skipped"]) == (
        None,
        "table game_xpspendingrequest does not exist yet (run migrate)",
    )
    assert (ledger["count"], ledger["skipped"]) == (0, None)


def test_fix_refuses_without_its_audit_table_and_changes_nothing(db, make_human):
    ada = make_human("Ada", xp=3)
    corrupt(Character, ada.pk, xp=5)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {quote(IntegrityFix._meta.db_table)} RENAME TO {quote('tg_test_hidden')}"
        )

    status, _, err = validate("--fix")

    assert status == 2
    assert err == (
        "CommandError: "
        "--fix records every change in core_integrityfix, which does not exist yet: "
        "run `python manage.py migrate core` first (it adds no constraint).\n"
    )
    assert XPLedgerEntry.objects.filter(character=ada).count() == 1
