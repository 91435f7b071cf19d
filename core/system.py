"""tg's own accounts: who decides what no person decided.

A decided XP request must name its decider and a ledger entry its author. When tg
itself decides — a status change made by a script denies the character's Pending
requests — the decider is this inactive account, which can never log in.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

SYSTEM_USERNAME = "tg-system"


def system_user():
    user, _ = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_active": False, "password": make_password(None)},
    )
    return user
