"""The ``operators`` auth group: its members read the operator pages (/ops/...).

The group carries no model permission: ``game.permissions.is_operator`` asks for
membership by name. Reversing leaves the group and its members in place: who is an
operator is a person's decision, not the schema's, and the group grants nothing once
the pages are gone.
"""

from django.db import migrations

OPERATORS_GROUP = "operators"  # game.permissions.OPERATORS_GROUP, frozen here


def create_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).get_or_create(name=OPERATORS_GROUP)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("core", "0002_operationrecord_withdraw"),
    ]

    operations = [
        migrations.RunPython(create_group, migrations.RunPython.noop, elidable=False),
    ]
