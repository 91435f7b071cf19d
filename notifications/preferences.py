"""Saving a person's notification settings."""

from django.db import transaction

from notifications.forms import NotificationPreferencesForm
from notifications.models import NotificationPreferences


def save_preferences(*, user, data) -> NotificationPreferencesForm:
    """Validate ``data`` against ``user``'s settings (their row is created now if they
    had none) and save it when valid. Returns the form: its errors when invalid, its
    saved instance when valid."""
    with transaction.atomic():
        current, _ = NotificationPreferences.objects.get_or_create(user=user)
        form = NotificationPreferencesForm(data, instance=current)
        if form.is_valid():
            form.save()
    return form
