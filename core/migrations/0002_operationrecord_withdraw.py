from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="operationrecord",
            name="operation",
            field=models.CharField(
                choices=[
                    ("xp_spend", "XP spend"),
                    ("xp_withdraw", "XP withdraw"),
                    ("xp_approve", "XP approve"),
                    ("xp_deny", "XP deny"),
                    ("xp_reverse", "XP reverse approval"),
                    ("xp_adjust", "XP adjustment"),
                    ("scene_award", "Scene XP award"),
                ],
                max_length=20,
            ),
        ),
    ]
