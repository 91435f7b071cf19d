"""PostgreSQL advisory locks that keep tg's operator commands to one run at a time."""


def advisory_lock_holder(cursor, key: int) -> int | None:
    """The backend pid holding the one-key advisory lock ``key`` (``None`` if nobody
    holds it now). PostgreSQL shows a bigint key as its high and low 32 bits."""
    cursor.execute(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND classid = %s AND objid = %s",
        [key >> 32, key & 0xFFFFFFFF],
    )
    row = cursor.fetchone()
    return row[0] if row else None
