from django.db import migrations, models


class Migration(migrations.Migration):
    """At most one Pending request per character and trait; Withdrawn and Reversed are valid.

    Like 0003, constraints only: ``validate_data_integrity --fix`` first denies and refunds
    duplicate Pending requests (check ``duplicate_pending``); migrating back to 0004
    removes these constraints and keeps every row.
    """

    dependencies = [
        ("game", "0003_validation_constraints"),
        ("game", "0004_memberships_awards_withdrawals"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="xpspendingrequest",
            name="game_xpspendingrequest_status_valid",
        ),
        migrations.AddConstraint(
            model_name="xpspendingrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["Pending", "Approved", "Denied", "Withdrawn", "Reversed"])
                ),
                name="game_xpspendingrequest_status_valid",
                violation_error_message=(
                    "Status must be Pending, Approved, Denied, Withdrawn or Reversed."
                ),
            ),
        ),
        migrations.AddConstraint(
            model_name="xpspendingrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "Pending")),
                fields=("character", "trait_name"),
                name="game_xpspendingrequest_one_pending_per_trait",
                violation_error_message="This trait already has a pending XP request.",
            ),
        ),
    ]
