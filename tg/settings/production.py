"""Production: DEBUG off, secrets and hosts from the environment, HTTPS everywhere.

``python manage.py check --deploy`` passes with no warnings once SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL and REDIS_URL are set (see docs/deployment/). SECRET_KEY and
ALLOWED_HOSTS have no default here: start-up stops with one line naming the missing one.
"""

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_list, env_str

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", required=True)
# No default: a production site must name its hosts (the probe at /health/ answers any).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", required=True)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0, maximum=63072000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Plain-HTTP probes of /health/ are answered by core.middleware.HealthProbeMiddleware,
# which runs before the HTTPS redirect.
DATABASES["default"]["CONN_MAX_AGE"] = env_int(  # noqa: F405
    "DATABASE_CONN_MAX_AGE", 60, minimum=0, maximum=86400
)
