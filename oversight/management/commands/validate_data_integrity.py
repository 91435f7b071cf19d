"""Find, explain and safely fix the data that breaks tg's integrity rules.

Run before ``migrate`` adds the validation constraints (to find and fix what would make
it fail) and after (to verify). Exit status: 0 no issues remain, 1 issues remain,
2 could not check (usage, settings, connection, a database without tg's tables or that
refuses a read). A dry run changes nothing, so its status is the state now: 1 while an
issue it would repair is still there. Every exit 2 is one line (``oversight.management.base``).
The checks live in ``oversight.integrity``; the workflow and the JSON schema are documented
in docs/deployment/validation_workflow.md. Django's system checks are not run first: a
settings mistake is exit 2 with one line, not a ``SystemCheckError`` (exit 1, "issues").
"""

import json

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.db import DatabaseError, connection

from core.schema import no_tg_tables_message
from oversight.integrity import (
    REGISTRY,
    FixConflict,
    FixInProgress,
    FixReport,
    FixUnavailable,
    apply_fixes,
    full_scan,
    refresh_ledger_checkpoints,
    render,
    run_checks,
    settle_balances,
)
from oversight.management.base import OperatorCommand, database_refusals
from oversight.management.options import add_indent_argument, parse_indent
from oversight.monitoring.config import validate as validate_monitoring_settings

MAX_LIMIT = 10_000


class Command(OperatorCommand):
    requires_system_checks = []
    help = (
        "Check (and with --fix, repair) every integrity rule: trait ranges, XP, statuses, "
        "storyteller duplicates, scene XP, the XP ledger and stale XP requests. "
        "Exit status 0: no issues, 1: issues remain (with --dry-run: issues now), 2: could "
        "not check (usage, settings, connection, no tg tables, a read refused)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--verbose",
            action="store_true",
            help="List each offending row (name, id, field, value), up to --limit per check.",
        )
        parser.add_argument(
            "--fix",
            action="store_true",
            help="Apply every safe fix in one transaction, audited in core.IntegrityFix.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="With --fix, --accept-balances or --restore-balances: show exactly what "
            "would change, and write nothing. The exit status is the state now.",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print one JSON document on one line on stdout, and nothing else.",
        )
        add_indent_argument(parser)
        parser.add_argument(
            "--check",
            nargs="+",
            metavar="NAME",
            help=f"Run only these checks: {', '.join(REGISTRY)}.",
        )
        parser.add_argument(
            "--accept-balances",
            metavar="IDS",
            help=(
                "Comma-separated character ids whose XP balance drifted from their ledger: "
                "the balance is right; record the difference as an adjustment entry. "
                "Needs --reason."
            ),
        )
        parser.add_argument(
            "--restore-balances",
            metavar="IDS",
            help=(
                "Comma-separated character ids whose XP balance drifted from their ledger: "
                "the ledger is right; set the balance back to its sum. Needs --reason."
            ),
        )
        parser.add_argument(
            "--reason",
            help="Why, for --accept-balances/--restore-balances (kept in the audit).",
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help=(
                "Re-sum every XP ledger entry instead of starting from the ledger "
                "checkpoints, then rewrite the checkpoints (the daily run; the hourly "
                "report and the monitor start from them)."
            ),
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=50,
            help=f"How many offending rows or changes to list per check (1 to {MAX_LIMIT}, "
            "default 50).",
        )

    def handle(self, *args, **options) -> None:
        names = self._validate(options)
        settlement = self._settlement(options)
        self._connect()
        # A statement the database refuses (a role without SELECT: "permission denied for
        # table …") is "could not check" (2), not "issues" (1). Each write (the fixes, a
        # decision, the checkpoints) is one transaction, rolled back with a refused statement.
        writes = bool(settlement or options["fix"] or options["full"])
        with database_refusals("read or write the database" if writes else "read the database"):
            if settlement:
                self._settle(*settlement, dry_run=options["dry_run"], as_json=options["json"])
                return
            verbose, as_json = options["verbose"], options["json"]
            examples = options["limit"] if (verbose or as_json) else 0
            with full_scan(options["full"]):
                results = self._check_or_fix(names, options, examples, verbose, as_json)
        if render.total(results):
            raise CommandError(render.issues_line(results), returncode=1)

    def _check_or_fix(self, names, options, examples: int, verbose: bool, as_json: bool):
        checkpoints = None
        if options["fix"]:
            report = self._fix(names, dry_run=options["dry_run"], examples=examples)
            results = report.before if report.dry_run else report.after
            if options["full"] and not report.dry_run:
                checkpoints = refresh_ledger_checkpoints()
            document = render.document(results, report)
            lines = render.fix_lines(report, verbose=verbose)
        else:
            results = run_checks(names, examples=examples)
            if options["full"]:
                checkpoints = refresh_ledger_checkpoints()
            document = render.document(results)
            lines = render.result_lines(results, verbose=verbose) + render.summary_lines(results)
        if as_json:
            if checkpoints is not None:
                document["checkpoints_refreshed"] = checkpoints
            self.stdout.write(json.dumps(document, indent=self.indent, default=str))
        else:
            self._write(lines)
            if checkpoints is not None:
                self.stdout.write(f"Ledger checkpoints rewritten for {checkpoints} character(s).")
        return results

    # --- input and connection -----------------------------------------------------------

    def _validate(self, options) -> list[str] | None:
        """Refuse bad options before touching the database (exit 2)."""
        names = options["check"]
        if names:
            unknown = [n for n in names if n not in REGISTRY]
            if unknown:
                raise CommandError(
                    f"Unknown check {', '.join(unknown)}. Valid checks: {', '.join(REGISTRY)}.",
                    returncode=2,
                )
        if not 1 <= options["limit"] <= MAX_LIMIT:
            raise CommandError(
                f"--limit must be a whole number from 1 to {MAX_LIMIT}, not {options['limit']}.",
                returncode=2,
            )
        settling = options["accept_balances"] or options["restore_balances"]
        if options["dry_run"] and not (options["fix"] or settling):
            raise CommandError(
                "--dry-run only makes sense with --fix (the report alone never writes).",
                returncode=2,
            )
        self.indent = parse_indent(options["indent"], as_json=options["json"])
        return names or None

    def _settlement(self, options) -> tuple[str, list[int], str] | None:
        """(keep, ids, reason) of an operator's balance decision, checked (exit 2)."""
        accept, restore = options["accept_balances"], options["restore_balances"]
        if not (accept or restore):
            return None
        if accept and restore:
            raise CommandError(
                "Use --accept-balances or --restore-balances, not both in one run.", returncode=2
            )
        if options["fix"] or options["check"]:
            raise CommandError(
                "--accept-balances/--restore-balances run on their own, without --fix or --check.",
                returncode=2,
            )
        option = "--accept-balances" if accept else "--restore-balances"
        try:
            ids = [int(part) for part in (accept or restore).split(",") if part.strip()]
        except ValueError:
            raise CommandError(
                f"{option} takes character ids separated by commas, e.g. 12,31.", returncode=2
            ) from None
        if not ids or any(pk <= 0 or pk > 2**63 - 1 for pk in ids):
            raise CommandError(f"{option} needs at least one valid character id.", returncode=2)
        reason = (options["reason"] or "").strip()
        if not reason:
            raise CommandError(
                f"{option} needs --reason: say why, it is kept with the change.", returncode=2
            )
        return ("balance" if accept else "ledger"), ids, reason

    def _settle(self, keep: str, ids: list[int], reason: str, *, dry_run: bool, as_json: bool):
        try:
            result = settle_balances(ids, keep=keep, reason=reason, dry_run=dry_run, examples=50)
        except (FixInProgress, FixUnavailable) as error:
            raise CommandError(str(error), returncode=2) from None
        verb = "accepted" if keep == "balance" else "restored to the ledger"
        # As for --fix --dry-run, the exit status says the state now: a dry run changed
        # nothing, so the drift it would settle is still there (1).
        now = result.before if dry_run else result.after
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "decision": "accept_balances" if keep == "balance" else "restore_balances",
                        "dry_run": dry_run,
                        "run_id": str(result.run_id),
                        "settled": result.outcome.rows,
                        "not_drifting": result.not_drifting,
                        "changes": result.outcome.examples,
                        "total_issues": render.total(now),
                        "remaining": render.total(result.after),
                    },
                    indent=self.indent,
                    default=str,
                )
            )
        else:
            head = "Dry run, nothing written: would have" if dry_run else "Balances"
            self.stdout.write(f"{head} {verb}: {result.outcome.rows} character(s).")
            for change in result.outcome.examples:
                self.stdout.write(f"    {render.describe_change(change)}")
            if result.not_drifting:
                listed = ", ".join(f"#{pk}" for pk in result.not_drifting)
                self.stdout.write(f"Not changed, their balance matches their ledger: {listed}.")
            if dry_run:
                self._write(["", "Now:", *render.result_lines(now, verbose=False)])
                remaining = render.total(result.after)
                self.stdout.write(
                    f"After this decision, {remaining} issue(s) would remain."
                    if remaining
                    else "After this decision, no issue would remain."
                )
            else:
                self._write(render.result_lines(now, verbose=False))
        if render.total(now):
            raise CommandError(render.issues_line(now), returncode=1)

    def _connect(self) -> None:
        """Refuse (exit 2) bad monitoring settings, an unreachable database, or one that
        holds none of tg's tables (a wrong DATABASE_URL would otherwise read as clean)."""
        try:
            validate_monitoring_settings()
        except ImproperlyConfigured as error:
            raise CommandError(f"settings: {error}", returncode=2) from None
        try:
            connection.ensure_connection()
            refusal = no_tg_tables_message()
        except DatabaseError as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise CommandError(f"Cannot connect to the database: {reason}", returncode=2) from None
        if refusal:
            raise CommandError(refusal, returncode=2)

    def _fix(self, names, *, dry_run: bool, examples: int) -> FixReport:
        try:
            return apply_fixes(names, dry_run=dry_run, examples=examples)
        except (FixConflict, FixInProgress, FixUnavailable) as error:
            raise CommandError(str(error), returncode=2) from None

    def _write(self, lines: list[str]) -> None:
        for line in lines:
            self.stdout.write(line)
