from django.db import migrations


class Migration(migrations.Migration):
    """Joins the constraints (0003) and the version column (0004); changes nothing."""

    dependencies = [
        ("characters", "0003_validation_constraints"),
        ("characters", "0004_character_version"),
    ]

    operations = []
