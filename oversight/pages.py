"""The operator pages: health, integrity and operations, read-only but for one button,
the Health page's "Run the check now" (a monitor run stored like cron's).

Who: ``game.permissions.is_operator`` (superusers and the "operators" group). Anyone else
signed in gets 404, the same page as for an address that does not exist, so the pages
do not reveal themselves; anonymous visitors are sent to the sign-in page. Only GET is
answered (405 otherwise, once the user is known to be an operator). The figures come
from ``oversight.panels``, which reads them through the monitoring and integrity code.
"""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from game import permissions
from oversight import panels as ops
from oversight.monitoring.config import option
from oversight.monitoring.config import validate as validate_monitoring_settings
from oversight.monitoring.runs import AnotherRunHoldsTheLock, run_check


def operator_page(view):
    """Sign in first (redirect with ``?next=``); then operators only, everyone else 404;
    then GET only (405). In that order: a non-operator must not learn from a 405 that
    the address exists."""

    @wraps(view)
    def page(request, *args, **kwargs):
        if not permissions.is_operator(request.user):
            raise Http404("Not an operator.")
        return view(request, *args, **kwargs)

    return login_required(page)


class TrendForm(forms.Form):
    days = forms.TypedChoiceField(
        choices=[(days, f"{days} days") for days in ops.TREND_DAYS],
        coerce=int,
        required=False,
        empty_value=ops.TREND_DAYS[0],  # type: ignore[arg-type]  # coerced to int anyway
        error_messages={
            "invalid_choice": "The trend covers 7 or 30 days: choose one of them below."
        },
    )


HOURS_MESSAGE = f"Choose a period of 1 to {ops.MAX_HOURS} hours, as a whole number."


class PeriodForm(forms.Form):
    hours = forms.IntegerField(
        label=f"Period in hours (1 to {ops.MAX_HOURS})",
        min_value=1,
        max_value=ops.MAX_HOURS,
        required=False,
        error_messages={
            "invalid": HOURS_MESSAGE,
            "min_value": HOURS_MESSAGE,
            "max_value": HOURS_MESSAGE,
        },
    )

    def period_hours(self) -> int:
        return self.cleaned_data["hours"] or 24


@operator_page
@never_cache
@require_GET
def health(request):
    """The last monitor run, how old it is, the trend of the stored runs, the notices."""
    now = timezone.now()
    form = TrendForm(request.GET)
    context = {"form": form, "section": "health", "now": now}
    try:
        validate_monitoring_settings()
    except ImproperlyConfigured as error:
        context["settings_error"] = str(error)
        return render(request, "ops/health.html", context, status=503)
    context["last"] = ops.last_run(now=now)
    if not form.is_valid():
        return render(request, "ops/health.html", context, status=400)
    days = form.cleaned_data["days"]
    context["trend"] = ops.health_trend(days, now=now)
    context["notices"] = ops.recent_notices(days, now=now)
    context["notices_shown"] = ops.NOTICES_SHOWN
    return render(request, "ops/health.html", context)


@operator_page
@require_POST
def run_check_now(request):
    """One monitor run now, stored like a cron run (the page's verdict, /health/validation/
    and the trend read it), without alerts: the operator who pressed the button is the
    one watching. If a run is already going, nothing is started."""
    try:
        validate_monitoring_settings()
        report, _ = run_check(period_hours=24, verbose=False, alert=False, wait_seconds=0)
    except ImproperlyConfigured as error:
        messages.error(request, f"The check cannot run: {error}")
    except AnotherRunHoldsTheLock:
        messages.warning(
            request, "A monitor run is going on right now; its result shows here once it ends."
        )
    else:
        messages.success(
            request,
            f"The check ran now: {report.data['status']}. Its result is the last run below.",
        )
    return redirect("ops-health")


@operator_page
@never_cache
@require_GET
def integrity(request):
    """Every integrity check computed now, with examples, and the ``--fix`` preview."""
    examples = option("VERBOSE_EXAMPLES")
    rows = ops.integrity_rows(examples)
    summary = ops.issues_summary(rows)
    preview = ops.fix_preview(examples) if summary["repairable"] else None
    return render(
        request,
        "ops/integrity.html",
        {
            "rows": rows,
            "summary": summary,
            "preview": preview,
            "examples": examples,
            "section": "integrity",
        },
    )


@operator_page
@never_cache
@require_GET
def operations(request):
    """The XP operations of a chosen period: outcomes, refusals, rollbacks, the slowest."""
    form = PeriodForm(request.GET)
    context = {"form": form, "section": "operations", "max_hours": ops.MAX_HOURS}
    if not form.is_valid():
        return render(request, "ops/operations.html", context, status=400)
    context["ops"] = ops.operations(form.period_hours(), now=timezone.now())
    return render(request, "ops/operations.html", context)
