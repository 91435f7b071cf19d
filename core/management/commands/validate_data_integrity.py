"""Find, explain and safely fix the data that breaks tg's integrity rules.

Run before ``migrate`` adds the validation constraints (to find and fix what would make
it fail) and after (to verify). Exit status: 0 no issues remain, 1 issues remain,
2 could not check (usage, settings, connection, or a database without tg's tables).
The checks live in ``core.integrity``; the workflow and the JSON schema are documented
in docs/deployment/validation_workflow.md. Django's system checks are not run first: a
settings mistake is exit 2 with one line, not a ``SystemCheckError`` (exit 1, "issues").
"""

import json
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from core.integrity import (
    REGISTRY,
    CheckResult,
    FixInProgress,
    FixReport,
    FixUnavailable,
    apply_fixes,
    run_checks,
    settle_balances,
)
from core.integrity.text import (
    INFO_LABELS,
    describe,
    describe_change,
    fix_lines,
    remaining_line,
    total_issues,
)
from core.monitoring.config import validate as validate_monitoring_settings
from core.schema import no_tg_tables_message

OK, FAIL, SKIP = "✓", "✗", "–"
MAX_LIMIT = 10_000


class Command(BaseCommand):
    requires_system_checks = []
    help = (
        "Check (and with --fix, repair) every integrity rule: trait ranges, XP, statuses, "
        "storyteller duplicates, scene XP, the XP ledger and stale XP requests. "
        "Exit status 0: no issues, 1: issues remain, 2: could not check (usage, settings, "
        "connection, no tg tables)."
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
            help="With --fix: show exactly what would change, and write nothing.",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print one JSON document on stdout and nothing else.",
        )
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
        if settlement:
            self._settle(*settlement, dry_run=options["dry_run"], as_json=options["json"])
            return
        verbose, as_json = options["verbose"], options["json"]
        examples = options["limit"] if (verbose or as_json) else 0
        if options["fix"]:
            report = self._fix(names, dry_run=options["dry_run"], examples=examples)
            results = report.before if report.dry_run else report.after
            if as_json:
                self._print_json(results, report)
            else:
                self._print_fix(report, verbose)
        else:
            results = run_checks(names, examples=examples)
            if as_json:
                self._print_json(results, None)
            else:
                self._print_results(results, verbose)
                self._print_summary(results)
        if total_issues(results):
            sys.exit(1)

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
                        "remaining": total_issues(result.after),
                    },
                    default=str,
                )
            )
        else:
            head = "Dry run, nothing written: would have" if dry_run else "Balances"
            self.stdout.write(f"{head} {verb}: {result.outcome.rows} character(s).")
            for change in result.outcome.examples:
                self.stdout.write(f"    {describe_change(change)}")
            if result.not_drifting:
                listed = ", ".join(f"#{pk}" for pk in result.not_drifting)
                self.stdout.write(f"Not changed, their balance matches their ledger: {listed}.")
            self._print_results(result.after, verbose=False)
        if total_issues(result.after):
            sys.exit(1)

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
        except (FixInProgress, FixUnavailable) as error:
            raise CommandError(str(error), returncode=2) from None

    # --- text output --------------------------------------------------------------------

    def _print_results(self, results: list[CheckResult], verbose: bool) -> None:
        width = max(len(r.name) for r in results)
        for result in results:
            if result.skipped:
                self.stdout.write(f"{SKIP} {result.name:<{width}}  skipped: {result.skipped}")
                continue
            mark = FAIL if result.count else OK
            self.stdout.write(f"{mark} {result.name:<{width}}  {result.title}: {result.count}")
            for key, value in result.info.items():
                if value:
                    self.stdout.write(f"  {' ' * width}  ℹ {INFO_LABELS.get(key, key)}: {value}")
            if verbose:
                for example in result.examples:
                    self.stdout.write(f"    {describe(example)}")
                if result.more:
                    self.stdout.write(f"    and {result.more} more")

    def _print_summary(self, results: list[CheckResult], *, mode: str = "report") -> None:
        """The last line: what was found and what the operator can do next."""
        total = total_issues(results)
        failed = [r for r in results if r.count]
        skipped = [r for r in results if r.skipped]
        if skipped:
            self.stdout.write(
                f"{len(skipped)} check(s) skipped: {', '.join(r.name for r in skipped)}."
            )
        if not total:
            self.stdout.write(f"No issues: {len(results) - len(skipped)} check(s) passed.")
            return
        if mode == "after_fix":
            self.stdout.write(
                f"{total} issue(s) remain in {len(failed)} check(s): "
                f"{', '.join(r.name for r in failed)}. They need a person to decide; see "
                "docs/deployment/validation_workflow.md."
            )
            return
        if mode == "dry_run":
            self.stdout.write(
                f"{total} issue(s) in {len(failed)} check(s) now; "
                "run --fix without --dry-run to apply the changes above."
            )
            return
        fixable = sum(r.repairable for r in failed)
        self.stdout.write(
            f"{total} issue(s) in {len(failed)} check(s); "
            f"{fixable} can be fixed with --fix (try --fix --dry-run first)."
        )

    def _print_fix(self, report: FixReport, verbose: bool) -> None:
        for line in fix_lines(
            report.fixes, dry_run=report.dry_run, run_id=report.run_id, verbose=verbose
        ):
            self.stdout.write(line)
        changes = sum(o.changes for o in report.fixes)
        if report.dry_run:
            self.stdout.write("")
            self.stdout.write("Now:")
            self._print_results(report.before, verbose=False)
            self.stdout.write(remaining_line(report.after))
            self._print_summary(report.before, mode="dry_run")
            return
        if changes:
            self.stdout.write(
                f"Recorded {changes} change(s) in the integrity fix audit (run_id {report.run_id})."
            )
        self.stdout.write("")
        self.stdout.write("After fixing:")
        self._print_results(report.after, verbose)
        self._print_summary(report.after, mode="after_fix")

    # --- JSON ---------------------------------------------------------------------------

    def _print_json(self, results: list[CheckResult], report: FixReport | None) -> None:
        fixed = {o.name: o.rows for o in report.fixes} if report else {}
        document = {
            "status": "issues" if total_issues(results) else "ok",
            "total_issues": total_issues(results),
            "checks": [
                {
                    "name": r.name,
                    "title": r.title,
                    "count": r.count,
                    "fixable": r.fixable,
                    "fixed": fixed.get(r.name, 0) if report else None,
                    "examples": r.examples,
                    "more": r.more,
                    "skipped": r.skipped,
                    "info": r.info,
                }
                for r in results
            ],
        }
        if report:
            document["dry_run"] = report.dry_run
            document["run_id"] = str(report.run_id)
            document["remaining_after_fix"] = total_issues(report.after)
            document["fixes"] = [
                {
                    "check": o.name,
                    "rows": o.rows,
                    "changes": o.changes,
                    "fields": dict(sorted(o.fields.items())),
                    "examples": o.examples,
                    "more": o.more,
                    "skipped": o.skipped,
                }
                for o in report.fixes
            ]
        self.stdout.write(json.dumps(document, indent=2, default=str))
