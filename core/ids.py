"""Ids as people and pages send them: the one parser every page and form uses.

A row id arrives as text (a form field, a query parameter, a hidden input) and may be
anything: empty, ``-1``, ``1e3``, a superscript ``²`` (which ``str.isdigit`` accepts
and ``int`` refuses), or 5,000 digits (beyond ``int``'s limit for strings). None of
these may become a server error: the parser answers ``None`` and the page says what it
did not find.
"""

# The largest PostgreSQL bigint has 19 digits; 18 always fit.
MAX_ID_DIGITS = 18


def parse_id(value: object) -> int | None:
    """The id in ``value`` (1 to 18 ASCII digits, surrounding spaces allowed, not zero),
    or ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not (0 < len(text) <= MAX_ID_DIGITS and text.isascii() and text.isdigit()):
        return None
    return int(text) or None


def parse_ids(values: list[str]) -> list[int]:
    """The ids among ``values`` (a posted list of tick boxes), in order, without repeats;
    what is not an id is left out."""
    ids = (parse_id(value) for value in values)
    return list(dict.fromkeys(pk for pk in ids if pk is not None))


# A version that cannot be the row's: a broken hidden field is refused as stale.
UNREADABLE_VERSION = -1


def parse_version(value: object) -> int | None:
    """The ``version`` a form was rendered with: ``None`` when none was sent (nothing to
    compare), ``UNREADABLE_VERSION`` when one was sent but is not a version (versions
    start at 1, so like an id: the operation then refuses the form as stale instead of
    skipping the check)."""
    if value is None or value == "":
        return None
    parsed = parse_id(value)
    return UNREADABLE_VERSION if parsed is None else parsed
