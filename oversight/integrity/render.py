"""What ``validate_data_integrity`` prints, built from the registry's results as plain lines
and documents: the command only writes them (as ``oversight.monitoring.render`` does for the
monitor), and the operator integrity page shows the same lines.
"""

from oversight.integrity.base import CheckResult, Example, FixOutcome

OK, FAIL, SKIP = "✓", "✗", "–"
DRY_RUN_HEADER = "Dry run: nothing is written. --fix would change:"
INFO_LABELS = {
    "drifted_from_ledger": (
        "balances that drifted from their ledger history (an operator decides: "
        "--accept-balances or --restore-balances)"
    ),
    "without_ledger": "balances with no ledger entry yet (--fix records them)",
    "approved_dots_missing": "approved dots no longer on the sheet",
    "pending_stale": "pending requests that no longer fit the sheet (deny them)",
    "scenes_awaiting_xp": "finished scenes awaiting XP",
    "scenes_given_without_awards": (
        "finished scenes marked XP given with no award entry (everyone got 0?)"
    ),
}


def total(results: list[CheckResult]) -> int:
    return sum(r.count or 0 for r in results)


def issues_line(results: list[CheckResult]) -> str:
    """The one line on stderr with exit status 1 (stdout holds the details)."""
    failing = [r.name for r in results if r.count]
    return f"{total(results)} integrity issue(s) in {', '.join(failing)}"


def result_lines(results: list[CheckResult], *, verbose: bool) -> list[str]:
    """One line per check (✓/✗/–), its information lines, and with ``verbose`` its rows."""
    width = max(len(r.name) for r in results)
    lines = []
    for result in results:
        if result.skipped:
            lines.append(f"{SKIP} {result.name:<{width}}  skipped: {result.skipped}")
            continue
        mark = FAIL if result.count else OK
        lines.append(f"{mark} {result.name:<{width}}  {result.title}: {result.count}")
        for key, value in result.info.items():
            if value:
                lines.append(f"  {' ' * width}  ℹ {INFO_LABELS.get(key, key)}: {value}")
        if verbose:
            lines.extend(f"    {describe(example)}" for example in result.examples)
            if result.more:
                lines.append(f"    and {result.more} more")
    return lines


def summary_lines(results: list[CheckResult], *, mode: str = "report") -> list[str]:
    """The last line(s): what was found and what the operator can do next."""
    count = total(results)
    failed = [r for r in results if r.count]
    skipped = [r for r in results if r.skipped]
    lines = []
    if skipped:
        lines.append(f"{len(skipped)} check(s) skipped: {', '.join(r.name for r in skipped)}.")
    if not count:
        lines.append(f"No issues: {len(results) - len(skipped)} check(s) passed.")
    elif mode == "after_fix":
        lines.append(
            f"{count} issue(s) remain in {len(failed)} check(s): "
            f"{', '.join(r.name for r in failed)}. They need a person to decide; see "
            "docs/deployment/validation_workflow.md."
        )
    elif mode == "dry_run":
        lines.append(
            f"{count} issue(s) in {len(failed)} check(s) now; "
            "run --fix without --dry-run to apply the changes above."
        )
    else:
        fixable = sum(r.repairable for r in failed)
        lines.append(
            f"{count} issue(s) in {len(failed)} check(s); "
            f"{fixable} can be fixed with --fix (try --fix --dry-run first)."
        )
    return lines


def change_lines(fixes: list[FixOutcome], *, dry_run: bool, run_id, verbose: bool) -> list[str]:
    """What a fix run changed (or, dry, would change): a header, a line per check and,
    with ``verbose``, each change under it. The operator integrity page shows these very
    lines as its preview."""
    lines = [DRY_RUN_HEADER if dry_run else f"Fixing (run {run_id}):"]
    if not fixes:
        lines.append("  nothing to fix.")
    for outcome in fixes:
        lines.append(f"  {fix_line(outcome)}")
        if verbose:
            lines.extend(f"      {describe_change(change)}" for change in outcome.examples)
            if outcome.more > 0:
                lines.append(f"      and {outcome.more} more")
    return lines


def remaining_line(after: list[CheckResult]) -> str:
    """A dry run's verdict: what a real ``--fix`` would leave behind."""
    remaining = total(after)
    if remaining:
        return f"After --fix, {remaining} issue(s) would remain."
    return "After --fix, no issue would remain."


def fix_lines(report, *, verbose: bool) -> list[str]:
    """What a fix changed (or, for a dry run, would change), then the state after."""
    lines = change_lines(
        report.fixes, dry_run=report.dry_run, run_id=report.run_id, verbose=verbose
    )
    if report.dry_run:
        lines += ["", "Now:", *result_lines(report.before, verbose=False)]
        lines.append(remaining_line(report.after))
        return lines + summary_lines(report.before, mode="dry_run")
    changes = sum(o.changes for o in report.fixes)
    if changes:
        lines.append(
            f"Recorded {changes} change(s) in the integrity fix audit (run_id {report.run_id})."
        )
    lines += ["", "After fixing:", *result_lines(report.after, verbose=verbose)]
    return lines + summary_lines(report.after, mode="after_fix")


def document(results: list[CheckResult], report=None) -> dict:
    """The ``--json`` document: every check, and with a fix what it changed."""
    fixed = {o.name: o.rows for o in report.fixes} if report else {}
    doc = {
        "status": "issues" if total(results) else "ok",
        "total_issues": total(results),
        "checks": [
            {**r.as_dict(), "fixed": fixed.get(r.name, 0) if report else None} for r in results
        ],
    }
    if report:
        doc["dry_run"] = report.dry_run
        doc["run_id"] = str(report.run_id)
        doc["remaining_after_fix"] = total(report.after)
        doc["fixes"] = [o.as_dict() for o in report.fixes]
    return doc


def _shown(value) -> str:
    return "empty" if value is None else str(value)


# What an example's id numbers when it is not a character's: "Ada (request #12)".
ID_KINDS = {
    "game.XPSpendingRequest": "request",
    "game.Scene": "scene",
    "game.STRelationship": "storyteller record",
    "game.XPLedgerEntry": "ledger entry",
}


def describe(example: Example) -> str:
    """``Ada (#12) strength = 0 → 1`` for a character, ``Ada (request #31) …`` for a row
    of another table; then the check's own extra figures."""
    known = {"model", "id", "name", "field", "value", "fix"}
    extras = "".join(f", {k} {v}" for k, v in example.items() if k not in known)
    field = f" {example['field']} = {_shown(example['value'])}" if example.get("field") else ""
    fix = f" → {_shown(example['fix'])}" if "fix" in example else ""
    kind = ID_KINDS.get(example.get("model", ""), "")
    number = f"{kind} #{example['id']}" if kind else f"#{example['id']}"
    return f"{example['name']} ({number}){field}{extras}{fix}"


def describe_change(change: dict) -> str:
    """``Human #12 Ada: strength 0 → 1``; rows created or deleted by a fix say so."""
    label = f"{change['model'].rsplit('.', 1)[-1]} #{change['id']} {change['name']}"
    if not change["field"]:
        return f"{label}: deleted ({change['old']})"
    if change["old"] is None and change["field"] == "amount":
        # A created ledger entry: named by its character, its id is only known once written.
        return f"{change['name']}: new ledger entry of {change['new']:+d}"
    return f"{label}: {change['field']} {_shown(change['old'])} → {_shown(change['new'])}"


def fix_line(outcome: FixOutcome) -> str:
    if outcome.skipped:
        return f"{outcome.name}: not fixed, {outcome.skipped}"
    fields = ", ".join(f"{name or 'row'} ×{n}" for name, n in sorted(outcome.fields.items()))
    return f"{outcome.name}: {outcome.rows} row(s), {outcome.changes} change(s) ({fields})"
