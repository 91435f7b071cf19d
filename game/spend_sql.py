"""The SQL of ``spend_xp``, the hottest XP operation, compiled once.

Building an ORM query costs more CPU than PostgreSQL spends running it (about
0.4–0.9 ms per statement on our machines, against 0.05 ms for the round trip), and
a spend is four statements. Here those statements are generated once per trait from
the models' metadata (table and column names are never typed) and executed on the
connection's cursor with parameters. Everything else keeps using the ORM;
``docs/performance.md`` has the measurements that justify this file.
"""

from functools import cache

from django.db import connection

from characters.models import Character, Human

from .models import LedgerKind, SpendStatus, XPLedgerEntry, XPSpendingRequest


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(model, names):
    return [model._meta.get_field(n).column for n in names]


@cache
def lock_sql(trait_name: str, vendor: str, for_update_of: bool) -> str:
    """Lock the character row; return status, xp, name and the trait's rating."""
    c, h = Character._meta, Human._meta
    status, xp, name = (_q(col) for col in _columns(Character, ["status", "xp", "name"]))
    trait = _q(h.get_field(trait_name).column)
    sql = (
        f"SELECT c.{status}, c.{xp}, c.{name}, h.{trait} "
        f"FROM {_q(c.db_table)} c JOIN {_q(h.db_table)} h "
        f"ON h.{_q(h.pk.column)} = c.{_q(c.pk.column)} "
        f"WHERE c.{_q(c.pk.column)} = %s"
    )
    if vendor != "sqlite":
        sql += " FOR UPDATE OF c" if for_update_of else " FOR UPDATE"
    return sql


@cache
def _deduct_sql() -> str:
    c = Character._meta
    xp, updated = (_q(col) for col in _columns(Character, ["xp", "updated_at"]))
    return (
        f"UPDATE {_q(c.db_table)} SET {xp} = {xp} - %s, {updated} = %s WHERE {_q(c.pk.column)} = %s"
    )


REQUEST_FIELDS = (
    "character_id",
    "trait_name",
    "trait_display",
    "category",
    "current_value",
    "new_value",
    "cost",
    "status",
    "created_at",
    "note",
)
LEDGER_FIELDS = (
    "character_id",
    "amount",
    "kind",
    "spend_request_id",
    "created_at",
    "created_by_id",
    "note",
)


@cache
def _insert_sql(model, fields: tuple[str, ...]) -> str:
    columns = ", ".join(_q(col) for col in _columns(model, fields))
    values = ", ".join(["%s"] * len(fields))
    pk = _q(model._meta.pk.column)
    return f"INSERT INTO {_q(model._meta.db_table)} ({columns}) VALUES ({values}) RETURNING {pk}"


def lock_character(character_id: int, trait_name: str):
    """(status, xp, name, rating) of the locked character, or None when it has no row."""
    features = connection.features
    sql = lock_sql(trait_name, connection.vendor, features.has_select_for_update_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, [character_id])
        return cursor.fetchone()


def write_spend(
    *, character_id, owner_id, trait_name, trait_display, category, current, new_value, cost, now
) -> XPSpendingRequest:
    """Deduct, insert the Pending request and its spend entry; return the request."""
    stamp = connection.ops.adapt_datetimefield_value(now)
    request = XPSpendingRequest(
        character_id=character_id,
        trait_name=trait_name,
        trait_display=trait_display,
        category=category,
        current_value=current,
        new_value=new_value,
        cost=cost,
        status=SpendStatus.PENDING,
        created_at=now,
        note="",
    )
    entry = {
        "character_id": character_id,
        "amount": -cost,
        "kind": LedgerKind.SPEND,
        "created_at": stamp,
        "created_by_id": owner_id,
        "note": "",
    }
    with connection.cursor() as cursor:
        cursor.execute(_deduct_sql(), [cost, stamp, character_id])
        cursor.execute(
            _insert_sql(XPSpendingRequest, REQUEST_FIELDS),
            [stamp if f == "created_at" else getattr(request, f) for f in REQUEST_FIELDS],
        )
        request.id = cursor.fetchone()[0]
        entry["spend_request_id"] = request.id
        cursor.execute(_insert_sql(XPLedgerEntry, LEDGER_FIELDS), [entry[f] for f in LEDGER_FIELDS])
    request._state.adding = False
    request._state.db = connection.alias
    return request
