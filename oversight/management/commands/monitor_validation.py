"""``monitor_validation``: is tg healthy? Measured, judged, remembered, alerted.

The work lives in ``oversight.monitoring``; this command parses the options, picks the
output and turns the verdict into an exit status for cron and monitoring agents:
0 healthy, 1 degraded or critical, 2 could not check (usage, settings, a database that
cannot be read or holds none of tg's tables).

Django's system checks are not run first: a monitoring-settings mistake must read as
"could not check" (2, one line naming the key), not as a ``SystemCheckError`` (1, which
cron would take for "degraded").

One run at a time (``oversight.monitoring.runs``): a second run waits
``TG_MONITOR_LOCK_WAIT_SECONDS`` for the first, then exits 2 having done nothing.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError

from core.schema import no_tg_tables_message
from oversight.management.base import OperatorCommand, database_refusals
from oversight.management.options import add_indent_argument, parse_indent
from oversight.monitoring.config import MAX_PERIOD_HOURS, validate
from oversight.monitoring.render import render_json, render_text
from oversight.monitoring.runs import MONITOR_LOCK_KEY, AnotherRunHoldsTheLock, run_check

EXIT_UNHEALTHY = 1
EXIT_USAGE = 2
__all__ = ["MONITOR_LOCK_KEY", "Command"]


def parse_period(value: str) -> int:
    """``--period`` as a whole number of hours from 1 to ``MAX_PERIOD_HOURS``."""
    try:
        hours = int(value)
    except (TypeError, ValueError):
        hours = 0
    if not 1 <= hours <= MAX_PERIOD_HOURS or str(value).strip() != str(hours):
        raise CommandError(
            f"--period must be a whole number of hours from 1 to {MAX_PERIOD_HOURS}, "
            f"not {value!r}.",
            returncode=EXIT_USAGE,
        )
    return hours


class Command(OperatorCommand):
    requires_system_checks = []

    help = (
        "Report tg's health over the last --period hours: data integrity, XP activity and "
        "operations, scene awards, characters. Exit 0 healthy, 1 degraded/critical, 2 error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print the report as one JSON document on one line, nothing else (schema: "
            "docs/deployment/monitor_report.schema.json).",
        )
        add_indent_argument(parser)
        parser.add_argument(
            "--alert",
            action="store_true",
            help="Email and/or post to the webhook when unhealthy (with a cooldown), and a "
            "recovery notice when healthy again after an alert.",
        )
        parser.add_argument(
            "--period",
            default="24",
            metavar="HOURS",
            help="Hours to look back for activity and operations (1 to 87840, default 24).",
        )
        parser.add_argument(
            "--verbose",
            action="store_true",
            help="Also list the rows behind each integrity count and the slowest operations.",
        )

    def handle(
        self,
        *args,
        as_json: bool,
        alert: bool,
        period: str,
        verbose: bool,
        indent: str,
        **options,
    ):
        hours = parse_period(period)
        spaces = parse_indent(indent, as_json=as_json)
        try:
            validate()
            with database_refusals():
                refusal = no_tg_tables_message()
                if refusal:
                    raise CommandError(refusal, returncode=EXIT_USAGE)
                try:
                    report, notification = run_check(
                        period_hours=hours,
                        verbose=verbose,
                        alert=alert,
                        wait_seconds=settings.TG_MONITOR_LOCK_WAIT_SECONDS,
                    )
                except AnotherRunHoldsTheLock as busy:
                    raise CommandError(str(busy), returncode=EXIT_USAGE) from None
        except ImproperlyConfigured as exc:
            raise CommandError(f"settings: {exc}", returncode=EXIT_USAGE) from None
        if as_json:
            data = report.data
            if notification is not None:
                data = {**data, "notification": notification.as_dict()}
            self.stdout.write(render_json(data, indent=spaces))
        else:
            self.stdout.write(
                render_text(
                    report.data,
                    integrity=report.integrity,
                    slowest=report.slowest,
                    notification=notification,
                )
            )
        if notification is not None:
            for failure in notification.failures:
                if failure.channel == "none":
                    self.stderr.write(f"alert not sent: {failure.detail}")
                else:
                    self.stderr.write(f"alert {failure.channel} failed: {failure.detail}")
        if not report.healthy:
            raise CommandError(
                f"tg is {report.status} (health score {report.data['health_score']}/100)",
                returncode=EXIT_UNHEALTHY,
            )
