from django.db import migrations, models


class Migration(migrations.Migration):
    """Joins the validation constraints (0005) and the storyteller record (0006), and adds
    the record's check constraint: a validation constraint, rolled back with the others."""

    dependencies = [
        ("game", "0005_spend_request_constraints"),
        ("game", "0006_storytellerchange"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="storytellerchange",
            constraint=models.CheckConstraint(
                condition=models.Q(("action__in", ["added", "removed", "head_transferred"])),
                name="game_storytellerchange_action_valid",
                violation_error_message="Action must be added, removed or head_transferred.",
            ),
        ),
    ]
