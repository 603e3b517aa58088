"""The ``partnerprogram`` console script: Django's management commands for this project.

``partnerprogram evaluate ...`` is ``django-admin evaluate ...`` with the project's settings.
Errors every command can meet are reported in one line with exit code 2 instead of a
traceback: a database that was never migrated, and an amount whose currency has no exchange
rate on the date.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command; ``argv`` defaults to ``sys.argv``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerprogram.settings")
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    from partnerprogram.core.money import MissingRateError

    args = list(sys.argv if argv is None else argv)
    args[0] = "partnerprogram"
    try:
        execute_from_command_line(args)
    except MissingRateError as exc:
        sys.stderr.write(f"CommandError: {exc}\n")
        sys.exit(2)
    except DatabaseError as exc:
        text = str(exc)
        if "no such table" in text or ("relation" in text and "does not exist" in text):
            sys.stderr.write(
                f"CommandError: the database has no tables yet ({text.splitlines()[0]}): "
                "run `partnerprogram migrate` first\n"
            )
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()
