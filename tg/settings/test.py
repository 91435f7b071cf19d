"""Settings for the test suite (pytest-django)."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-use-0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
LOGGING["loggers"]["tg"]["level"] = "WARNING"  # type: ignore[index]  # noqa: F405
# Tests log in with force_login; the login-rate-limit tests turn django-axes back on.
AXES_ENABLED = False
