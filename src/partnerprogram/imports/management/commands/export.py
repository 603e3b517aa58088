"""``partnerprogram export KIND FILE [--format csv|xlsx]``.

Writes every fact of KIND in the generic mapping's columns (docs/imports.md), the file that
``partnerprogram import KIND FILE`` reads back to the same data. The format defaults to the
file's extension (``.xlsx`` -> XLSX, otherwise CSV). Unknown kind or unwritable file: exit 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerprogram.core.exports import FORMATS, ExportFormat
from partnerprogram.core.records import KINDS
from partnerprogram.imports.exports import fact_export_write


class Command(BaseCommand):
    help = "Export every fact of a kind as CSV or XLSX in re-importable (generic) columns."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"what to export: {', '.join(KINDS)}")
        parser.add_argument("file", help="the file to write (.csv or .xlsx)")
        parser.add_argument("--format", choices=list(FORMATS), help="default: from FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        if kind not in KINDS:
            raise CommandError(f"unknown kind {kind!r} (kinds: {', '.join(KINDS)})", returncode=2)
        target = Path(options["file"])
        fmt: ExportFormat = options["format"] or (
            "xlsx" if target.suffix.lower() == ".xlsx" else "csv"
        )
        try:
            count = fact_export_write(kind=kind, path=target, fmt=fmt)
        except OSError as exc:
            raise CommandError(f"{target}: cannot write ({exc.strerror})", returncode=2) from None
        self.stdout.write(f"{count:,} {kind} written to {target} ({fmt})\n")
