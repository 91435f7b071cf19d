"""What tg's operator commands (``validate_data_integrity``, ``monitor_validation``) share:
their exit statuses and their refusals, each one line on stderr.

Exit status 0 and 1 are the command's verdict; 2 is "could not check". Every exit 2 is
one line starting with ``CommandError:``, never a traceback and never argparse's usage
block, so that a deploy gate or a cron log can tell "bad data" from "did not look":

- ``OperatorCommand`` makes a mistyped option one line (``unknown option --foo; see
  manage.py validate_data_integrity --help.``) instead of the whole usage;
- ``database_refusals()`` makes a database that refuses a statement (``permission denied
  for table …``, a table that is missing, a server gone mid-run) one line naming the
  driver's reason.
"""

from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

EXIT_COULD_NOT_CHECK = 2
UNRECOGNIZED = "unrecognized arguments: "


def usage_line(message: str) -> str:
    """argparse's complaint in tg's words: ``unknown option --foo`` for an option that
    does not exist (its ``=value`` left out), argparse's own text for anything else."""
    if not message.startswith(UNRECOGNIZED):
        return " ".join(message.split())
    words = message[len(UNRECOGNIZED) :].split()
    options = [word.split("=", 1)[0] for word in words if word.startswith("-")]
    others = [word for word in words if not word.startswith("-")]
    parts = []
    if options:
        parts.append(f"unknown option{'s' if len(options) > 1 else ''} {', '.join(options)}")
    if others:
        parts.append(f"unexpected argument{'s' if len(others) > 1 else ''} {', '.join(others)}")
    return "; ".join(parts)


class OneLineUsageParser(CommandParser):
    """A ``CommandParser`` whose usage errors are one line and exit status 2."""

    def error(self, message):
        prog = self.prog.split()  # "manage.py NAME"; only NAME through call_command
        command = " ".join(prog if len(prog) > 1 else ["manage.py", *prog])
        line = f"{usage_line(message)}; see {command} --help."
        if self.called_from_command_line:
            self.exit(EXIT_COULD_NOT_CHECK, f"CommandError: {line}\n")
        raise CommandError(line, returncode=EXIT_COULD_NOT_CHECK)


class OperatorCommand(BaseCommand):
    """Base of tg's operator commands: a usage error is one line (see the module)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django builds a CommandParser; give it the one-line error (same fields).
        parser.__class__ = OneLineUsageParser
        return parser


def database_reason(error: DatabaseError) -> str:
    """The driver's message, first line only (PostgreSQL adds the statement and a caret)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


@contextmanager
def database_refusals(doing: str = "read the database"):
    """Inside the block, a ``DatabaseError`` is exit 2 with the one line
    ``cannot <doing>: <the driver's reason>``."""
    try:
        yield
    except DatabaseError as error:
        raise CommandError(
            f"cannot {doing}: {database_reason(error)}", returncode=EXIT_COULD_NOT_CHECK
        ) from None
