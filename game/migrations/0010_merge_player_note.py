# Joins this release's schema branch (the player's note, game 0009) with the constraint
# branch (game 0008), so that the app has one latest migration. No operation.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("game", "0008_ledger_append_only"),
        ("game", "0009_spend_request_player_note"),
    ]

    operations = []
