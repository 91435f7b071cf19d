"""The nine attributes, each 1–10, generated from ``characters.traits.ATTRIBUTES``."""

from django.db import models

from characters.traits import ATTRIBUTES
from characters.validation import trait_field


class AttributeBlock(models.Model):
    for _spec in ATTRIBUTES:
        locals()[_spec.name] = trait_field(_spec)
    del _spec

    class Meta:
        abstract = True
