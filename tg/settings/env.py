"""Small, typed readers for environment variables that fail loudly with the variable's name.

Each reader raises ``ImproperlyConfigured`` with a one-line message naming the variable
and the allowed values; ``manage.py`` prints that line and exits with status 2. Values
that may be secret (``DATABASE_URL``) are never repeated in a message.
"""

import importlib.util
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


def check_settings_module() -> None:
    """Refuse a ``DJANGO_SETTINGS_MODULE`` that names no module (a typo such as
    ``tg.settings.prodution``) with one line naming it, instead of the traceback of
    Django's import (manage.py, tg/wsgi.py). The module is looked for, not run (its parent
    packages are)."""
    name = os.environ.get("DJANGO_SETTINGS_MODULE", "").strip()
    try:
        # An empty or relative name (".settings") names nothing Django could import.
        found = bool(name) and not name.startswith(".")
        found = found and importlib.util.find_spec(name) is not None
    except ModuleNotFoundError as error:
        # A parent package that does not exist; any other missing module is not ours.
        if not error.name or not (name + ".").startswith(error.name + "."):
            raise
        found = False
    if not found:
        raise ImproperlyConfigured(
            f"DJANGO_SETTINGS_MODULE is {name!r}, which is not a module that exists: use "
            "tg.settings.production (or tg.settings.development, tg.settings.test)."
        )


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


REDIS_SCHEMES = ("redis", "rediss", "unix")


def env_redis_url(name: str) -> str | None:
    """A Redis URL (``redis://``, ``rediss://`` or ``unix://``), or ``None`` when unset.

    Anything else (``http://…``, a bare host name) would be accepted by the cache and then
    fail on every call, reported as a Redis outage: it is refused at start-up instead,
    naming the scheme only (the URL may hold a password).
    """
    url = env_str(name)
    if url is None:
        return None
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme not in REDIS_SCHEMES:
        found = f"scheme {scheme!r}" if scheme else "no scheme"
        raise ImproperlyConfigured(
            f"{name} must be a redis://, rediss:// or unix:// URL (e.g. "
            f"redis://127.0.0.1:6379/1), got {found}; the rest is not repeated here (it may "
            "hold a password)."
        )
    return url


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
