"""Middleware of tg's own."""

from oversight.endpoints import HEALTH_PATH, health


class HealthProbeMiddleware:
    """Answer ``/health/`` before any other middleware looks at the request.

    Load balancers and orchestrators probe each instance by its address, so the
    ``Host`` header is an IP that ``ALLOWED_HOSTS`` rightly does not list, and they
    probe over plain HTTP. Placed first in ``MIDDLEWARE``, this serves the probe
    (which reveals no data) whatever the host and scheme; every other path still goes
    through the HTTPS redirect and host validation.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == HEALTH_PATH:
            return health(request)
        return self.get_response(request)
