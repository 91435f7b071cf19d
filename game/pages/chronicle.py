"""A chronicle's records for its storytellers: the XP report and the audit trail.

Both pages belong to the chronicle's storytellers (head, assistants, superusers): the
chronicle is fetched through ``game.permissions`` (404 outside the user's scope), and a
member who is not a storyteller gets 403. They only read; their figures come from
``game.queries.report`` and ``game.queries.audit`` in a fixed number of queries.
"""

import csv
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.ids import parse_id
from game import permissions
from game.models import Chronicle
from game.pages import charts
from game.pages.common import csv_cell
from game.pages.forms import AuditFilterForm, ReportPeriodForm
from game.queries import audit
from game.queries.report import chronicle_report

AUDIT_PAGE_SIZE = 50
# The audit pages through the newest 5,000 rows (100 pages); narrower filters or the
# CSV reach older ones. It bounds what the deepest page reads (see game.queries.audit).
AUDIT_PAGED_ROWS = 5_000


def _storytold(request, pk) -> Chronicle:
    """The chronicle if the user storytells it: 404 when they cannot see it, 403 when
    they can but only as a player."""
    chronicle = permissions.chronicle_for(request.user, pk)
    if not permissions.is_storyteller(request.user, chronicle):
        raise PermissionDenied("Only the chronicle's storytellers see its XP report and audit.")
    return chronicle


@login_required
def report(request, pk):
    chronicle = _storytold(request, pk)
    form = ReportPeriodForm(request.GET)
    if not form.is_valid():
        asked = str(request.GET.get("months", ""))[:20]
        messages.warning(request, f"There is no period “{asked}”: showing the last 12 months.")
    figures = chronicle_report(chronicle, months=form.months_or_none(), today=timezone.localdate())
    awarded_chart = charts.bar_chart(
        id="awarded-chart",
        title="Scene XP awarded per month",
        points=[
            (month.strftime("%b %Y"), total)
            for month, total in zip(figures.months, figures.month_totals, strict=True)
        ],
        axis=[
            (month.strftime("%b"), month.strftime("%Y") if n == 0 or month.month == 1 else "")
            for n, month in enumerate(figures.months)
        ],
    )
    spent_chart = charts.bar_chart(
        id="spent-chart",
        title="XP spent by category (approved requests)",
        points=[(spend.label, spend.xp) for spend in figures.spending],
    )
    return render(
        request,
        "game/report.html",
        {
            "chronicle": chronicle,
            "form": form,
            "report": figures,
            "awarded_chart": awarded_chart,
            "spent_chart": spent_chart,
            # Each month's figure with its month's name: on a phone the table's rows
            # are stacked and every figure carries its label.
            "month_rows": [
                (
                    row,
                    [
                        (m.strftime("%b %Y"), xp)
                        for m, xp in zip(figures.months, row.per_month, strict=True)
                    ],
                )
                for row in figures.characters
            ],
            "month_totals": [
                (m.strftime("%b %Y"), xp)
                for m, xp in zip(figures.months, figures.month_totals, strict=True)
            ],
        },
    )


def _audit_filters(request, chronicle):
    form = AuditFilterForm(
        request.GET,
        characters=permissions.sheets_visible_to(request.user)
        .filter(chronicle=chronicle)
        .order_by("name", "pk"),
        people=audit.people(chronicle),
        kinds=audit.AuditKind.choices,
    )
    return form, form.filters()


@login_required
def audit_trail(request, pk):
    chronicle = _storytold(request, pk)
    form, filters = _audit_filters(request, chronicle)
    log = audit.AuditLog(audit.sources(chronicle, filters), limit=AUDIT_PAGED_ROWS)
    paginator = Paginator(cast(Any, log), AUDIT_PAGE_SIZE)
    asked = request.GET.get("page")
    page = paginator.get_page(asked)
    shown_as_asked = asked is None or not asked.strip() or parse_id(asked) == page.number
    if not shown_as_asked:
        messages.warning(
            request,
            f"There is no page “{asked[:20]}” (pages 1 to {paginator.num_pages}): showing page "
            f"{page.number}.",
        )
    return render(
        request,
        "game/audit.html",
        {"chronicle": chronicle, "form": form, "page": page, "log": log},
    )


class _Echo:
    """A file-like object whose ``write`` returns the line: csv.writer into a stream."""

    def write(self, value):
        return value


AUDIT_COLUMNS = ["when", "kind", "character", "by", "what", "xp", "note"]


@login_required
def audit_csv(request, pk):
    """Every row the filters select (not only one page), streamed."""
    chronicle = _storytold(request, pk)
    _, filters = _audit_filters(request, chronicle)
    log = audit.AuditLog(audit.sources(chronicle, filters))
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(AUDIT_COLUMNS)
        for event in log:
            yield writer.writerow(
                [
                    event.at.isoformat(),
                    event.kind,
                    csv_cell(event.character),
                    csv_cell(event.by),
                    csv_cell(event.what),
                    "" if event.amount is None else event.amount,
                    csv_cell(event.note),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-chronicle-{chronicle.pk}.csv"'
    return response
