import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_operators_group"),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerCheckpoint",
            fields=[
                ("character_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("total", models.BigIntegerField()),
                ("entries", models.IntegerField()),
                (
                    "through_entry",
                    models.BigIntegerField(help_text="The last ledger entry id it covers"),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["character_id"],
            },
        ),
    ]
