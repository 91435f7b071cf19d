"""Field and constraint factories driven by the trait specs in ``characters.traits``."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


def range_validators(minimum: int, maximum: int):
    return [MinValueValidator(minimum), MaxValueValidator(maximum)]


def trait_field(spec) -> models.SmallIntegerField:
    """The model field for a rated trait: an integer with its default and range validators."""
    return models.SmallIntegerField(
        default=spec.default,
        validators=range_validators(spec.minimum, spec.maximum),
        help_text=f"{spec.minimum}–{spec.maximum}",
    )


def range_constraint(table: str, field: str, minimum: int, maximum: int, *, nullable=False):
    """``CHECK (field BETWEEN minimum AND maximum)`` named ``<table>_<field>_range``."""
    condition = Q(**{f"{field}__gte": minimum, f"{field}__lte": maximum})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    label = field.replace("_", " ").capitalize()
    return models.CheckConstraint(
        condition=condition,
        name=f"{table}_{field}_range",
        violation_error_message=f"{label} must be between {minimum} and {maximum}.",
    )
