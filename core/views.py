"""Health endpoints."""

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def health(request):
    """Can this process serve? Database and cache reachable. Reveals no data."""
    components = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        components["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        components["database"] = "unavailable"
    try:
        cache.set("tg:health", "1", 10)
        components["cache"] = "ok" if cache.get("tg:health") == "1" else "unavailable"
    except Exception:  # noqa: BLE001
        components["cache"] = "unavailable"
    ok = all(v == "ok" for v in components.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "components": components},
        status=200 if ok else 503,
    )
