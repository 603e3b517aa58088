"""``partnerprogram seed-reference --region fr [--seed N] [--format text|json]``.

Writes the reference data set of the founding case (see ``partnerprogram.demo.reference``):
wipe-and-rebuild of the reference rows in one transaction, so running it twice with the same seed
gives the same data. Prints a summary (partners, active partners, previous tiers, CCSP count,
indirect share, CCSP share and growth, rows per table, seconds). Exit code 2 on error.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from partnerprogram.demo.reference import (
    DEFAULT_SEED,
    REGIONS,
    ReferenceDataInUse,
    build_reference,
    summary_json,
    summary_text,
)


class Command(BaseCommand):
    help = (
        "Build the reference data set (invented French partner population of the founding "
        "case). Replaces earlier reference rows; other rows are kept."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--region", required=True, choices=REGIONS, help="population to build (only 'fr')"
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
        )
        parser.add_argument(
            "--format",
            choices=("text", "json"),
            default="text",
            dest="output_format",
            help="summary format (default text)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = build_reference(region=options["region"], seed=options["seed"])
        except (ReferenceDataInUse, ValueError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if options["output_format"] == "json":
            self.stdout.write(summary_json(summary))
        else:
            self.stdout.write(summary_text(summary))
