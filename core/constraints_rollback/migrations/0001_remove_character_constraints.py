"""Remove the CHECK constraints of the characters' rules; unapplying adds them back.

Which constraints: every one ``characters.models.human.human_constraints()`` derives
from the trait specs (ranges of the attributes, abilities, willpower and ages, temporary
willpower not above permanent), and the Character table's two (XP not negative, a known
status) — the rules a game may find too strict. The constraints of the game tables stay:
one award per scene and character, one spend and one refund per request, one pending
request per dot, the ledger entries' shapes. They back up the XP operations, which keep
their transactions and row locks whatever this migration does.

The migration state is not changed (the models still declare the constraints, so
``makemigrations`` sees nothing to do); only the database loses them. Adding them back
checks every row: it fails, whole, while a row breaks a rule — run
``validate_data_integrity --fix`` first.
"""

from django.db import migrations

from characters.models import Character
from characters.models.human import human_constraints

REMOVED = {
    "character": [constraint.name for constraint in Character._meta.constraints],
    "human": [constraint.name for constraint in human_constraints()],
}


def _constraints(apps):
    """(model, constraint) for every removed constraint, from the migration state."""
    for model_name, names in REMOVED.items():
        model = apps.get_model("characters", model_name)
        declared = {constraint.name: constraint for constraint in model._meta.constraints}
        for name in names:
            yield model, declared[name]


def remove(apps, schema_editor):
    for model, constraint in _constraints(apps):
        schema_editor.remove_constraint(model, constraint)


def add_back(apps, schema_editor):
    for model, constraint in _constraints(apps):
        schema_editor.add_constraint(model, constraint)


class Migration(migrations.Migration):
    dependencies = [("characters", "__latest__")]

    operations = [migrations.RunPython(remove, add_back, elidable=False)]
