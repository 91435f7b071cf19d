from django.db import migrations

GAMELINES = [
    ("World of Darkness", "wod"),
    ("Vampire: the Masquerade", "vtm"),
    ("Werewolf: the Apocalypse", "wta"),
    ("Mage: the Ascension", "mta"),
    ("Wraith: the Oblivion", "wto"),
    ("Changeling: the Dreaming", "ctd"),
    ("Hunter: the Reckoning", "htr"),
    ("Demon: the Fallen", "dtf"),
    ("Mummy: the Resurrection", "mtr"),
]


def load(apps, schema_editor):
    Gameline = apps.get_model("game", "Gameline")
    for name, short in GAMELINES:
        Gameline.objects.update_or_create(short_name=short, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("game", "0001_initial")]

    # Reversing keeps the rows: storyteller relationships and scenes may point at them.
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
