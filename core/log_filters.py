"""Logging filters named in ``settings.LOGGING``.

Loaded while logging is configured, before the app registry exists: import nothing
from tg's models here.
"""

import logging
import threading
import time


class CacheOutageFilter(logging.Filter):
    """At most one one-line warning per ``interval_seconds`` for cache errors.

    django-redis, with ``IGNORE_EXCEPTIONS``, logs every swallowed error with its
    traceback on ``DJANGO_REDIS_LOGGER``: during a Redis outage that is several
    tracebacks per page. This filter, on that logger, lets the first error of each
    interval through as a warning without traceback (naming the cause and how many were
    held back since the last one) and drops the rest. The count is per process.
    """

    def __init__(self, interval_seconds: float = 60):
        super().__init__()
        self.interval_seconds = interval_seconds
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget the last warning, so that the next error is logged at once."""
        with self._lock:
            self._quiet_until = float("-inf")
            self._held_back = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._quiet_until:
                self._held_back += 1
                return False
            self._quiet_until = now + self.interval_seconds
            held_back, self._held_back = self._held_back, 0
        error = record.exc_info[1] if record.exc_info else None
        cause = getattr(error, "__cause__", None) or error
        reason = " ".join(str(cause).split()) if cause else record.getMessage()
        held = f"{held_back} more cache error(s) since the last warning; " if held_back else ""
        record.msg = "cache unavailable, serving without it: %s (%sat most one warning per %g s)"
        record.args = (
            f"{type(cause).__name__}: {reason}" if cause else reason,
            held,
            self.interval_seconds,
        )
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        record.stack_info = None
        return True


class ClientErrorFilter(logging.Filter):
    """One line, no traceback, for a request refused with a 4xx status.

    Django logs a 403 or 400 that comes from an exception (``PermissionDenied`` on
    ``django.request``, ``SuspiciousOperation`` such as a disallowed Host on
    ``django.security.*``) with its traceback: in a log that is normally quiet, an
    ordinary refusal would look like a crash. On the console handler this filter turns
    such a record into its message plus the refusal's own text, escaped like Django
    escapes request paths; server errors (5xx) and everything else pass unchanged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if not (record.exc_info and isinstance(status, int) and status < 500):
            return True
        error = record.exc_info[1]
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is left as it is
            return True
        reason = " ".join(str(error).split()) if error else ""
        if reason and reason not in message:
            reason = reason.encode("unicode_escape").decode("ascii")[:200]
            message = f"{message} ({type(error).__name__}: {reason})"
        record.msg, record.args = "%s", (message,)
        record.exc_info = record.exc_text = None
        return True


class AsWarningFilter(logging.Filter):
    """Log the record at WARNING, whatever level it was logged at.

    Django logs a request with a ``Host`` header that ``ALLOWED_HOSTS`` does not list at
    ERROR on ``django.security.DisallowedHost``, and ERROR on a ``django.*`` logger mails
    ``ADMINS``: every scanner and misdirected DNS name would mail the operators. The
    request is refused (400) either way; on that logger this filter makes it the warning
    it is (and ``settings.LOGGING`` keeps it away from the mail handler).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
