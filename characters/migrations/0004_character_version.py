import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """A version every write of a character bumps (optimistic concurrency), and the
    history of every change of a character (``CharacterChange``).

    It depends on 0002, not on the constraints of 0003, so that a database from before
    the constraints can take it first: ``validate_data_integrity --fix`` writes it.
    0005 joins the two branches.
    """

    dependencies = [
        ("characters", "0002_character_chronicle_owner"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
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
        migrations.CreateModel(
            name="CharacterChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("field", models.CharField(max_length=50)),
                ("old", models.TextField(blank=True, null=True)),
                ("new", models.TextField(blank=True, null=True)),
                (
                    "changed_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                ("reason", models.CharField(blank=True, max_length=500)),
                (
                    "changed_by",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty: tg itself or a script.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "character",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="changes",
                        to="characters.character",
                    ),
                ),
            ],
            options={
                "ordering": ["-changed_at", "-pk"],
                "indexes": [
                    models.Index(
                        fields=["character", "-changed_at"], name="characters__charact_9726f9_idx"
                    )
                ],
            },
        ),
    ]
