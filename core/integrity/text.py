"""The integrity registry's results and fixes as lines of text, for people.

``validate_data_integrity`` prints these lines and the operator integrity page shows
them, so the page's ``--fix --dry-run`` preview is the command's own output, not a
paraphrase of it.
"""

from .base import CheckResult, FixOutcome

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

DRY_RUN_HEADER = "Dry run: nothing is written. --fix would change:"


def total_issues(results: list[CheckResult]) -> int:
    return sum(r.count or 0 for r in results)


def shown(value) -> str:
    return "empty" if value is None else str(value)


def describe(example: dict) -> str:
    """``Ada (#12) strength = 0 → 1`` and the check's own extra figures."""
    known = {"model", "id", "name", "field", "value", "fix"}
    extras = "".join(f", {k} {v}" for k, v in example.items() if k not in known)
    field = f" {example['field']} = {shown(example['value'])}" if example.get("field") else ""
    fix = f" → {shown(example['fix'])}" if "fix" in example else ""
    return f"{example['name']} (#{example['id']}){field}{extras}{fix}"


def describe_change(change: dict) -> str:
    """``Human #12 Ada: strength 0 → 1``; rows created or deleted by a fix say so."""
    label = f"{change['model'].rsplit('.', 1)[-1]} #{change['id']} {change['name']}"
    if not change["field"]:
        return f"{label}: deleted ({change['old']})"
    if change["old"] is None and change["field"] == "amount":
        # A created ledger entry: named by its character, its id is only known once written.
        return f"{change['name']}: new ledger entry of {change['new']:+d}"
    return f"{label}: {change['field']} {shown(change['old'])} → {shown(change['new'])}"


def fix_line(outcome: FixOutcome) -> str:
    if outcome.skipped:
        return f"{outcome.name}: not fixed, {outcome.skipped}"
    fields = ", ".join(f"{name or 'row'} ×{n}" for name, n in sorted(outcome.fields.items()))
    return f"{outcome.name}: {outcome.rows} row(s), {outcome.changes} change(s) ({fields})"


def fix_lines(fixes: list[FixOutcome], *, dry_run: bool, run_id, verbose: bool) -> list[str]:
    """What a fix run changed (or, dry, would change): a header, a line per check and,
    ``verbose``, each change under it."""
    lines = [DRY_RUN_HEADER if dry_run else f"Fixing (run {run_id}):"]
    if not fixes:
        lines.append("  nothing to fix.")
    for outcome in fixes:
        lines.append(f"  {fix_line(outcome)}")
        if verbose:
            lines += [f"      {describe_change(change)}" for change in outcome.examples]
            if outcome.more > 0:
                lines.append(f"      and {outcome.more} more")
    return lines


def remaining_line(after: list[CheckResult]) -> str:
    """The dry run's verdict: what a real ``--fix`` would leave behind."""
    remaining = total_issues(after)
    if remaining:
        return f"After --fix, {remaining} issue(s) would remain."
    return "After --fix, no issue would remain."
