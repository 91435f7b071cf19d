"""Accounts and their e-mail addresses.

An account gets an e-mail address only by opening a link mailed to it, so no form ever
says whether an address already has an account: the sign-up and the account page answer
"we sent a link" whichever is true. When the address belongs to another account, its
owner receives a notice instead of a link (issue 18, item 7). One account per address
still holds — among confirmed addresses, the only ones tg stores and mails — because a
password reset mails a link for every account of an address.
"""

import secrets
from collections.abc import Callable
from functools import partial

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from core.types import User
from notifications.mail import (
    mail_address_confirmation,
    mail_address_in_use,
    mail_address_replaced,
)

# Advisory lock class of e-mail addresses (two-key form: apart from tg's one-key command
# locks): a look at who has an address and the write that gives it away hold it.
ADDRESS_LOCK_CLASS = 0x7467
CONFIRMATION_SALT = "tg.accounts.confirm-address"
CONFIRMATION_DAYS = 3
# Links mailed per account, and mails per address, in an hour: a person fixing a typo
# needs two or three; more is someone using tg to send mail to others.
OFFERS_PER_HOUR = 5


def create_account(*, save: Callable[[], User]) -> User:
    """Create the account with ``save()`` (a sign-up form's). A user name taken since the
    form looked is a ``ValidationError`` (code ``username_taken``), never a server error.
    Joins the caller's transaction."""
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        raise ValidationError(
            "A user with that username already exists.", code="username_taken"
        ) from None


def sign_up(*, address: str, save: Callable[[], User], context: str = "") -> User:
    """A new account (``create_account``) and the offer of ``address`` to it, in one
    transaction."""
    with transaction.atomic():
        user = create_account(save=save)
        offer_address(user=user, address=address, context=context)
    return user


def _lock_address(address: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                [ADDRESS_LOCK_CLASS, address.lower()],
            )


def _owner_of(address: str, *, besides: User) -> User | None:
    return (
        get_user_model()
        .objects.filter(email__iexact=address)
        .exclude(pk=besides.pk)
        .order_by("pk")
        .first()
    )


def _state(user: User) -> str:
    """A fingerprint of what a link may change: the account's address and password. A
    link made before either changed — or used once, which changes the address — no
    longer matches (as Django's password-reset tokens)."""
    return salted_hmac(CONFIRMATION_SALT, f"{user.pk}|{user.email}|{user.password}").hexdigest()[
        :20
    ]


def confirmation_token(*, user: User, address: str) -> str:
    """A signed, timestamped token naming the account, the address and the account's
    state when it was made."""
    payload = {"u": user.pk, "e": address, "s": _state(user), "n": secrets.token_hex(6)}
    return signing.dumps(payload, salt=CONFIRMATION_SALT)


def _first_use(token: str) -> bool:
    """True the first time a link is used (remembered for as long as it is valid), so an
    address the owner replaced cannot be brought back with the same link."""
    key = "tg:address-link-used:" + salted_hmac(CONFIRMATION_SALT, token).hexdigest()
    try:
        return bool(cache.add(key, 1, timeout=CONFIRMATION_DAYS * 86400))
    except Exception:  # noqa: BLE001 - without the cache, the state fingerprint still holds
        return True


def _within_limit(key: str) -> bool:
    """Count one more mail under ``key`` this hour; False once over the limit. A cache
    that cannot be reached lets the mail go (the limit is a courtesy to mailboxes, not
    a guard of XP)."""
    try:
        cache.add(key, 0, timeout=3600)
        return cache.incr(key) <= OFFERS_PER_HOUR
    except Exception:  # noqa: BLE001 - the cache is down or the key expired between calls
        return True


def _count_an_offer(user: User, address: str) -> None:
    within = _within_limit(f"tg:address-offers:user:{user.pk}")
    within = _within_limit(f"tg:address-offers:to:{address.lower()}") and within
    if not within:
        raise ValidationError(
            f"Too many links asked for in the last hour: at most {OFFERS_PER_HOUR}. "
            "Nothing was sent; try again later.",
            code="too_many_links",
        )


def change_address(*, user: User, address: str, password: str) -> None:
    """The account page's change of address: the account's current password first (a
    session left open on a shared computer must not be enough to move the address, and
    with it the password resets), then ``offer_address``. Every attempt, right or wrong,
    counts towards the hourly limit."""
    if not user.check_password(password):
        _count_an_offer(user, address.strip())
        raise ValidationError(
            "That is not your current password: nothing was sent.", code="wrong_password"
        )
    offer_address(user=user, address=address, context="its account page")


def offer_address(*, user: User, address: str, context: str = "") -> None:
    """Mail ``address`` a link that makes it ``user``'s address; if another account has
    it, mail that account's owner a notice instead. Either way the caller says the same.
    ``context`` names where the request came from (an invitation's chronicle) for the
    notice. The mail leaves after the caller's transaction commits."""
    address = address.strip()
    _count_an_offer(user, address)
    with transaction.atomic():
        _lock_address(address)
        owner = _owner_of(address, besides=user)
        if owner is not None:
            mail = partial(
                mail_address_in_use, owner.pk, username=user.get_username(), context=context
            )
        elif user.email.lower() == address.lower():
            return  # already this account's address: nothing to confirm
        else:
            token = confirmation_token(user=user, address=address)
            mail = partial(mail_address_confirmation, user.pk, address, token)
        transaction.on_commit(mail)


def read_token(token: str) -> tuple[int, str, str]:
    """The account id and address of a confirmation token. ``ValidationError`` (code
    ``link_expired`` or ``link_invalid``) for an old or altered one."""
    try:
        data = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_DAYS * 86400)
    except signing.SignatureExpired:
        raise ValidationError(
            f"This link is more than {CONFIRMATION_DAYS} days old. Ask for a new one on "
            "your account page.",
            code="link_expired",
        ) from None
    except signing.BadSignature:
        raise ValidationError(
            "This link is not one tg sent, or it was cut short in the mail. Copy the whole "
            "link, or ask for a new one on your account page.",
            code="link_invalid",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise ValidationError("This link is not one tg sent.", code="link_invalid")
    return data["u"], str(data.get("e", "")), str(data.get("s", ""))


def confirm_address(*, token: str) -> User:
    """Make the token's address its account's e-mail address, and tell the address it
    replaces. Refused if another account confirmed the address since the link was sent
    (code ``address_taken``), or if the link was used already or the account's address
    or password changed since it was made (``link_used``); opening it again right after
    it worked is harmless."""
    user_id, address, state = read_token(token)
    with transaction.atomic():
        _lock_address(address)
        user = get_user_model().objects.select_for_update().filter(pk=user_id).first()
        if user is None or not user.is_active:
            raise ValidationError("This link is not one tg sent.", code="link_invalid")
        if user.email.lower() == address.lower():
            return user  # opened again: it is already the address
        if _owner_of(address, besides=user) is not None:
            raise ValidationError(
                f"{address} became the address of another account after this link was "
                "sent, so it was not added to yours.",
                code="address_taken",
            )
        if not constant_time_compare(state, _state(user)) or not _first_use(token):
            raise ValidationError(
                "This link was made before the account's address or password last "
                "changed, so it no longer works. Ask for a new one on your account page.",
                code="link_used",
            )
        previous = user.email
        user.email = address
        user.save(update_fields=["email"])
        if previous:
            transaction.on_commit(
                partial(mail_address_replaced, user.pk, previous=previous, address=address)
            )
    return user
