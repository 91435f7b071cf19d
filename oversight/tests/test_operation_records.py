"""Outcome records of XP operations: every outcome classified, and never in the way."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, connections, transaction

from characters.models import Human
from core.models import OperationRecord, Outcome
from core.records import classify, recorded

pytestmark = pytest.mark.django_db


def test_refusals_carry_their_code():
    assert classify(ValidationError("no", code="insufficient_xp")) == (
        Outcome.REJECTED,
        "insufficient_xp",
    )
    assert classify(PermissionDenied("no")) == (Outcome.REJECTED, "permission_denied")
    assert classify(None) == (Outcome.SUCCESS, "")
    assert classify(RuntimeError("boom")) == (Outcome.ERROR, "RuntimeError")


def test_the_record_holds_operation_ids_and_duration():
    with recorded("xp_adjust", character_id=42) as info:
        info.scene_id = 7
    record = OperationRecord.objects.get()
    assert (record.operation, record.outcome, record.character_id, record.scene_id) == (
        "xp_adjust",
        "success",
        42,
        7,
    )
    assert record.duration_ms >= 0


def test_a_failed_operation_is_recorded_and_its_error_re_raised():
    with pytest.raises(RuntimeError), recorded("xp_spend", character_id=1):
        raise RuntimeError("boom")
    assert OperationRecord.objects.get().outcome == "error"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_constraint_violation_is_classified_with_the_constraint_name(make_human):
    ada = make_human()
    with (
        pytest.raises(IntegrityError) as info,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE characters_character SET xp = -1 WHERE id = %s", [ada.pk])
    assert classify(info.value) == (
        Outcome.CONSTRAINT_VIOLATION,
        "characters_character_xp_nonnegative",
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_deadlock_is_classified_as_deadlock(make_human):
    """Two connections lock two rows in opposite orders; PostgreSQL kills one."""
    first, second = make_human(name="A").pk, make_human(name="B").pk
    barrier = threading.Barrier(2)
    errors = []

    def lock(order):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM characters_character WHERE id = %s FOR UPDATE", [order[0]]
                )
                barrier.wait(10)
                cursor.execute(
                    "SELECT id FROM characters_character WHERE id = %s FOR UPDATE", [order[1]]
                )
        except DatabaseError as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=lock, args=(order,)) for order in ((first, second), (second, first))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(errors) == 1
    assert classify(errors[0]) == (Outcome.DEADLOCK, "deadlock_detected")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failing_record_write_never_breaks_the_operation(make_human, caplog):
    ada = make_human(xp=10)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION tg_test_no_records() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'records unavailable'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER tg_test_no_records BEFORE INSERT ON core_operationrecord "
            "FOR EACH ROW EXECUTE FUNCTION tg_test_no_records()"
        )
    try:
        request = ada.spend_xp("alertness", "Alertness", 3, "ability")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER tg_test_no_records ON core_operationrecord")
            cursor.execute("DROP FUNCTION tg_test_no_records()")
    assert request.status == "Pending"
    assert Human.objects.get(pk=ada.pk).xp == 7
    assert not OperationRecord.objects.exists()
    assert "could not record xp_spend outcome success" in caplog.text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refusal_inside_a_callers_rolled_back_transaction_is_still_recorded(make_human):
    """A script runs an operation inside its own transaction and rolls back: the refusal
    is what the monitor counts, so its record survives; a success rolled back with the
    caller did not happen, and leaves no record."""
    from characters.models import Human

    ada = make_human(xp=1)
    with pytest.raises(ValidationError), transaction.atomic():
        Human.objects.get(pk=ada.pk).spend_xp("strength")  # 1 XP is not enough
    with transaction.atomic():
        Human.objects.get(pk=ada.pk).add_xp(5, note="Script")
        transaction.set_rollback(True)

    records = list(OperationRecord.objects.values_list("operation", "outcome", "code"))
    assert records == [("xp_spend", "rejected", "insufficient_xp")]
    assert Human.objects.get(pk=ada.pk).xp == 1
