from django.db import migrations

FUNCTION = """
CREATE FUNCTION game_xpledgerentry_append_only() RETURNS trigger AS $$
BEGIN
    IF current_setting('tg.ledger_repair', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the XP ledger is append-only: % of entry % refused', TG_OP, OLD.id
        USING HINT = 'Correct XP with a new entry (add_xp, a reversal); a repair by hand '
                     'uses game.ledger.ledger_repair() (docs/xp.md).';
END
$$ LANGUAGE plpgsql
"""
TRIGGER = """
CREATE TRIGGER game_xpledgerentry_append_only
BEFORE UPDATE OR DELETE ON game_xpledgerentry
FOR EACH ROW EXECUTE FUNCTION game_xpledgerentry_append_only()
"""
DROP = [
    "DROP TRIGGER IF EXISTS game_xpledgerentry_append_only ON game_xpledgerentry",
    "DROP FUNCTION IF EXISTS game_xpledgerentry_append_only()",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)  # no placeholders: % is plpgsql's
        schema_editor.execute(TRIGGER, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    """The XP ledger becomes append-only (PostgreSQL): UPDATE and DELETE of an entry are
    refused, except inside ``game.ledger.ledger_repair()``. Reversible."""

    dependencies = [("game", "0007_storytellerchange_constraints")]

    operations = [migrations.RunPython(create, drop)]
