"""Django system checks for tg's own settings.

A monitoring-settings mistake is a warning (``tg.W001``), not an error: it must not
stop ``migrate`` or other commands, which do not depend on it. ``monitor_validation``
and ``validate_data_integrity`` refuse to run with it (exit 2, one line naming the
key), and the monitoring endpoints answer 503 naming it. scripts/serve.sh refuses every
``check --deploy`` warning, so a new web process does not start with it either.
"""

from django.core.checks import Warning, register
from django.core.exceptions import ImproperlyConfigured


@register()
def monitoring_settings(app_configs, **kwargs):
    from oversight.monitoring.config import validate

    try:
        validate()
    except ImproperlyConfigured as exc:
        return [
            Warning(
                str(exc),
                hint="monitor_validation and validate_data_integrity refuse to run until it "
                "is fixed. See docs/deployment/monitoring.md.",
                id="tg.W001",
            )
        ]
    return []
