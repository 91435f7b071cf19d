"""How an operation's refusal reads as one line (pages and batch summaries)."""

from django.core.exceptions import PermissionDenied, ValidationError


def error_text(error: ValidationError | PermissionDenied) -> str:
    """What a refusal says, as one line."""
    return " ".join(getattr(error, "messages", None) or [str(error)])
