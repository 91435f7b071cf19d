"""The nineteen abilities, each 0–10, generated from ``characters.traits.ABILITIES``."""

from django.db import models

from characters.traits import ABILITIES
from characters.validation import trait_field


class AbilityBlock(models.Model):
    for _spec in ABILITIES:
        locals()[_spec.name] = trait_field(_spec)
    del _spec

    class Meta:
        abstract = True
