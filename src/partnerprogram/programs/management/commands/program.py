"""``partnerprogram program load PATH... [--format text|json]`` and ``program list``.

An invalid file is refused with the file, the field path and the reason; exit code 2; nothing
is stored (every file is validated before any is written).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerprogram.core.cli_output import to_json, to_table, write_output
from partnerprogram.programs.models import ProgramVersion
from partnerprogram.programs.schema import ProgramError
from partnerprogram.programs.services import program_versions_load


class Command(BaseCommand):
    help = "Program versions: `program load FILE...` validates and stores; `program list`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="validate and store program version files (YAML)")
        load.add_argument("paths", nargs="+", metavar="PATH")
        load.add_argument("--format", choices=["text", "json"], default="text")
        listing = sub.add_parser("list", help="stored program versions")
        listing.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "load":
            self._load(options)
        else:
            self._list(options)

    def _load(self, options: dict[str, Any]) -> None:
        try:
            results = program_versions_load(paths=options["paths"])
        except ProgramError as exc:
            if options["format"] == "json":
                self.stdout.write(
                    to_json(
                        {
                            "stored": False,
                            "errors": [
                                {"file": f, "path": p, "reason": r} for f, p, r in exc.errors
                            ],
                        }
                    )
                )
            raise CommandError(
                f"{len(exc.errors)} problem(s), nothing stored:\n{exc}", returncode=2
            ) from exc
        if options["format"] == "json":
            text = to_json({"stored": True, "versions": [asdict(r) for r in results]})
        else:
            text = "".join(
                f"{r.status:9} {r.program} {r.version} (effective {r.effective_from}) "
                f"sha256 {r.sha256[:12]} from {r.path}\n"
                for r in results
            )
        write_output(text, output=None, stdout=self.stdout)

    def _list(self, options: dict[str, Any]) -> None:
        rows = [
            {
                "program": v.program.key,
                "version": v.version,
                "effective_from": v.effective_from.isoformat(),
                "status": v.status,
                "sha256": v.sha256,
                "source": v.source,
            }
            for v in ProgramVersion.objects.select_related("program").order_by(
                "program__key", "effective_from", "version"
            )
        ]
        if options["format"] == "json":
            text = to_json(rows)
        else:
            text = to_table(
                ["program", "version", "effective from", "status", "sha256"],
                [
                    [r["program"], r["version"], r["effective_from"], r["status"], r["sha256"][:12]]
                    for r in rows
                ],
            )
        write_output(text, output=None, stdout=self.stdout)
