"""Is this database tg's at all? A wrong ``DATABASE_URL`` must not read as "all clear".

A database with none of tg's tables (never migrated, or another application's) makes
every integrity check "skipped" and every count zero: the commands refuse it instead,
naming the database they were pointed at. A database with some of the tables (before
the validation migrations) is a supported state and is not refused here.
"""

from django.apps import apps
from django.db import connection

TG_APPS = ("characters", "game", "core")


def tg_tables() -> set[str]:
    """The tables of tg's own models."""
    return {
        model._meta.db_table
        for label in TG_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model._meta.managed
    }


def database_label() -> str:
    """Where the connection points, without credentials: ``postgresql://host:port/name``
    or the SQLite file."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return str(db["NAME"])
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"{connection.vendor}://{host}{port}/{db['NAME']}"


def no_tg_tables_message() -> str | None:
    """The one-line refusal when none of tg's tables exist; None when some do."""
    if tg_tables() & set(connection.introspection.table_names()):
        return None
    return f"no tg tables in {database_label()} — is DATABASE_URL right? run migrate"
