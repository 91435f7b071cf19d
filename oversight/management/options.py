"""Command-line options shared by tg's operator commands."""

from django.core.management.base import CommandError

MAX_INDENT = 8


def add_indent_argument(parser) -> None:
    parser.add_argument(
        "--indent",
        default="0",
        metavar="N",
        help=f"With --json: indent by N spaces (0 to {MAX_INDENT}) over many lines, for "
        "people. The default, 0, prints one line, as a cron log of one document per line "
        "needs.",
    )


def parse_indent(value: str, *, as_json: bool) -> int | None:
    """``--indent`` as a number of spaces for ``json.dumps`` (``None``: one line); exit 2
    for anything but a whole number from 0 to ``MAX_INDENT``, or without ``--json``."""
    if not (value.isascii() and value.isdigit() and len(value) <= 2 and int(value) <= MAX_INDENT):
        raise CommandError(
            f"--indent must be a whole number of spaces from 0 to {MAX_INDENT}, not {value!r}.",
            returncode=2,
        )
    if int(value) and not as_json:
        raise CommandError("--indent only applies to --json.", returncode=2)
    return int(value) or None
