from django.db import migrations, models


class Migration(migrations.Migration):
    """A version every write of a character bumps (optimistic concurrency).

    It depends on 0002, not on the constraints of 0003, so that a database from before
    the constraints can take it first: ``validate_data_integrity --fix`` writes it.
    0005 joins the two branches.
    """

    dependencies = [
        ("characters", "0002_character_chronicle_owner"),
    ]

    operations = [
        migrations.AddField(
            model_name="character",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                help_text="Bumped by every write of the character; a save of an older copy is refused.",
            ),
        ),
    ]
