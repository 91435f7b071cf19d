"""Template helpers for sheets: ratings drawn as dots that also read as text."""

from django import template
from django.core.exceptions import FieldDoesNotExist

register = template.Library()


@register.inclusion_tag("includes/dots.html")
def dots(value, maximum, label="", new=None, full=False):
    """``Strength ●●●○○`` with "Strength 3 of 10" for screen readers.

    ``new`` marks the dot a request would add (current → new). As on the paper sheet, 5
    dots are drawn unless the rating (or the one asked for) is above 5 or ``full`` is
    set (willpower's 10); then every dot up to ``maximum``.
    """
    value = value or 0
    drawn = maximum if full or max(value, new or 0) > 5 else min(5, maximum)
    marks = []
    for n in range(1, drawn + 1):
        if n <= value:
            marks.append("filled")
        elif new is not None and n <= new:
            marks.append("new")
        else:
            marks.append("")
    text = f"{label} {value} of {maximum}".strip()
    if new is not None:
        text = f"{label} {value} → {new} of {maximum}".strip()
    return {"marks": marks, "text": text}


@register.filter
def change_text(change) -> str:
    """A history row for people: "Alertness: 2 → 3", "Status: Submitted → Approved"."""
    from characters.models import Human, Status, status_label

    def shown(value):
        if value is None or value == "":
            return "—"
        if change.field == "status" and value in Status.values:
            return status_label(value)
        return value

    try:
        field = Human._meta.get_field(change.field)
        label = str(getattr(field, "verbose_name", change.field)).capitalize()
    except FieldDoesNotExist:  # a field since removed: show its name as stored
        label = change.field
    return f"{label}: {shown(change.old)} → {shown(change.new)}"
