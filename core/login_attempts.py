"""What django-axes keeps of a sign-in attempt: the login name, cut to its column.

Django's sign-in form does not limit the login name's length (only the browser does), so
a longer name than any account can have reaches ``authenticate`` and django-axes, whose
tables keep it in a 255-character column: PostgreSQL refuses a longer one and the
sign-in answered 500. ``AXES_USERNAME_CALLABLE`` (tg/settings/base.py) is the one place
every django-axes lookup and record gets the name from, on every sign-in page.
"""

from django.conf import settings


def username(request, credentials) -> str | None:
    """The login name as django-axes reads it itself, at most as long as its column."""
    from axes.models import AccessAttempt  # imported when django-axes first asks

    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    if credentials:
        name = credentials.get(field)
    else:
        name = getattr(request, "data", request.POST).get(field)
    if not isinstance(name, str):
        return name
    limit = AccessAttempt._meta.get_field("username").max_length
    return name[:limit]
