"""``partnerprogram evaluate --program KEY [--version V] --as-of DATE [--known-at DATETIME]
[--format table|json|csv] [--output FILE] [--no-store]``.

Evaluates every partner against one program version (the one in force on the date when
``--version`` is omitted), stores the run and its assessments, and prints the result.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from partnerprogram.core.cli_output import (
    check_output,
    parse_date,
    to_csv,
    to_json,
    to_table,
    write_output,
)
from partnerprogram.core.money import MissingRateError
from partnerprogram.programs.engine import evaluate
from partnerprogram.programs.presenters import CSV_HEADER, evaluation_json, evaluation_rows
from partnerprogram.programs.selectors import ProgramVersionNotFound, program_version_get


class Command(BaseCommand):
    help = "Evaluate every partner against a program version as of a date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", required=True, help="program key, e.g. pex-fr")
        # Django reserves --version for its own version; here it names the program version.
        parser.conflict_handler = parser._optionals.conflict_handler = "resolve"
        parser.add_argument("--version", help="version, e.g. 2026.2 (default: in force)")
        parser.add_argument("--as-of", required=True, help="date YYYY-MM-DD (program zone)")
        parser.add_argument(
            "--known-at", help="only facts recorded at or before this ISO date-time"
        )
        parser.add_argument("--format", choices=["table", "json", "csv"], default="table")
        parser.add_argument("--output", help="write to this file instead of stdout")
        parser.add_argument("--no-store", action="store_true", help="do not store the run")
        parser.add_argument("--lang", choices=["en", "fr"], default="en")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_date(options["as_of"], option="--as-of")
        check_output(options["output"])
        known_at = None
        if options["known_at"]:
            try:
                known_at = datetime.fromisoformat(options["known_at"])
            except ValueError as exc:
                raise CommandError(
                    f"--known-at {options['known_at']!r}: expected an ISO date-time",
                    returncode=2,
                ) from exc
            if timezone.is_naive(known_at):
                known_at = timezone.make_aware(known_at)
        try:
            version = program_version_get(
                program=options["program"], version=options["version"], on=as_of
            )
        except ProgramVersionNotFound as exc:
            raise CommandError(str(exc), returncode=2) from exc

        def progress(message: str) -> None:
            if options["verbosity"] >= 2:
                sys.stderr.write(f"{message}\n")

        try:
            evaluation = evaluate(
                version=version,
                as_of=as_of,
                known_at=known_at,
                store=not options["no_store"],
                progress=progress,
            )
        except MissingRateError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        fmt = options["format"]
        if fmt == "json":
            text = to_json(evaluation_json(evaluation))
        elif fmt == "csv":
            text = to_csv(CSV_HEADER, evaluation_rows(evaluation, lang=options["lang"]))
        else:
            text = self._table(evaluation, lang=options["lang"])
        write_output(text, output=options["output"], stdout=self.stdout)

    def _table(self, evaluation: Any, *, lang: str) -> str:
        summary = evaluation.summary
        program = evaluation.program
        head = (
            f"{program.program} {program.version} as of {evaluation.as_of}: "
            f"{summary['partners']} partners"
            + (f", run {evaluation.run.pk}" if evaluation.run else "")
            + "\n\n"
        )
        tiers = list(reversed(program.tier_keys))
        by_prev = summary["transitions"]
        rows = []
        for tier in tiers:
            prev_count = sum(by_prev.get(tier, {}).values())
            rows.append([program.tier_name(tier, lang), prev_count, summary["by_tier"][tier]])
        none_prev = sum(by_prev.get("none", {}).values()) + sum(
            v for k, v in by_prev.items() if k not in program.tier_keys and k != "none"
        )
        rows.append(["(no tier)", none_prev, summary["unassessed"]])
        table = to_table(["tier", "previous program", program.version], rows)
        detail = to_table(CSV_HEADER, evaluation_rows(evaluation, lang=lang))
        return head + table + f"\ngrandfathered: {summary['grandfathered']}\n\n" + detail
