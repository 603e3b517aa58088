"""``partnerprogram calibrate --draft FILE|--draft-name NAME --target T [--target T...] [--baseline
previous|standings|VERSION] [--as-of DATE] [--free PATH[:MIN..MAX]...] [--direction
relax|tighten|both] [--max-thresholds N] [--format table|json] [--output FILE [--force]]``
and ``calibrate --draft FILE --list-thresholds``.

Searches the draft's thresholds for the smallest total relative change that meets the targets
and prints the suggested changes, the targets before and after, and the unified YAML diff
(``docs/calibration.md``). ``--output`` writes the calibrated YAML. Reads only: nothing is stored
or published.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerprogram.core.cli_output import check_output, parse_date, to_json, to_table
from partnerprogram.core.money import MissingRateError
from partnerprogram.programs.calibrate import (
    MAX_FREE_THRESHOLDS,
    TARGET_GRAMMAR,
    Calibration,
    CalibrationError,
    calibrate,
    calibration_inputs,
    free_parse,
    target_parse,
    thresholds_list,
)
from partnerprogram.programs.schema import ProgramError, load_program_text


def _num(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


class Command(BaseCommand):
    help = "Suggest the smallest threshold changes of a draft program that meet targets."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--draft", help="draft program YAML file")
        source.add_argument("--draft-name", help="a draft saved in the console, by name")
        parser.add_argument("--program", help="program key of --draft-name (when ambiguous)")
        parser.add_argument(
            "--max-thresholds",
            type=int,
            default=MAX_FREE_THRESHOLDS,
            help=f"most free thresholds the search accepts (default {MAX_FREE_THRESHOLDS}; the "
            "search time grows with the square of their number)",
        )
        parser.add_argument(
            "--force", action="store_true", help="let --output overwrite the --draft file"
        )
        parser.add_argument(
            "--target", action="append", default=[], help=f"repeatable: {TARGET_GRAMMAR}"
        )
        parser.add_argument(
            "--baseline",
            default="previous",
            help="tiers to compare with: previous (default), standings, or a stored VERSION",
        )
        parser.add_argument(
            "--as-of", help="assessment date YYYY-MM-DD (default: the draft's claim deadline)"
        )
        parser.add_argument(
            "--free",
            action="append",
            default=[],
            metavar="PATH[:MIN..MAX]",
            help="repeatable: a threshold the search may move (default: every threshold)",
        )
        parser.add_argument("--direction", choices=["relax", "tighten", "both"], default="relax")
        parser.add_argument("--list-thresholds", action="store_true")
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument("--output", help="write the calibrated YAML to this file")
        parser.add_argument("--lang", choices=["en", "fr"], default="en")

    def handle(self, *args: Any, **options: Any) -> None:
        draft, text = self._source(options)
        try:
            program = load_program_text(text, source=draft)
        except ProgramError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if options["list_thresholds"]:
            self._list(program, options)
            return
        check_output(options["output"])
        if (
            options["output"]
            and options["draft"]
            and not options["force"]
            and Path(options["output"]).resolve() == Path(options["draft"]).resolve()
        ):
            raise CommandError(
                f"--output {options['output']}: this is the --draft file; write elsewhere or "
                "add --force to overwrite it",
                returncode=2,
            )
        if not options["target"]:
            raise CommandError(f"give at least one --target ({TARGET_GRAMMAR})", returncode=2)
        if options["as_of"]:
            as_of = parse_date(options["as_of"], option="--as-of")
        elif program.cycle is not None:
            as_of = program.cycle.claim_deadline
        else:
            raise CommandError(
                f"--as-of is required: {draft} has no cycle (claim deadline)", returncode=2
            )
        try:
            targets = [target_parse(t, program=program) for t in options["target"]]
            free = free_parse(
                options["free"],
                program=program,
                direction=options["direction"],
                max_thresholds=options["max_thresholds"],
            )
            inputs = calibration_inputs(program=program, as_of=as_of, baseline=options["baseline"])
            result = calibrate(
                program=program,
                text=text,
                source=draft,
                inputs=inputs,
                targets=targets,
                free=free,
                lang=options["lang"],
            )
        except (CalibrationError, MissingRateError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if options["output"] and result.calibrated_text:
            try:
                Path(options["output"]).write_text(result.calibrated_text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(
                    f"--output {options['output']}: cannot write: {exc.strerror}", returncode=2
                ) from exc
        if options["format"] == "json":
            self.stdout.write(to_json(result.to_dict()))
        else:
            self.stdout.write(self._table(result, output=options["output"]))
        if not result.found:
            raise CommandError(result.message or "the targets are not met", returncode=1)

    def _source(self, options: dict[str, Any]) -> tuple[str, str]:
        """``(source name, YAML text)`` of ``--draft FILE`` or ``--draft-name NAME``."""
        if options["draft"]:
            draft = options["draft"]
            try:
                return draft, Path(draft).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"--draft {draft}: cannot read: {exc}", returncode=2) from exc
        from partnerprogram.programs.models import ProgramDraft

        name = options["draft_name"]
        drafts = ProgramDraft.objects.select_related("program").filter(name=name)
        if options["program"]:
            drafts = drafts.filter(program__key=options["program"])
        found = list(drafts[:2])
        if not found:
            known = ", ".join(
                f"{d.program.key}: {d.name}" for d in ProgramDraft.objects.select_related("program")
            )
            raise CommandError(
                f"--draft-name {name!r}: no such draft (drafts: {known or 'none'})", returncode=2
            )
        if len(found) > 1:
            raise CommandError(
                f"--draft-name {name!r}: several programs have a draft of that name, "
                "give --program",
                returncode=2,
            )
        return f"draft {name!r}", found[0].yaml

    def _list(self, program: Any, options: dict[str, Any]) -> None:
        items = thresholds_list(program, lang=options["lang"])
        if options["format"] == "json":
            self.stdout.write(
                to_json(
                    [
                        {
                            "path": t.path,
                            "label": t.label,
                            "comparator": t.comparator,
                            "value": float(t.value)
                            if t.value != t.value.to_integral_value()
                            else int(t.value),
                            "unit": t.unit,
                        }
                        for t in items
                    ]
                )
            )
            return
        self.stdout.write(
            to_table(
                ["path", "requirement", "comparator", "value", "unit"],
                [[t.path, t.label, t.comparator, _num(t.value), t.unit] for t in items],
            )
        )

    def _table(self, result: Calibration, *, output: str | None) -> str:
        program = result.program
        lines = [
            f"Calibration of {program.program} {program.version} as of {result.as_of} "
            f"(baseline: {result.baseline}; {len(result.free)} free thresholds)",
            "",
        ]
        if result.warnings:
            lines += [f"WARNING: {w}" for w in result.warnings] + [""]
        if result.changes:
            lines.append(
                f"Suggested changes ({result.method} search, {result.evaluations} versions "
                f"evaluated, total relative change {float(result.cost) * 100:.1f} %):"
            )
            lines.append(
                to_table(
                    ["path", "requirement", "old", "new", "exact", "change"],
                    [
                        [
                            c.path,
                            c.label,
                            _num(c.old),
                            _num(c.new),
                            _num(c.exact) if c.exact is not None else "",
                            f"{float(c.relative) * 100:+.1f} %",
                        ]
                        for c in result.changes
                    ],
                )
            )
        elif result.message:
            lines += [result.message, ""]
        lines.append("Targets (before -> after):")
        lines.append(
            to_table(
                ["target", "before", "after", "limit", "met"],
                [
                    [t.target, t.before, t.after, t.limit, "yes" if t.met_after else "NO"]
                    for t in result.targets
                ],
            )
        )
        tiers = [*reversed(program.tier_keys), "none"]
        lines.append("Distribution (draft -> calibrated):")
        lines.append(
            to_table(
                ["tier", program.version, "calibrated"],
                [[t, result.distribution_before[t], result.distribution_after[t]] for t in tiers],
            )
        )
        if result.diff:
            lines.append(result.diff)
            if output:
                lines.append(f"calibrated version written to {output}")
        return "\n".join(lines).rstrip("\n") + "\n"
