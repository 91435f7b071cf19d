"""Settings shared by every environment.

Database and cache are chosen by environment variables so that a newcomer needs
nothing installed (SQLite, local-memory cache) while production points
``DATABASE_URL`` at PostgreSQL and ``REDIS_URL`` at Redis. Every variable is read
through ``tg.settings.env``: a value that is malformed or out of range stops start-up
with one line naming the variable.
"""

import importlib.util
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from oversight.monitoring.config import from_environment as monitoring_from_environment

from .env import env_bool, env_choice, env_database, env_int, env_list, env_redis_url, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    # The admin, open to superusers only (core/admin_site.py).
    "core.admin_site.SuperuserAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "bootstrap",
    "django_bootstrap5",
    "core",
    "game",
    "characters",
    "notifications",
    "oversight",
]

# The partial rollback (docs/deployment/README.md): a migration that removes the characters'
# validation constraints, present only for the commands that apply or unapply it.
if env_bool("TG_CONSTRAINTS_ROLLBACK", False):
    INSTALLED_APPS.append("core.constraints_rollback")

MIDDLEWARE = [
    # Outermost: a HEAD request gets the GET's status and headers without the body (which
    # gunicorn would drop with a warning line per request).
    "oversight.middleware.HeadWithoutBodyMiddleware",
    # Then, before the rest: the load balancer's probe is answered before the HTTPS redirect and the
    # ALLOWED_HOSTS check, which stay in force for every other path.
    "oversight.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Production inserts whitenoise here (tg/settings/production.py).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A control character (a NUL byte...) in the path, query string or form: a 400 page
    # (with the headers above) before any view, form or django-axes reads the request.
    "core.middleware.ControlCharacterMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

# --- Security headers --------------------------------------------------------------------
# In every environment, so that development, the tests (the browser tests load every page
# under it) and production serve one and the same policy. HTTPS-only settings (HSTS,
# secure cookies, the redirect) are in production.py.
#
# Every script and stylesheet is a file of tg's own, served from 'self': no inline
# <script>, no style="" attribute, no <style> element (the SVG charts are styled by
# classes in static/css/tg.css). img-src also allows data: because Bootstrap's
# stylesheet draws the menu icon, the select arrow and the checkbox ticks as data: SVG
# images (url("data:image/svg+xml,...")); a data: image cannot run script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"  # for browsers that ignore frame-ancestors
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

ROOT_URLCONF = "tg.urls"
WSGI_APPLICATION = "tg.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "game.pages.navigation.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite by default; PostgreSQL (or anything dj-database-url parses) from DATABASE_URL.
DATABASES = {
    "default": env_database(
        "DATABASE_URL",
        f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0, maximum=86400),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions ---------------------------------------------------------


def redis_cache(url: str) -> dict:
    """tg's django-redis cache at ``url`` (also used by the tests, on a dead port)."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "CONNECTION_POOL_KWARGS": {"max_connections": 50, "retry_on_timeout": True},
            "COMPRESSOR": "django_redis.compressors.zlib.ZlibCompressor",
            # A Redis outage degrades to cache misses instead of server errors.
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
        "KEY_PREFIX": "tg",
    }


# redis://, rediss:// or unix://; any other scheme stops start-up (tg/settings/env.py).
REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tg",
        }
    }
# Errors that IGNORE_EXCEPTIONS swallows go to the "tg.cache" logger, which lets one
# one-line warning through per minute (LOGGING below) instead of a traceback per call.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "tg.cache"

# Sessions live in the database only: one primary-key read per request. Not cached_db:
# with cache errors ignored, a logout during a Redis stall deleted the row but not the
# cached copy, and when Redis answered again the ended session was signed in once more.
# The database is the one truth: a Redis outage logs no one out, and a session that
# ended (logout, password change, deactivation) stays ended whatever the cache did.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Argon2id first (core/hashers.py); the others only read older hashes, which Django
# re-hashes with the first at the account's next successful sign-in.
PASSWORD_HASHERS = [
    "core.hashers.OwaspArgon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Accounts ---------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    # First: refuses a login while its username and address are locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one username from one address lock that pair out for 15
# minutes; a correct password resets the count. (docs/permissions.md)
AXES_FAILURE_LIMIT = env_int("TG_LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=100)
AXES_COOLOFF_TIME = timedelta(
    minutes=env_int("TG_LOGIN_COOLOFF_MINUTES", 15, minimum=1, maximum=1440)
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The login name django-axes records, cut to its 255-character column (core/login_attempts.py).
AXES_USERNAME_CALLABLE = "core.login_attempts.username"
# The address above is the client's, never the reverse proxy's: behind TG_PROXY_COUNT
# proxies (0: none, the connection comes from the client) it is the entry that the first
# of them appended to X-Forwarded-For, counted from the right, where each proxy appends
# the address that connected to it. Entries a client sent itself stand left of it and are
# ignored; with no proxy the header is ignored. (docs/deployment/README.md, "Behind the
# reverse proxy")
TG_PROXY_COUNT = env_int("TG_PROXY_COUNT", 0, minimum=0, maximum=10)
AXES_IPWARE_META_PRECEDENCE_ORDER: tuple[str, ...] = ("REMOTE_ADDR",)
AXES_IPWARE_PROXY_COUNT: int | None = None
if TG_PROXY_COUNT:
    if importlib.util.find_spec("ipware") is None:
        raise ImproperlyConfigured("TG_PROXY_COUNT needs django-ipware (requirements.txt).")
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    # django-ipware counts the proxies listed in the header: the last proxy is not in it
    # (it is REMOTE_ADDR), so one proxy is 0 and the client is the header's last entry.
    AXES_IPWARE_PROXY_COUNT = TG_PROXY_COUNT - 1
# Read a longer header from the right instead of discarding it for the proxy's address.
IPWARE_STRICT = False
# Anyone may create an account without an invitation (off: players join by invitation).
TG_OPEN_REGISTRATION = env_bool("TG_OPEN_REGISTRATION", False)
# Who may start a chronicle on its page: "anyone" signed in, or only the "allowed"
# (operators, superusers, and accounts given leave by manage.py chronicle_starters).
# The default follows TG_OPEN_REGISTRATION: where accounts come only through invitations,
# an invited player must not be able to invite strangers through a chronicle of their own.
TG_CHRONICLE_STARTERS = env_choice(
    "TG_CHRONICLE_STARTERS",
    "ANYONE" if TG_OPEN_REGISTRATION else "ALLOWED",
    ("ANYONE", "ALLOWED"),
).lower()
# Days an invitation link stays valid.
TG_INVITATION_DAYS = env_int("TG_INVITATION_DAYS", 14, minimum=1, maximum=365)

BOOTSTRAP5 = {
    # Bootstrap's files come from the django-bootstrap-static package, served by tg.
    "css_url": {"url": "/static/bootstrap/css/bootstrap.min.css"},
    "javascript_url": {"url": "/static/bootstrap/js/bootstrap.bundle.min.js"},
    "set_placeholder": False,
    # Wrong fields are marked; right ones get no green tick (core/form_rendering.py).
    "field_renderers": {"default": "core.form_rendering.FieldRendererWithoutTicks"},
}

# --- Email ---------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
# Seconds; a mail server that accepts and never answers must not hang cron or alerts.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1, maximum=600)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tg@localhost")
# The site's address as players reach it: links in notification e-mails start with it.
TG_SITE_URL = env_str("TG_SITE_URL", "http://127.0.0.1:8000")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("tg admin", addr) for addr in env_list("TG_ADMINS")]

# --- tg domain settings --------------------------------------------------------------
TG_MAX_SCENE_XP = env_int("TG_MAX_SCENE_XP", 5, minimum=1, maximum=1000)
# May a storyteller decide requests of (and adjust or award XP to) their own characters?
# Off: another storyteller of the chronicle decides. On: allowed, recorded as self-decided.
TG_ALLOW_SELF_DECISIONS = env_bool("TG_ALLOW_SELF_DECISIONS", False)
# validate_data_integrity --fix waits at most this long for a row lock (then retries once).
TG_FIX_LOCK_TIMEOUT_SECONDS = env_int("TG_FIX_LOCK_TIMEOUT_SECONDS", 30, minimum=1, maximum=3600)
# A monitor_validation run waits at most this long for another run to finish, then exits 2
# having done nothing (0: do not wait). Runs take seconds; an hour apart is the schedule.
TG_MONITOR_LOCK_WAIT_SECONDS = env_int("TG_MONITOR_LOCK_WAIT_SECONDS", 300, minimum=0, maximum=3600)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {
        "cache_outage": {"()": "core.log_filters.CacheOutageFilter", "interval_seconds": 60},
        "client_errors": {"()": "core.log_filters.ClientErrorFilter"},
        "as_warning": {"()": "core.log_filters.AsWarningFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            # A refused request (4xx) is one warning line, not a traceback.
            "filters": ["client_errors"],
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "tg": {"level": env_choice("TG_LOG_LEVEL", "INFO", LOG_LEVELS)},
        "tg.cache": {"level": "WARNING", "filters": ["cache_outage"]},
        # A request for a host not in ALLOWED_HOSTS (a scanner, a stray DNS name): refused
        # with 400 and logged as one warning line, never mailed to ADMINS (the "django"
        # logger's mail handler, which it no longer reaches). Server errors still mail.
        "django.security.DisallowedHost": {
            "handlers": ["console"],
            "filters": ["as_warning"],
            "propagate": False,
        },
    },
}

# `manage.py test` runs the pytest suite (the one scripts/test.sh runs).
TEST_RUNNER = "tg.test_runner.PytestTestRunner"

# --- Monitoring --------------------------------------------------------------------------
# monitor_validation, its alerts and the /health/validation/ and /metrics endpoints.
# Only what the environment sets is here (TG_ALERT_*, TG_MONITOR_*, TG_OPERATION_*): every
# key, default and allowed range is in oversight.monitoring.config.OPTIONS, and the metric
# thresholds, targets and weights in oversight.monitoring.config.METRICS. To change something
# else, extend the dict in your settings module, e.g.
#   TG_MONITORING = {**TG_MONITORING, "THRESHOLDS": {"xp_spend_time_p95_ms": 800}}
# See docs/deployment/monitoring.md.
TG_MONITORING = monitoring_from_environment()
