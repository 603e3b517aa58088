"""``partnerprogram import KIND FILE [--mapping generic|salesforce|focus] [--dry-run] [--strict]
[--set FIELD=VALUE]... [--partner EXT] [--format text|json] [--progress] [--by USER]``.

Imports a CSV or XLSX file (docs/imports.md). Valid rows are applied in one transaction,
rejected rows are reported with row, column, value and reason; ``--strict`` applies nothing
if any row is rejected; ``--dry-run`` reports exactly what would be created, updated and
rejected and writes nothing. Exit codes: 0 every row accepted; 1 some rows rejected (the others
applied unless ``--strict`` or ``--dry-run``); 2 the file is refused as a whole (unknown kind or
mapping, unreadable file, missing or repeated columns, bad option, an option conflicting with a
column of the file). With ``--format json`` a refusal also prints
``{"error", "file", "row", "column", "reason"}`` on stdout. Progress goes to stderr when it
is a terminal, or with ``--progress``.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerprogram.core.cli_output import to_json
from partnerprogram.core.records import KINDS
from partnerprogram.imports.mappings import MAPPINGS
from partnerprogram.imports.services import ImportRefused, ImportReport, file_import
from partnerprogram.standings.management.commands._options import user_option

#: errors printed by the text output (all of them are in --format json)
TEXT_ERRORS = 50


def _pairs(values: list[str] | None) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"--set {item!r}: expected FIELD=VALUE", returncode=2)
        pairs[name.strip()] = value
    return pairs


class Command(BaseCommand):
    help = "Import a CSV/XLSX file of partners, people, credentials, opportunities, deal "
    "registrations, bookings or cloud usage (docs/imports.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"what the file holds: {', '.join(KINDS)}")
        parser.add_argument("file", help="a .csv (any common encoding/delimiter) or .xlsx file")
        parser.add_argument(
            "--mapping",
            default="generic",
            help=f"the file's shape: {', '.join(MAPPINGS)} (default generic)",
        )
        parser.add_argument("--dry-run", action="store_true", help="report only, write nothing")
        parser.add_argument(
            "--strict", action="store_true", help="all or nothing: any rejected row, no change"
        )
        parser.add_argument(
            "--set",
            action="append",
            metavar="FIELD=VALUE",
            help="a value for a field the file lacks (e.g. product_line=rhel); a field the file "
            "has is refused; repeatable",
        )
        parser.add_argument(
            "--partner",
            help="every row belongs to this partner (external id): FOCUS files, or a kind with "
            "a partner field the file lacks",
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--progress", action="store_true", help="show progress on stderr (default: on a TTY)"
        )
        parser.add_argument("--by", help="who imports (default: the OS user)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._handle(options)
        except CommandError as exc:
            if options["format"] == "json" and exc.returncode == 2:
                refused = getattr(exc, "refused", None)
                data = (
                    refused.as_dict()
                    if isinstance(refused, ImportRefused)
                    else {
                        "error": str(exc),
                        "file": options["file"],
                        "row": None,
                        "column": None,
                        "reason": str(exc),
                    }
                )
                self.stdout.write(to_json(data))
            raise

    def _handle(self, options: dict[str, Any]) -> None:
        defaults = _pairs(options["set"])
        if options["partner"]:
            if "partner" in defaults:
                raise CommandError(
                    "--partner and --set partner=... both give the partner: give one",
                    returncode=2,
                )
            defaults["partner"] = options["partner"]
        show_progress = options["progress"] or sys.stderr.isatty()
        try:
            report = file_import(
                kind=options["kind"],
                path=options["file"],
                mapping=options["mapping"],
                dry_run=options["dry_run"],
                strict=options["strict"],
                actor=f"cli:{user_option(options['by'])}",
                defaults=defaults or None,
                progress=self._progress if show_progress else None,
            )
        except ImportRefused as exc:
            error = CommandError(exc.reason, returncode=2)
            error.refused = exc  # type: ignore[attr-defined]  # the JSON output's parts
            raise error from None
        if show_progress:
            sys.stderr.write("\n")
        if options["format"] == "json":
            self.stdout.write(to_json(report.as_dict()))
        else:
            self.stdout.write(self._text(report))
        if report.rejected:
            sys.exit(1)

    def _progress(self, rows: int, fraction: float | None) -> None:
        share = f" ({100 * fraction:.0f}%)" if fraction is not None else ""
        sys.stderr.write(f"\r{rows:,} rows read{share}   ")
        sys.stderr.flush()

    def _text(self, report: ImportReport) -> str:
        if report.dry_run:
            mode = "dry run: nothing written"
        elif report.applied:
            mode = "applied"
        else:
            mode = "strict: rows rejected, nothing applied"
        counts = (
            f"created {report.created:,}, updated {report.updated:,}, "
            f"unchanged {report.unchanged:,}"
        )
        if report.records is None:
            lines = [
                f"{report.source} -> {report.kind} (mapping {report.mapping}): "
                f"{report.rows_read:,} rows read in {report.duration_s:.1f} s",
                f"  {counts}, rejected {report.rejected:,} ({mode})",
            ]
        else:  # FOCUS: charge rows summed into monthly records; counts are records
            rows_rejected = report.rejected - (report.records_rejected or 0)
            lines = [
                f"{report.source} -> {report.kind} (mapping {report.mapping}): "
                f"{report.rows_read:,} charge rows read in {report.duration_s:.1f} s "
                f"-> {report.records:,} monthly records (per partner, month and provider)",
                f"  records: {counts}, rejected {report.records_rejected or 0:,} ({mode})",
            ]
            if rows_rejected:
                lines.append(
                    f"  charge rows rejected while reading (in no record): {rows_rejected:,}"
                )
        # the reader's notes say the encoding and delimiter in words: one line, said once
        said = [n for n in report.notes if n.startswith(("encoding: ", "delimiter: "))]
        if said:
            lines.append("  " + ", ".join(said))
        else:
            read = f"  encoding: {report.encoding or '?'}"
            if report.delimiter:
                read += f", delimiter: {report.delimiter!r}"
            lines.append(read)
        for column, described in report.column_formats.items():
            lines.append(f"  {column}: {described}")
        for note in report.notes:
            if note in said or (report.records is not None and note.startswith("charge rows")):
                continue  # said above
            lines.append(f"  note: {note}")
        if report.errors:
            lines.append(f"rejected ({len(report.errors):,} errors):")
            for error in report.errors[:TEXT_ERRORS]:
                lines.append(
                    f"  row {error.row}, column {error.column}, value {error.value!r}: "
                    f"{error.reason}"
                )
            if len(report.errors) > TEXT_ERRORS:
                lines.append(
                    f"  ... {len(report.errors) - TEXT_ERRORS:,} more (--format json lists all)"
                )
        return "\n".join(lines) + "\n"
