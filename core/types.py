"""Types that cross modules."""

from typing import TypeAlias

from django.contrib.auth.models import User as _User

# tg uses Django's own user model (no AUTH_USER_MODEL of its own): operations, pages
# and permissions annotate the people they act for with this alias.
User: TypeAlias = _User
