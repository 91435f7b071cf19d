"""Settings shared by every environment.

Database and cache are chosen by environment variables so that a newcomer needs
nothing installed (SQLite, local-memory cache) while production points
``DATABASE_URL`` at PostgreSQL and ``REDIS_URL`` at Redis.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "bootstrap",
    "django_bootstrap5",
    "core",
    "game",
    "characters",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

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
                "game.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite by default; PostgreSQL (or anything dj-database-url parses) from DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions ---------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
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
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tg",
        }
    }

# Sessions are written to the database and cached: reads come from the cache when it
# answers and from the database when it does not, so a Redis outage logs no one out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

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
AXES_FAILURE_LIMIT = env_int("TG_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("TG_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Anyone may create an account without an invitation (off: players join by invitation).
TG_OPEN_REGISTRATION = env_bool("TG_OPEN_REGISTRATION", False)
# Days an invitation link stays valid.
TG_INVITATION_DAYS = env_int("TG_INVITATION_DAYS", 14)

BOOTSTRAP5 = {
    # Bootstrap's files come from the django-bootstrap-static package, served by tg.
    "css_url": {"url": "/static/bootstrap/css/bootstrap.min.css"},
    "javascript_url": {"url": "/static/bootstrap/js/bootstrap.bundle.min.js"},
    "set_placeholder": False,
}

# --- Email ---------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
# Seconds; a mail server that accepts and never answers must not hang cron or alerts.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tg@localhost")
# The site's address as players reach it: links in notification e-mails start with it.
TG_SITE_URL = env_str("TG_SITE_URL", "http://127.0.0.1:8000")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("tg admin", addr) for addr in env_list("TG_ADMINS")]

# --- tg domain settings --------------------------------------------------------------
TG_MAX_SCENE_XP = env_int("TG_MAX_SCENE_XP", 5)
# May a storyteller decide requests of (and adjust or award XP to) their own characters?
# Off: another storyteller of the chronicle decides. On: allowed, recorded as self-decided.
TG_ALLOW_SELF_DECISIONS = env_bool("TG_ALLOW_SELF_DECISIONS", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"tg": {"level": env_str("TG_LOG_LEVEL", "INFO")}},
}

# --- Monitoring --------------------------------------------------------------------------
# monitor_validation, its alerts and the /health/validation/ and /metrics endpoints.
# Thresholds, targets and score weights default to core.monitoring.config.METRICS (the
# deployment contract's monitoring table); put only what you change in the dicts below,
# e.g. "THRESHOLDS": {"xp_spend_time_p95_ms": 800}. See docs/deployment/monitoring.md.
TG_MONITORING = {
    # Alert channels: email (falls back to ADMINS when empty) and a Slack-compatible webhook.
    "ALERT_EMAILS": env_list("TG_ALERT_EMAILS"),
    "WEBHOOK_URL": env_str("TG_ALERT_WEBHOOK_URL", ""),
    "WEBHOOK_TIMEOUT_SECONDS": 5.0,
    # The same unhealthy state is not re-sent within this many hours.
    "ALERT_COOLDOWN_HOURS": env_int("TG_ALERT_COOLDOWN_HOURS", 6),
    # Snapshots older than this are deleted by each run.
    "SNAPSHOT_RETENTION_DAYS": env_int("TG_MONITOR_RETENTION_DAYS", 90),
    # Bearer token accepted by /health/validation/ and /metrics (empty: staff login only).
    "TOKEN": env_str("TG_MONITOR_TOKEN", ""),
    # The endpoints turn unhealthy when the last snapshot is older than this.
    "STALE_AFTER_MINUTES": env_int("TG_MONITOR_STALE_MINUTES", 120),
    # The endpoints compute the report live over this period and cache it this long.
    "ENDPOINT_PERIOD_HOURS": 24,
    "ENDPOINT_CACHE_SECONDS": env_int("TG_MONITOR_CACHE_SECONDS", 60),
    # Examples per integrity check and slowest operations listed by --verbose.
    "VERBOSE_EXAMPLES": 5,
    "THRESHOLDS": {},
    "TARGETS": {},
    "WEIGHTS": {},
}
