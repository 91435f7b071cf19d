"""Production: DEBUG off, secrets and hosts from the environment, HTTPS everywhere, static
files served by whitenoise.

``python manage.py check --deploy`` passes with no warnings once SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL and REDIS_URL are set (docs/deployment/tg.env.example lists
every variable; a test runs the check with it). SECRET_KEY and ALLOWED_HOSTS have no
default here: start-up stops with one line naming the missing one. The security headers
shared with development (Content-Security-Policy, referrer and opener policies) are in
base.py.
"""

from pathlib import Path

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_list, env_str

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", required=True)
# No default: a production site must name its hosts (the probe at /health/ answers any).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", required=True)

# --- HTTPS ----------------------------------------------------------------------------
# TLS ends at the reverse proxy, which must set X-Forwarded-Proto (and strip any value a
# client sent). Plain-HTTP probes of /health/ are answered by
# oversight.middleware.HealthProbeMiddleware, which runs before the HTTPS redirect.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0, maximum=63072000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
DATABASES["default"]["CONN_MAX_AGE"] = env_int(  # noqa: F405
    "DATABASE_CONN_MAX_AGE", 60, minimum=0, maximum=86400
)

# --- Static files -------------------------------------------------------------------------
# `manage.py collectstatic` (a deploy step; scripts/serve.sh runs it) copies every file to
# STATIC_ROOT under a content-hashed name (css/tg.3f2a….css) with .gz and .br copies beside
# it. whitenoise serves them from each gunicorn process: hashed names with
# "Cache-Control: max-age=315360000, public, immutable", since a changed file gets a new
# name; compressed when the browser accepts it. Right after SecurityMiddleware, as
# whitenoise asks, so that static responses carry the security headers and skip sessions.
MIDDLEWARE.insert(  # noqa: F405
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,  # noqa: F405
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
STATIC_ROOT = Path(env_str("TG_STATIC_ROOT", str(BASE_DIR / "staticfiles")) or "staticfiles")  # noqa: F405
