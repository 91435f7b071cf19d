"""Small, typed readers for environment variables that fail loudly with the variable's name.

Each reader raises ``ImproperlyConfigured`` with a one-line message naming the variable
and the allowed values; ``manage.py`` prints that line and exits with status 2. Values
that may be secret (``DATABASE_URL``) are never repeated in a message.
"""

import os
from typing import overload
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if required:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.")
    return default


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}.")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (compared in upper case)."""
    value = os.environ.get(name, "").strip().upper()
    if not value:
        return default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}.")
    return value


@overload
def env_int(
    name: str, default: int, *, minimum: float | None = None, maximum: float | None = None
) -> int: ...


@overload
def env_int(
    name: str, default: None, *, minimum: float | None = None, maximum: float | None = None
) -> int | None: ...


def env_int(
    name: str,
    default: int | None,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> int | None:
    """The variable as a whole number within [minimum, maximum]; ``default`` when unset."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not in_range(number, minimum, maximum):
        raise ImproperlyConfigured(
            f"{name} must be a whole number{describe_range(minimum, maximum)}, got {value!r}."
        )
    return number


def env_list(name: str, default: list[str] | None = None, *, required: bool = False) -> list[str]:
    """Comma-separated values; ``default`` (or an empty list) when unset or empty."""
    value = os.environ.get(name, "").strip()
    items = [item.strip() for item in value.split(",") if item.strip()]
    if items:
        return items
    if required:
        raise ImproperlyConfigured(
            f"The environment variable {name} must be set (comma-separated values)."
        )
    return list(default or [])


def env_database(name: str, default: str, **options) -> dict:
    """``DATABASES["default"]`` from a database URL, refusing one that cannot be right.

    A ``#`` ends a URL, so an unencoded ``#`` in the password silently cuts the URL
    (or makes it unparsable): the message says to URL-encode it, without repeating the
    URL, which holds the password.
    """
    url = os.environ.get(name, "").strip() or default
    if "#" in url:
        raise ImproperlyConfigured(
            f"{name} contains '#', which ends a URL: URL-encode it in the user name or "
            "password as %23 (see README, Configuration)."
        )
    try:
        config = dj_database_url.parse(url, **options)
    except dj_database_url.UnknownSchemeError:
        scheme = urlsplit(url).scheme
        raise ImproperlyConfigured(
            f"{name} has an unknown scheme {scheme!r}: use postgres:// or sqlite:///."
        ) from None
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} is not a valid database URL (scheme://user:password@host:port/name): "
            "URL-encode any of : / ? # @ % in the user name or password "
            "(see README, Configuration)."
        ) from None
    return dict(config)


def in_range(number: float, minimum: float | None, maximum: float | None) -> bool:
    return (minimum is None or number >= minimum) and (maximum is None or number <= maximum)


def describe_range(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {_number(minimum)} to {_number(maximum)}"
    if minimum is not None:
        return f" of at least {_number(minimum)}"
    if maximum is not None:
        return f" of at most {_number(maximum)}"
    return ""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
