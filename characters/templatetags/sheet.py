"""Template helpers for sheets: ratings drawn as dots that also read as text."""

from django import template

register = template.Library()


@register.inclusion_tag("includes/dots.html")
def dots(value, maximum, label="", new=None):
    """``Strength ●●●○○○○○○○`` with "Strength 3 of 10" for screen readers.

    ``new`` marks the dot a request would add (current → new).
    """
    value = value or 0
    marks = []
    for n in range(1, maximum + 1):
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
