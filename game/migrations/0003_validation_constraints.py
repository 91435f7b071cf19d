from django.db import migrations, models


class Migration(migrations.Migration):
    """Validation constraints, kept apart from the tables on purpose.

    Operators check and fix existing data (validate_data_integrity --fix) before this
    migration runs; migrating back to 0002_gamelines removes these constraints and keeps
    every table and row.
    """

    dependencies = [
        ("game", "0002_gamelines"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="scene",
            constraint=models.CheckConstraint(
                condition=models.Q(("xp_given", False), ("finished", True), _connector="OR"),
                name="game_scene_xp_given_requires_finished",
                violation_error_message="Scene XP can only be given once the scene is finished.",
            ),
        ),
        migrations.AddConstraint(
            model_name="strelationship",
            constraint=models.UniqueConstraint(
                fields=("user", "chronicle", "gameline"),
                name="game_strelationship_user_chronicle_gameline_unique",
                violation_error_message="This user is already a storyteller of that game line in this chronicle.",
            ),
        ),
        migrations.AddConstraint(
            model_name="xpspendingrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(("cost__gt", 0)),
                name="game_xpspendingrequest_cost_positive",
                violation_error_message="The XP cost must be positive.",
            ),
        ),
        migrations.AddConstraint(
            model_name="xpspendingrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["Pending", "Approved", "Denied"])),
                name="game_xpspendingrequest_status_valid",
                violation_error_message="Status must be Pending, Approved or Denied.",
            ),
        ),
        migrations.AddConstraint(
            model_name="xpspendingrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("decided_at__isnull", True),
                        ("decided_by__isnull", True),
                        ("status", "Pending"),
                    ),
                    models.Q(
                        models.Q(("status", "Pending"), _negated=True),
                        ("decided_at__isnull", False),
                        ("decided_by__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="game_xpspendingrequest_decided_fields_decided",
                violation_error_message="A decided request records when and by whom; a pending one records neither.",
            ),
        ),
        migrations.AddConstraint(
            model_name="xpledgerentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount", 0), _negated=True),
                name="game_xpledgerentry_amount_nonzero",
                violation_error_message="A ledger entry must change XP.",
            ),
        ),
        migrations.AddConstraint(
            model_name="xpledgerentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["award", "spend", "refund", "adjustment"])),
                name="game_xpledgerentry_kind_valid",
                violation_error_message="Kind must be award, spend, refund or adjustment.",
            ),
        ),
        migrations.AddConstraint(
            model_name="xpledgerentry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("kind", "adjustment"),
                    models.Q(
                        ("amount__lt", 0), ("kind", "spend"), ("spend_request__isnull", False)
                    ),
                    models.Q(
                        ("amount__gt", 0), ("kind", "refund"), ("spend_request__isnull", False)
                    ),
                    models.Q(("amount__gt", 0), ("kind", "award"), ("scene__isnull", False)),
                    _connector="OR",
                ),
                name="game_xpledgerentry_kind_shape",
                violation_error_message="Spends are negative and name their request, refunds are positive and name their request, awards are positive and name their scene.",
            ),
        ),
        migrations.AddConstraint(
            model_name="xpledgerentry",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "award")),
                fields=("scene", "character"),
                name="game_xpledgerentry_award_once_per_scene",
                violation_error_message="This character already received XP for this scene.",
            ),
        ),
        migrations.AddConstraint(
            model_name="xpledgerentry",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "spend")),
                fields=("spend_request",),
                name="game_xpledgerentry_spend_once_per_request",
                violation_error_message="This request already has its spend entry.",
            ),
        ),
        migrations.AddConstraint(
            model_name="xpledgerentry",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "refund")),
                fields=("spend_request",),
                name="game_xpledgerentry_refund_once_per_request",
                violation_error_message="This request was already refunded.",
            ),
        ),
    ]
