#!/usr/bin/env python
"""Django's command-line utility for tg."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tg.settings.development")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        try:
            execute_from_command_line(sys.argv)
        except ModuleNotFoundError:
            # DJANGO_SETTINGS_MODULE (or --settings, which Django has put there by now)
            # naming no module, e.g. tg.settings.prodution: refused below in one line.
            # Any other missing module keeps its traceback.
            from tg.settings.env import check_settings_module

            check_settings_module()
            raise
    except ImproperlyConfigured as exc:
        # A setting that is missing, malformed or out of range (tg/settings/env.py names
        # the variable): one line and exit 2, "could not run", rather than a traceback.
        sys.stderr.write(f"ImproperlyConfigured: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
