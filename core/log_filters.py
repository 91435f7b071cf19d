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

    Django logs every 403 and 400 from an exception (``PermissionDenied``,
    ``SuspiciousOperation``) with its traceback: in a log that is normally quiet, an
    ordinary refusal ("only the character's player can do this") would look like a crash.
    On the ``django.request`` logger this filter keeps the warning and appends the
    refusal's own message; server errors (5xx) keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.exc_info and isinstance(status, int) and status < 500:
            error = record.exc_info[1]
            reason = " ".join(str(error).split()) if error else ""
            if reason:
                record.msg = f"{record.msg} ({type(error).__name__}: %s)"
                record.args = (*(record.args or ()), reason[:200])
            record.exc_info = record.exc_text = None
        return True
