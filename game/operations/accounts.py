"""Accounts: one per e-mail address, even when two sign-ups arrive at the same moment."""

from collections.abc import Callable

from django.db import connection, transaction

from core.types import User

# Advisory lock class of sign-ups (two-key form: apart from tg's one-key command locks).
SIGNUP_LOCK_CLASS = 0x7467


def create_account(
    *,
    email: str,
    refuse_if_taken: Callable[[], object],
    save: Callable[[], User],
) -> User:
    """Create the account with ``save()`` unless another one took ``email`` since the
    form looked: ``refuse_if_taken()`` raises ``ValidationError`` then, and nothing is
    created. On PostgreSQL the look and the insert hold a lock per address, so two
    sign-ups at the same moment cannot both pass. Joins the caller's transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                    [SIGNUP_LOCK_CLASS, email.lower()],
                )
        refuse_if_taken()
        return save()
