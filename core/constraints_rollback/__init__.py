"""The partial rollback: the characters' validation constraints removed by a migration.

Installed only when ``TG_CONSTRAINTS_ROLLBACK=1`` (tg/settings/base.py), so that an
operator applies or unapplies its one migration on purpose and nothing else sees it:

    TG_CONSTRAINTS_ROLLBACK=1 python manage.py migrate constraints_rollback        # remove
    TG_CONSTRAINTS_ROLLBACK=1 python manage.py migrate constraints_rollback zero   # add back

See docs/deployment/README.md, "Partial rollback".
"""
