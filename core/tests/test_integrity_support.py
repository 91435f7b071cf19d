"""Helpers shared by the integrity tests (no tests of its own).

Violating rows cannot be written while the validation constraints exist. On PostgreSQL
DDL is transactional, so ``drop_validation_constraints()`` inside a test's transaction
removes them for that test only: the rollback at its end restores them.
"""

from io import StringIO

from django.core.management import call_command
from django.db import connection

from characters.models import Character, Human
from game.models import Scene, STRelationship, XPLedgerEntry, XPSpendingRequest

CONSTRAINED = (Character, Human, STRelationship, Scene, XPSpendingRequest, XPLedgerEntry)


def drop_validation_constraints() -> None:
    """Remove every validation constraint for the rest of the test's transaction."""
    assert connection.in_atomic_block, "only inside a test transaction (it is rolled back)"
    with connection.schema_editor() as editor:
        for model in CONSTRAINED:
            for constraint in model._meta.constraints:
                editor.remove_constraint(model, constraint)


def corrupt(model, pk: int, **values) -> None:
    """Write ``values`` straight into ``model``'s own table with raw SQL."""
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column)} = %s" for column in values)
    key = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {key} = %s",
            [*values.values(), pk],
        )


def run(*args) -> tuple[int, str, str]:
    """``validate_data_integrity *args`` → (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("validate_data_integrity", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    return status, out.getvalue(), err.getvalue()


def counts(*names: str) -> dict[str, int | None]:
    """The violation count of each named check, as the registry reports it."""
    from core.integrity import run_checks

    return {r.name: r.count for r in run_checks(list(names) or None)}
