"""Local development: debug pages, console email, SQLite unless DATABASE_URL says otherwise."""

from .base import *  # noqa: F403
from .env import env_str

DEBUG = True
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
