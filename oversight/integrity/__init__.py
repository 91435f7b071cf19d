"""The registry of integrity checks shared by validate_data_integrity, monitoring and
any health page.

``run_checks()`` counts every violation with one aggregate query per table (checks on
the same model share it) plus one query per check that needs a join or a grouping, and
fetches examples only for the checks that failed. ``apply_fixes()`` repairs what can be
repaired safely, in one transaction, under a PostgreSQL advisory lock, writing one
``core.models.IntegrityFix`` row per changed value.

Checks whose tables do not exist yet (the command runs before ``migrate`` on an older
database) are skipped with a note rather than failing.
"""

import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import cast

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from core.locks import advisory_lock_holder
from core.models import IntegrityFix
from game.operations.ledger import refresh_ledger_checkpoints
from oversight.integrity.base import (
    Check,
    CheckResult,
    Example,
    FieldCheck,
    FixLog,
    FixOutcome,
    any_of,
    id_batches,
)
from oversight.integrity.characters import (
    AbilityRange,
    Age,
    AttributeRange,
    InvalidStatus,
    NegativeXP,
    Willpower,
)
from oversight.integrity.game import (
    FULL_SCAN,
    DuplicatePending,
    DuplicateSTRelationships,
    LostDots,
    PendingSpendsInactive,
    SceneXP,
    XPLedger,
)
from oversight.integrity.game import settle_balances as settle

__all__ = [
    "Example",
    "REGISTRY",
    "Check",
    "CheckResult",
    "FixConflict",
    "FixInProgress",
    "FixOutcome",
    "FixReport",
    "FixUnavailable",
    "Settlement",
    "apply_fixes",
    "full_scan",
    "refresh_ledger_checkpoints",
    "run_checks",
    "settle_balances",
]

# Order matters for --fix: negative_xp writes its adjustment before xp_ledger compares
# balances with ledgers, and pending requests are refunded after the ledger agrees, so
# a single run leaves every fixable XP check at 0 and a second run finds nothing to
# change. lost_dots comes last: it is never fixed automatically, and the refunds above
# may already have closed some of the stale requests it would list.
REGISTRY: dict[str, Check] = {
    check.name: check
    for check in (
        NegativeXP(),
        InvalidStatus(),
        AttributeRange(),
        AbilityRange(),
        Willpower(),
        Age(),
        DuplicateSTRelationships(),
        SceneXP(),
        XPLedger(),
        DuplicatePending(),
        PendingSpendsInactive(),
        LostDots(),
    )
}

# pg_try_advisory_xact_lock key held by a --fix run ("tg" is 0x7467).
FIX_LOCK_KEY = 0x7467_0004


class FixInProgress(Exception):
    """Another --fix run holds the lock."""


class FixConflict(Exception):
    """A deadlock or a lock wait too long, twice: nothing was applied."""


# SQLSTATEs of a deadlock and of a lock wait cut short by lock_timeout.
RETRYABLE = {"40P01": "a deadlock", "55P03": "a lock wait longer than the lock timeout"}


class FixUnavailable(Exception):
    """The audit table is missing: fixes cannot be recorded, so none is applied."""


@dataclass
class FixReport:
    run_id: uuid.UUID
    dry_run: bool
    before: list[CheckResult]
    after: list[CheckResult]
    fixes: list[FixOutcome] = field(default_factory=list)


@contextmanager
def full_scan(enabled: bool = True):
    """Inside the block, the ledger check re-sums every entry (``--full``)."""
    token = FULL_SCAN.set(enabled)
    try:
        yield
    finally:
        FULL_SCAN.reset(token)


def _selected(names: list[str] | None) -> list[Check]:
    if names is None:
        return list(REGISTRY.values())
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [check for name, check in REGISTRY.items() if name in names]


# Migrations that only add columns and tables a fix writes (no constraint): a database
# from before the constraints takes them first, then --fix, then the rest of migrate.
SCHEMA_FIRST = (
    ("characters", "0004_character_version"),
    ("game", "0004_memberships_awards_withdrawals"),
)


def _require_schema(existing: set[str]) -> None:
    """Refuse to write before the audit table and the columns fixes write exist."""
    if IntegrityFix._meta.db_table not in existing:
        raise FixUnavailable(
            f"--fix records every change in {IntegrityFix._meta.db_table}, which does not "
            "exist yet: run `python manage.py migrate core` first (it adds no constraint)."
        )
    applied = MigrationRecorder(connection).applied_migrations()
    missing = [f"{app} {name}" for app, name in SCHEMA_FIRST if (app, name) not in applied]
    if missing:
        steps = " and ".join(f"`python manage.py migrate {m}`" for m in missing)
        raise FixUnavailable(
            f"--fix writes columns that this release adds: run {steps} first (they add "
            "columns and tables only, no constraint), then --fix again."
        )


def _missing(tables: tuple[str, ...], existing: set[str]) -> str | None:
    absent = [t for t in tables if t not in existing]
    if not absent:
        return None
    return f"table {', '.join(absent)} does not exist yet (run migrate)"


def run_checks(names: list[str] | None = None, *, examples: int = 0) -> list[CheckResult]:
    """Run the named checks (all by default), in registry order.

    ``examples``: how many offending rows to describe per failed check (0: none).
    Raises ``KeyError`` naming any unknown check.
    """
    checks = _selected(names)
    existing = set(connection.introspection.table_names())
    figures: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    shared = defaultdict(list)
    for check in checks:
        reason = _missing(check.tables, existing)
        if reason:
            skipped[check.name] = reason
        elif check.model is not None:
            shared[check.model].append(check)
        else:
            figures[check.name] = check.count(existing)
    for model, group in shared.items():
        aggregates = {k: v for check in group for k, v in check.aggregates().items()}
        values = model._base_manager.aggregate(**aggregates)
        for check in group:
            figures[check.name] = values
    results = []
    for check in checks:
        if check.name in skipped:
            results.append(
                CheckResult(
                    check.name, check.title, None, check.fixable, skipped=skipped[check.name]
                )
            )
            continue
        result = check.result(figures[check.name])
        if examples and result.count:
            found, shown = check.examples(examples)
            result.examples = found
            result.more = result.count - shown
        results.append(result)
    return results


def apply_fixes(
    names: list[str] | None = None, *, dry_run: bool = False, examples: int = 0
) -> FixReport:
    """Fix every fixable violation among the named checks, in one transaction.

    Every changed value is recorded as an ``IntegrityFix`` row sharing the run's id.
    ``dry_run`` performs the very same work and rolls it back, so it shows exactly what
    a real run would change and writes nothing; it also reports the state before (a
    real run reports only the state after). Raises ``FixInProgress`` when another run
    holds the lock (PostgreSQL) and ``FixUnavailable`` without the audit table.
    """
    checks = [c for c in _selected(names) if c.fixable]
    existing = set(connection.introspection.table_names())
    _require_schema(existing)
    for attempt in (1, 2):
        try:
            return _apply_fixes(checks, names, existing, dry_run=dry_run, examples=examples)
        except OperationalError as error:
            reason = RETRYABLE.get(str(getattr(error.__cause__, "pgcode", "")))
            if reason is None:
                raise
            if attempt == 2:
                raise FixConflict(
                    f"--fix met {reason} with a concurrent XP operation twice in a row and "
                    "stopped; nothing was applied. Run it again (quieter moments help)."
                ) from error
    raise AssertionError("unreachable")


def _apply_fixes(checks, names, existing, *, dry_run: bool, examples: int) -> FixReport:
    log = FixLog(uuid.uuid4(), examples)
    with transaction.atomic():
        _lock()
        before = run_checks(names, examples=examples) if dry_run else []
        outcomes = {c.name: FixOutcome(c.name, c.title) for c in checks}
        runnable = []
        for check in checks:
            reason = _missing(check.tables, existing) or _missing(check.fix_tables, existing)
            if reason:
                outcomes[check.name].skipped = reason
            else:
                runnable.append(check)
        for group in _fix_groups(runnable):
            _fix_group(group, log, outcomes)
        after = run_checks(names, examples=examples)
        if dry_run:
            transaction.set_rollback(True)
    failing = {r.name for r in after if r.count}
    fixes = [o for o in outcomes.values() if o.changes or (o.skipped and o.name in failing)]
    return FixReport(log.run_id, dry_run, before, after, fixes)


@dataclass
class Settlement:
    """An operator's decision on drifted balances, applied (or previewed)."""

    run_id: uuid.UUID
    keep: str
    dry_run: bool
    outcome: FixOutcome
    not_drifting: list[int]
    after: list[CheckResult]
    # The xp_ledger check before the decision: read by a dry run only (the state now).
    before: list[CheckResult] = field(default_factory=list)


def settle_balances(
    character_ids: list[int], *, keep: str, reason: str, dry_run: bool = False, examples: int = 0
) -> Settlement:
    """Resolve characters whose balance drifted from their ledger, as an operator decided.

    ``keep="balance"`` accepts each balance (an adjustment entry records the difference);
    ``keep="ledger"`` restores each balance to its ledger sum. Audited like any fix, under
    the same lock; ``dry_run`` shows the changes and writes nothing, and also reports
    the state before (as ``apply_fixes`` does).
    """
    if keep not in ("balance", "ledger"):
        raise ValueError(f"keep must be 'balance' or 'ledger', not {keep!r}")
    _require_schema(set(connection.introspection.table_names()))
    log = FixLog(uuid.uuid4(), examples)
    check = REGISTRY["xp_ledger"]
    outcome = FixOutcome(check.name, check.title)
    with transaction.atomic():
        _lock()
        before = run_checks([check.name], examples=examples) if dry_run else []
        not_drifting = settle(character_ids, keep=keep, reason=reason, log=log, outcome=outcome)
        after = run_checks([check.name], examples=examples)
        if dry_run:
            transaction.set_rollback(True)
    return Settlement(log.run_id, keep, dry_run, outcome, not_drifting, after, before)


def _fix_groups(checks: list[Check]) -> list[list[Check]]:
    """Checks in registry order; field checks on one model share a single scan.

    A group sits at the place of its first member, which keeps the order the XP fixes
    depend on (negative_xp before xp_ledger before pending_spends_inactive).
    """
    groups: list[list[Check]] = []
    by_model: dict = {}
    for check in checks:
        if isinstance(check, FieldCheck):
            if check.model not in by_model:
                by_model[check.model] = []
                groups.append(by_model[check.model])
            by_model[check.model].append(check)
        else:
            groups.append([check])
    return groups


def _fix_group(group: list[Check], log: FixLog, outcomes: dict[str, FixOutcome]) -> None:
    """Fix one group. Several field checks on one model read the table once: one pass
    finds the rows breaking any of them, and each check fixes its own among them."""
    if len(group) == 1:
        group[0].fix(log, outcomes[group[0].name])
        return
    candidates = group[0].model._base_manager.filter(any_of(c.violation() for c in group))
    for within in id_batches(candidates):
        for check in group:
            cast(FieldCheck, check).fix(log, outcomes[check.name], within=within)


def _lock() -> None:
    """Refuse to run beside another fix (PostgreSQL; the lock ends with the transaction),
    and bound every row-lock wait of this transaction by ``TG_FIX_LOCK_TIMEOUT_SECONDS``."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [FIX_LOCK_KEY])
        if cursor.fetchone()[0]:
            timeout = int(settings.TG_FIX_LOCK_TIMEOUT_SECONDS or 30) * 1000
            cursor.execute(f"SET LOCAL lock_timeout = {timeout}")
            return
        holder = advisory_lock_holder(cursor, FIX_LOCK_KEY)
    who = f" (PostgreSQL backend pid {holder})" if holder else ""
    raise FixInProgress(
        f"Another validate_data_integrity --fix is running{who}; nothing was changed. "
        "Run it again once that one has finished."
    )
