"""The building blocks of an integrity check: its result, its fix log and row batching.

A check counts its violations with aggregate queries (the database does the work, the
rows never travel to Python) and, where a safe repair exists, fixes them with set-based
UPDATEs over the offending rows only, writing one ``IntegrityFix`` audit row per changed
value. Offending rows are read and fixed in batches; only their ids are held at once.
"""

import operator
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import reduce
from itertools import islice
from typing import Any, Required, TypedDict, cast
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import Case, Count, F, Model, Q, Value, When
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from core.models import IntegrityFix

BATCH_SIZE = 2000

# The account that decides and records what an unattended repair does (see
# docs/deployment/validation_workflow.md): decided requests must name a decider.
REPAIR_USERNAME = "tg-integrity-repair"


@dataclass
class CheckResult:
    """What one check found. ``count`` is None when the check was skipped."""

    name: str
    title: str
    count: int | None
    fixable: bool
    examples: list["Example"] = field(default_factory=list)
    skipped: str | None = None
    info: dict = field(default_factory=dict)
    more: int = 0
    # How many of ``count`` --fix repairs (None: all of them when fixable, else none).
    fixable_count: int | None = None

    @property
    def repairable(self) -> int:
        if self.fixable_count is not None:
            return self.fixable_count
        return (self.count or 0) if self.fixable else 0

    def as_dict(self) -> "CheckDict":
        """The result as plain data: one shape for the command's JSON, the monitor's
        report and the operator pages."""
        return {
            "name": self.name,
            "title": self.title,
            "count": self.count,
            "fixable": self.fixable,
            "examples": self.examples,
            "more": self.more,
            "skipped": self.skipped,
            "info": self.info,
        }


class Example(TypedDict, total=False):
    """One offending row behind a check, as the reports show it (``render.describe``):
    the row, its wrong value, what --fix makes of it, and a check's own figures."""

    model: Required[str]  # "app_label.ModelName"
    id: Required[int]
    name: Required[str]  # the object's name, for people
    field: str  # the wrong field ("duplicate": a surplus row); none or "": no value shown
    value: object  # the field's value now
    fix: object  # what --fix makes of it, or what a person does
    # A check's own figures (oversight/integrity/game.py), shown after the value:
    ledger: int  # xp_ledger: the balance the ledger sums to
    character_status: str  # pending_spends_inactive
    request: str  # pending_spends_inactive, duplicate_pending: "Strength for 8 XP"
    character_id: int  # lost_dots
    rating: int  # lost_dots: the trait's rating now


EXAMPLE_KEYS = ("model", "id", "name", "field")


class Change(TypedDict, total=False):
    """One changed value, as an audit row and as an example of what a fix does."""

    model: str  # "app_label.ModelName"
    id: int
    name: str  # the object's name, for people
    field: str  # "" for a deleted row
    old: object
    new: object
    note: str


def example_of(change: Change, **replace) -> Example:
    """A change shown as a report example: its value now (``value``) and what --fix makes
    of it (``fix``); ``replace`` overrides fields (e.g. ``field="duplicate"``)."""
    example: dict = {key: value for key, value in change.items() if key in EXAMPLE_KEYS}
    example.update(value=change.get("old"), fix=change.get("new"))
    example.update(replace)
    return cast(Example, example)


class CheckDict(TypedDict):
    name: str
    title: str
    count: int | None
    fixable: bool
    examples: list[Example]
    more: int
    skipped: str | None
    info: dict[str, int]


@dataclass
class FixOutcome:
    """What one check's fix changed: rows, changes per field and the first few changes."""

    name: str
    title: str
    rows: int = 0
    changes: int = 0
    fields: Counter = field(default_factory=Counter)
    examples: list[dict] = field(default_factory=list)
    skipped: str | None = None
    remaining_note: str = ""

    @property
    def more(self) -> int:
        return self.changes - len(self.examples)

    def as_dict(self) -> dict:
        return {
            "check": self.name,
            "rows": self.rows,
            "changes": self.changes,
            "fields": dict(sorted(self.fields.items())),
            "examples": self.examples,
            "more": self.more,
            "skipped": self.skipped,
        }


class FixLog:
    """Writes the audit rows of one run and keeps the figures the command prints."""

    def __init__(self, run_id: UUID, examples: int):
        self.run_id = run_id
        self.examples = examples
        self._repair_user: Any = None

    def record(self, outcome: FixOutcome, changes: list[Change], *, rows: int) -> None:
        """Store ``changes`` (model, id, field, old, new, note) as IntegrityFix rows."""
        IntegrityFix.objects.bulk_create(
            IntegrityFix(
                run_id=self.run_id,
                check_name=outcome.name,
                model=c["model"],
                object_id=c["id"],
                field=c["field"],
                old_value=_text(c["old"]),
                new_value=_text(c["new"]),
                note=c.get("note", "")[:300],
            )
            for c in changes
        )
        outcome.rows += rows
        outcome.changes += len(changes)
        outcome.fields.update(c["field"] for c in changes)
        room = self.examples - len(outcome.examples)
        if room > 0:
            outcome.examples.extend(_public(c) for c in changes[:room])

    def repair_user(self):
        """The inactive account named as decider and author of repair entries."""
        if self._repair_user is None:
            user_model = get_user_model()
            self._repair_user, _ = user_model.objects.get_or_create(
                username=REPAIR_USERNAME,
                defaults={"is_active": False, "password": make_password(None)},
            )
        return self._repair_user


def _text(value) -> str | None:
    return None if value is None else str(value)


def _public(change: Change) -> dict:
    return {k: change[k] for k in ("model", "id", "name", "field", "old", "new") if k in change}


class Check:
    """One integrity rule. Subclasses set the class attributes and implement the hooks.

    ``model``/``violation()``: when set, the check is counted in the one aggregate query
    shared by every check on that model (``Count("pk", filter=violation)``), and
    ``extra_aggregates()`` may add figures to the same query. Checks that cannot be
    expressed as a row filter override ``count()`` instead.
    """

    name: str = ""
    title: str = ""
    fixable: bool = True
    # The model of the shared aggregate (None: the check counts itself). Typed loosely:
    # its managers and _meta are Django's, which the stubs cannot see through a variable.
    model: Any = None
    tables: tuple[str, ...] = ()
    fix_tables: tuple[str, ...] = ()
    # The text that tells an operator what --fix will do (or why it will not).
    fix_description: str = ""

    def violation(self) -> Q:
        raise NotImplementedError

    def aggregates(self) -> dict:
        return {self.name: Count("pk", filter=self.violation())}

    def count(self, existing: set[str]) -> dict:
        """Figures of a check with no shared aggregate (one query); ``existing`` is the set
        of tables the database has (for a check with an optional helper table)."""
        raise NotImplementedError

    def result(self, figures: dict) -> CheckResult:
        return CheckResult(self.name, self.title, figures[self.name], self.fixable)

    def examples(self, limit: int) -> tuple[list[Example], int]:
        """Up to ``limit`` offending rows as example dicts, and how many rows they span."""
        raise NotImplementedError

    def fix(self, log: FixLog, outcome: FixOutcome) -> None:
        """Repair every offending row, recording each change through ``log``."""
        raise NotImplementedError


def outside(name: str, minimum: int, maximum: int) -> Q:
    """Rows whose ``name`` lies outside ``minimum..maximum`` (NULL never matches)."""
    return Q(**{f"{name}__lt": minimum}) | Q(**{f"{name}__gt": maximum})


def any_of(conditions) -> Q:
    return reduce(operator.or_, conditions)


def clamp(name: str, minimum: int, maximum: int):
    return Least(Greatest(F(name), Value(minimum)), Value(maximum))


class FieldCheck(Check):
    """A check over some fields of one model, fixed by one expression per field.

    ``rules()`` gives, per field, the condition that makes it wrong and the expression
    of its repaired value; a row violates the check when any field is wrong.
    """

    def rules(self) -> dict[str, tuple[Q, object]]:
        raise NotImplementedError

    def violation(self) -> Q:
        return any_of(wrong for wrong, _ in self.rules().values())

    def repaired(self) -> dict:
        """Per field, its repaired value where it is wrong and itself elsewhere."""
        return {
            name: Case(
                When(wrong, then=expression),
                default=F(name),
                output_field=self.model._meta.get_field(name),
            )
            for name, (wrong, expression) in self.rules().items()
        }

    def _offenders(self, within: list[int] | None = None):
        """Offending rows with their repaired values, computed by the database."""
        rules = self.rules()
        new = {f"fixed_{name}": expression for name, expression in self.repaired().items()}
        rows = self.model.objects.filter(self.violation())
        if within is not None:
            rows = rows.filter(pk__in=within)
        return rows.annotate(**new).order_by("pk").values("pk", "name", *rules, *new)

    def _changes(self, row: dict, rules: dict) -> list[Change]:
        """The changed values of one offending row, as audit/example dicts."""
        return [
            {
                "model": self.model._meta.label,
                "id": row["pk"],
                "name": row["name"],
                "field": name,
                "old": row[name],
                "new": row[f"fixed_{name}"],
            }
            for name in rules
            if row[name] != row[f"fixed_{name}"]
        ]

    def examples(self, limit: int) -> tuple[list[Example], int]:
        rules = self.rules()
        examples: list[Example] = []
        rows = list(self._offenders()[:limit])
        for row in rows:
            examples.extend(example_of(change) for change in self._changes(row, rules))
        return examples, len(rows)

    def fix(self, log: FixLog, outcome: FixOutcome, within: list[int] | None = None) -> None:
        """Repair the offending rows (only those among ``within`` when given)."""
        if within is None:
            for batch in id_batches(self.model._base_manager.filter(self.violation())):
                self.fix(log, outcome, within=batch)
            return
        rules = self.rules()
        # Lock first (characters in primary-key order, as every XP operation does), then
        # re-read: a row fixed or changed meanwhile is judged on what it is now.
        self.lock(within)
        rows = list(self._offenders(within))
        if not rows:
            return
        ids = [row["pk"] for row in rows]
        changes = [c for row in rows for c in self._changes(row, rules)]
        for change in changes:
            change["note"] = f"{change['name']}: {self.fix_description}"
        log.record(outcome, changes, rows=len(ids))
        self.apply(ids, self.repaired())

    def lock(self, ids: list[int]) -> None:
        """Lock the rows about to be fixed: the character rows for character tables (in
        primary-key order, through the lock every XP operation takes first)."""
        from characters.locks import lock_characters
        from characters.models import Character

        if issubclass(self.model, Character):
            lock_characters(ids)
            return
        list(
            self.model._base_manager.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def apply(self, ids: list[int], updates: dict) -> None:
        if any(f.name == "updated_at" for f in self.model._meta.get_fields()):
            updates = {**updates, "updated_at": timezone.now()}
        self.model.objects.filter(pk__in=ids).update(**updates)


def batches(rows: Iterable, size: int = BATCH_SIZE) -> Iterator[list]:
    """Consume ``rows`` ``size`` at a time."""
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def id_batches(queryset) -> Iterator[list[int]]:
    """The primary keys of ``queryset``, ascending, ``BATCH_SIZE`` at a time.

    One plain query rather than a server-side cursor: PostgreSQL scans a large table in
    parallel for a plain query, never for a cursor (about 2.5× faster here). Only the ids
    of the offending rows are held, a few dozen bytes each; their rows are then read
    and fixed one batch at a time.
    """
    return batches(sorted(queryset.order_by().values_list("pk", flat=True)))


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)
