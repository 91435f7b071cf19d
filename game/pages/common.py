"""Small helpers every page module shares."""

from game.operations.errors import error_text

__all__ = ["csv_cell", "error_text"]


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
