"""Health endpoints: can this instance serve (``/health/``), is tg healthy
(``/health/validation/``, ``/metrics``).

``/health/`` is for load balancers: public, cheap, and it reveals no data. It is a
liveness check: 200 as long as the database answers. The cache only speeds pages up
(sessions live in the database), so a cache outage is reported as ``degraded`` in its
body, not as a 503 that would take every instance out of the pool; the monitoring
report judges it (``cache_available``). ``oversight.middleware.HealthProbeMiddleware``
serves it whatever the ``Host`` header.
The two monitoring endpoints serve the ``monitor_validation`` report to staff users or
to a monitoring tool holding the ``TG_MONITOR_TOKEN`` bearer token. They compute the
report live (the last ``ENDPOINT_PERIOD_HOURS``) rather than reading the last cron
snapshot, so a scrape sees the data as it is now; the result is cached for
``ENDPOINT_CACHE_SECONDS`` (shared through Redis in production) so that frequent
scrapes by several tools cost one computation. Staleness of the cron job is part of
the report (``monitor_stale``): a monitor that silently stopped is itself an alert.
All three answer HEAD as GET, without the body (``HeadWithoutBodyMiddleware``), for
probes that only read the status.
"""

import hmac

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from oversight.monitoring import build_report
from oversight.monitoring.collect import cache_answers
from oversight.monitoring.config import option
from oversight.monitoring.health import HEALTHY
from oversight.monitoring.render import render_prometheus

REPORT_CACHE_KEY = "tg:monitoring:endpoint-report"
HEALTH_PATH = "/health/"


def _quiet(response):
    """Mark a deliberate 503 as logged: Django would otherwise log it at ERROR and
    mail ADMINS on every probe, bypassing the alert cooldown."""
    if response.status_code >= 500:
        response._has_been_logged = True
    return response


@never_cache
@require_safe
def health(request):
    """Can this process serve? 200 while the database answers (the cache may be
    ``degraded``), 503 when it does not. Reveals no data."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure means "cannot serve"
        database = "unavailable"
    components = {"database": database, "cache": "ok" if cache_answers() else "degraded"}
    if database != "ok":
        status, code = "unavailable", 503
    elif components["cache"] != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return _quiet(JsonResponse({"status": status, "components": components}, status=code))


def _authorized(request) -> bool:
    """A staff user's session, or ``Authorization: Bearer <TG_MONITOR_TOKEN>``."""
    token = option("TOKEN")
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer":
        # Constant-time comparison: the answer time must not reveal the token's prefix.
        return hmac.compare_digest(offered.strip().encode(), token.encode())
    user = request.user
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def _forbidden() -> JsonResponse:
    return JsonResponse(
        {"error": "Log in as staff or send Authorization: Bearer <TG_MONITOR_TOKEN>."},
        status=403,
    )


def _report_data() -> dict:
    """The live report, shared between requests for ``ENDPOINT_CACHE_SECONDS``."""
    seconds = option("ENDPOINT_CACHE_SECONDS")
    if seconds:
        data = cache.get(REPORT_CACHE_KEY)
        if data is not None:
            return data
    data = build_report(period_hours=option("ENDPOINT_PERIOD_HOURS"), with_staleness=True).data
    if seconds:
        cache.set(REPORT_CACHE_KEY, data, seconds)
    return data


def _unavailable(error: str) -> JsonResponse:
    return _quiet(JsonResponse({"status": "unavailable", "error": error}, status=503))


def _live_report():
    """(report, None) or (None, the 503 response saying why it could not be built)."""
    try:
        return _report_data(), None
    except DatabaseError:
        return None, _unavailable("the database cannot be read")
    except ImproperlyConfigured as exc:
        # `manage.py check` reports this too (tg.E001); the endpoint must not 500.
        return None, _unavailable(f"monitoring settings are invalid: {exc}")


@never_cache
@require_safe
def health_validation(request):
    """The monitoring report as JSON: 200 when healthy, 503 when degraded or critical."""
    if not _authorized(request):
        return _forbidden()
    data, failure = _live_report()
    if failure:
        return failure
    return _quiet(JsonResponse(data, status=200 if data["status"] == HEALTHY else 503))


@never_cache
@require_safe
def metrics(request):
    """The report's figures in Prometheus text format (always 200 when readable)."""
    if not _authorized(request):
        return _forbidden()
    data, failure = _live_report()
    if failure:
        return failure
    return HttpResponse(render_prometheus(data), content_type=CONTENT_TYPE_LATEST)
