"""Django system checks for tg's own settings, so that a misconfiguration stops
``manage.py check`` and every management command before it can break a page."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def monitoring_settings(app_configs, **kwargs):
    from core.monitoring.config import check_overrides

    try:
        check_overrides()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="See docs/deployment/monitoring.md.", id="tg.E001")]
    return []
