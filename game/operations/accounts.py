"""Accounts and their e-mail addresses.

An account gets an e-mail address only by opening a link mailed to it, so no form ever
says whether an address already has an account: the sign-up and the account page answer
"we sent a link" whichever is true. When the address belongs to another account, its
owner receives a notice instead of a link (issue 18, item 7). One account per address
still holds — among confirmed addresses, the only ones tg stores and mails — because a
password reset mails a link for every account of an address.
"""

from collections.abc import Callable
from functools import partial

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from core.types import User
from notifications.mail import mail_address_confirmation, mail_address_in_use

# Advisory lock class of e-mail addresses (two-key form: apart from tg's one-key command
# locks): a look at who has an address and the write that gives it away hold it.
ADDRESS_LOCK_CLASS = 0x7467
CONFIRMATION_SALT = "tg.accounts.confirm-address"
CONFIRMATION_DAYS = 3


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


def confirmation_token(*, user: User, address: str) -> str:
    """A signed, timestamped token naming the account and the address."""
    return signing.dumps({"u": user.pk, "e": address}, salt=CONFIRMATION_SALT)


def offer_address(*, user: User, address: str, context: str = "") -> None:
    """Mail ``address`` a link that makes it ``user``'s address; if another account has
    it, mail that account's owner a notice instead. Either way the caller says the same.
    ``context`` names where the request came from (an invitation's chronicle) for the
    notice. The mail leaves after the caller's transaction commits."""
    address = address.strip()
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


def read_token(token: str) -> tuple[int, str]:
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
    return data["u"], str(data.get("e", ""))


def confirm_address(*, token: str) -> User:
    """Make the token's address its account's e-mail address. Refused (code
    ``address_taken``) if another account confirmed the address since the link was
    sent; opening the link twice is harmless."""
    user_id, address = read_token(token)
    with transaction.atomic():
        _lock_address(address)
        user = get_user_model().objects.select_for_update().filter(pk=user_id).first()
        if user is None or not user.is_active:
            raise ValidationError("This link is not one tg sent.", code="link_invalid")
        if _owner_of(address, besides=user) is not None:
            raise ValidationError(
                f"{address} became the address of another account after this link was "
                "sent, so it was not added to yours.",
                code="address_taken",
            )
        if user.email != address:
            user.email = address
            user.save(update_fields=["email"])
    return user
