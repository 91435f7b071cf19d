"""Middleware of tg's own."""

from oversight.endpoints import HEALTH_PATH, health


class HeadWithoutBodyMiddleware:
    """Answer ``HEAD`` as ``GET`` without the body, on every path.

    Django answers a HEAD request with the GET's whole response and leaves it to the
    server to drop the body. gunicorn drops it, and logs a warning for each one ("WSGI app
    sent body bytes on a no-body response"): a load balancer probing ``/health/`` with
    HEAD every few seconds would write thousands of warning lines a day. Placed first in
    ``MIDDLEWARE``, this empties the body (the status and headers stay the GET's), as
    Django's own development server and test client do.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "HEAD":
            if response.streaming:
                response.streaming_content = []
            else:
                response.content = b""
        return response


class HealthProbeMiddleware:
    """Answer ``/health/`` before any other middleware looks at the request.

    Load balancers and orchestrators probe each instance by its address, so the
    ``Host`` header is an IP that ``ALLOWED_HOSTS`` rightly does not list, and they
    probe over plain HTTP. Placed first in ``MIDDLEWARE`` (after
    ``HeadWithoutBodyMiddleware``), this serves the probe (which reveals no data)
    whatever the host and scheme; every other path still goes through the HTTPS redirect
    and host validation.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == HEALTH_PATH:
            return health(request)
        return self.get_response(request)
