import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import game.models


def set_finished_at(apps, schema_editor):
    """Finished scenes without ``finished_at``: the award time, else the day played, else
    the moment the scene was created (the best record there is)."""
    from django.db.models import F
    from django.db.models.functions import Cast, Coalesce

    Scene = apps.get_model("game", "Scene")
    Scene.objects.filter(finished=True, finished_at__isnull=True).update(
        finished_at=Coalesce(
            F("xp_awarded_at"),
            Cast("date_played", models.DateTimeField()),
            F("created_at"),
        )
    )


class Migration(migrations.Migration):
    """Chronicle memberships and invitations, who awarded a scene, withdrawn and storyteller-priced
    requests, self-decisions; XP history protects its character from deletion.

    Columns and tables only, after 0002 rather than the constraints of 0003, so that a
    database from before the constraints can take it first (``--fix`` writes these
    columns). 0005 adds this release's constraints and joins the two branches.
    """

    dependencies = [
        ("characters", "0002_character_chronicle_owner"),
        ("game", "0002_gamelines"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ChronicleMembership",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("joined_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["chronicle", "user"],
            },
        ),
        migrations.AddField(
            model_name="scene",
            name="xp_awarded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="XP awarded by",
            ),
        ),
        migrations.AddField(
            model_name="xpledgerentry",
            name="self_decided",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="Written by the character's own player acting as storyteller (only when TG_ALLOW_SELF_DECISIONS is on).",
            ),
        ),
        migrations.AddField(
            model_name="xpspendingrequest",
            name="price_set_by",
            field=models.ForeignKey(
                blank=True,
                help_text="The storyteller who agreed a price other than tg's cost rule, if any.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="xpspendingrequest",
            name="self_decided",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="Decided by the character's own player acting as storyteller (only when TG_ALLOW_SELF_DECISIONS is on).",
            ),
        ),
        migrations.AlterField(
            model_name="xpledgerentry",
            name="character",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="xp_entries",
                to="characters.character",
            ),
        ),
        migrations.AlterField(
            model_name="xpspendingrequest",
            name="character",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="xp_requests",
                to="characters.character",
            ),
        ),
        migrations.AlterField(
            model_name="xpspendingrequest",
            name="status",
            field=models.CharField(
                choices=[
                    ("Pending", "Pending"),
                    ("Approved", "Approved"),
                    ("Denied", "Denied"),
                    ("Withdrawn", "Withdrawn"),
                    ("Reversed", "Reversed"),
                ],
                db_index=True,
                default="Pending",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="chroniclemembership",
            name="chronicle",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="memberships",
                to="game.chronicle",
            ),
        ),
        migrations.AddField(
            model_name="chroniclemembership",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="chronicle_memberships",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="chroniclemembership",
            constraint=models.UniqueConstraint(
                fields=("user", "chronicle"),
                name="game_chroniclemembership_user_chronicle_unique",
                violation_error_message="This user is already a member of this chronicle.",
            ),
        ),
        migrations.CreateModel(
            name="Invitation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "token",
                    models.CharField(
                        default=game.models._invitation_token, max_length=64, unique=True
                    ),
                ),
                (
                    "note",
                    models.CharField(
                        blank=True,
                        help_text="Who it is for (only storytellers see it).",
                        max_length=200,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField(default=game.models._invitation_expiry)),
                ("used_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "chronicle",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="invitations",
                        to="game.chronicle",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "used_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.RunPython(set_finished_at, migrations.RunPython.noop),
    ]
