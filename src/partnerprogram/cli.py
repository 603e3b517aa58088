"""The ``partnerprogram`` console script: Django's management commands for this project.

``partnerprogram evaluate ...`` is ``django-admin evaluate ...`` with the project's settings.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command; ``argv`` defaults to ``sys.argv``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerprogram.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "partnerprogram"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
