"""Checks on the character tables: XP sign, status, and every rated trait and age.

The trait checks read their fields and ranges from ``characters.traits`` and share one
aggregate query over ``characters_human``; the XP and status checks share one over
``characters_character``. Each fix selects the offending rows with the new values
computed by the database (the same expressions the UPDATE then uses), audits every
changed value and updates only those rows.
"""

from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Least
from django.utils import timezone

from characters.models import Character, Human, Status, ledgered_xp, status_repair
from characters.traits import (
    ABILITIES,
    AGE,
    APPARENT_AGE,
    ATTRIBUTES,
    TEMPORARY_WILLPOWER,
    WILLPOWER,
)
from game.models import XPLedgerEntry
from game.operations.ledger import record_adjustments
from oversight.integrity.base import FieldCheck, FixLog, FixOutcome, clamp, id_batches, outside

CHARACTER_TABLE = Character._meta.db_table
HUMAN_TABLE = Human._meta.db_table
LEDGER_TABLE = XPLedgerEntry._meta.db_table


def _range_label(specs) -> str:
    bounds = {(s.minimum, s.maximum) for s in specs}
    return ", ".join(f"{lo}–{hi}" for lo, hi in sorted(bounds))


class TraitRangeCheck(FieldCheck):
    model = Human
    tables = (HUMAN_TABLE, CHARACTER_TABLE)
    specs: tuple = ()

    def rules(self):
        return {
            s.name: (outside(s.name, s.minimum, s.maximum), clamp(s.name, s.minimum, s.maximum))
            for s in self.specs
        }


class AttributeRange(TraitRangeCheck):
    name = "attribute_range"
    specs = ATTRIBUTES
    title = f"Characters with attributes out of range ({_range_label(ATTRIBUTES)})"
    fix_description = "clamped into its range"


class AbilityRange(TraitRangeCheck):
    name = "ability_range"
    specs = ABILITIES
    title = f"Characters with abilities out of range ({_range_label(ABILITIES)})"
    fix_description = "clamped into its range"


class Willpower(FieldCheck):
    name = "willpower"
    model = Human
    tables = (HUMAN_TABLE, CHARACTER_TABLE)
    title = (
        f"Characters with willpower out of range ({WILLPOWER.minimum}–{WILLPOWER.maximum}, "
        f"temporary {TEMPORARY_WILLPOWER.minimum}–{TEMPORARY_WILLPOWER.maximum} "
        "and not above permanent)"
    )
    fix_description = "clamped into its range, temporary lowered to permanent"

    def rules(self):
        permanent, temporary = WILLPOWER, TEMPORARY_WILLPOWER
        new_permanent = clamp(permanent.name, permanent.minimum, permanent.maximum)
        return {
            permanent.name: (
                outside(permanent.name, permanent.minimum, permanent.maximum),
                new_permanent,
            ),
            temporary.name: (
                outside(temporary.name, temporary.minimum, temporary.maximum)
                | Q(**{f"{temporary.name}__gt": F(permanent.name)}),
                Least(clamp(temporary.name, temporary.minimum, temporary.maximum), new_permanent),
            ),
        }


class Age(FieldCheck):
    name = "age"
    model = Human
    tables = (HUMAN_TABLE, CHARACTER_TABLE)
    title = (
        f"Characters with age out of range ({AGE.minimum}–{AGE.maximum}, "
        f"apparent {APPARENT_AGE.minimum}–{APPARENT_AGE.maximum})"
    )
    fix_description = "below the minimum emptied, above the maximum lowered to it"

    def rules(self):
        return {
            spec.name: (
                outside(spec.name, spec.minimum, spec.maximum),
                Case(
                    When(**{f"{spec.name}__lt": spec.minimum}, then=Value(None)),
                    When(**{f"{spec.name}__gt": spec.maximum}, then=Value(spec.maximum)),
                    default=F(spec.name),
                    output_field=IntegerField(),
                ),
            )
            for spec in (AGE, APPARENT_AGE)
        }


class InvalidStatus(FieldCheck):
    name = "invalid_status"
    model = Character
    tables = (CHARACTER_TABLE,)
    title = f"Characters with a status outside {', '.join(Status.values)}"
    fix_description = f"set to {Status.UNFINISHED.label} ({Status.UNFINISHED.value})"

    def rules(self):
        return {"status": (~Q(status__in=Status.values), Value(Status.UNFINISHED.value))}

    def apply(self, ids, updates):
        # The one documented bypass of the state machine: an unknown status has no
        # allowed transitions to check.
        with status_repair():
            Character.objects.filter(pk__in=ids).update(**updates, updated_at=timezone.now())


class NegativeXP(FieldCheck):
    """xp < 0 becomes 0. Where the ledger went below zero with it, an adjustment entry
    brings the ledger to 0 too, so balance and ledger stay in step; a ledger that was not
    negative gets no entry (the balance drifted, and 0 is closer to the ledger's record)."""

    name = "negative_xp"
    model = Character
    tables = (CHARACTER_TABLE,)
    fix_tables = (LEDGER_TABLE,)
    title = "Characters with negative XP"
    fix_description = "set to 0; a negative ledger is brought to 0 by an adjustment entry"

    def rules(self):
        return {"xp": (Q(xp__lt=0), Value(0))}

    def fix(self, log: FixLog, outcome: FixOutcome, within: list[int] | None = None) -> None:
        if within is None:
            for batch in id_batches(Character.objects.filter(self.violation())):
                self.fix(log, outcome, within=batch)
            return
        # Re-read under the row lock every XP operation takes first, so that no
        # concurrent award or spend slips between the reading and the writing.
        self.lock(within)
        rows = list(self._offenders(within))
        if not rows:
            return
        ids = [row["pk"] for row in rows]
        ledgers = dict(
            XPLedgerEntry.objects.filter(character_id__in=ids)
            .values("character_id")
            .annotate(total=Sum("amount"))
            .values_list("character_id", "total")
        )
        by = log.repair_user()
        negative = [row for row in rows if ledgers.get(row["pk"], 0) < 0]
        entries = record_adjustments(
            [
                (
                    row["pk"],
                    -ledgers[row["pk"]],
                    f"Integrity repair {log.run_id}: negative XP {row['xp']} set to 0",
                )
                for row in negative
            ],
            by=by,
        )
        entry_of = {entry.character_id: entry for entry in entries}
        rules = self.rules()
        changes = []
        for row in rows:
            [change] = self._changes(row, rules)
            entry = entry_of.get(row["pk"])
            change["note"] = f"{row['name']}: set to 0" + (
                f", ledger entry #{entry.pk} {entry.amount:+d}" if entry else ""
            )
            changes.append(change)
        log.record(outcome, changes, rows=len(ids))
        # The balance goes to 0 with its adjustment entry (or towards the ledger it
        # drifted from): a ledgered write, like the XP operations'.
        with ledgered_xp():
            self.apply(ids, self.repaired())
