"""``partnerprogram simulate --draft FILE | --draft-name NAME [--against VERSION|standings|previous]
--as-of DATE [--known-at DATETIME] [--sensitivity PATH --from X --to Y --step S]
[--format table|json|csv|xlsx] [--output FILE] [--movers N]``.

Simulates a draft program version (a YAML file, or a draft saved in the console) against the
facts as of a date and compares it with a published version (``pex-fr/2026.1`` or ``2026.1`` of
the draft's program; default: the version in force on the date), the official standings
(``standings``) or the previous program (``previous``). Nothing is stored or published.
``--sensitivity`` prints, instead, the tier counts for each value of one threshold of the draft.
CSV writes one file per table (``FILE`` stem + ``-<table>.csv``), XLSX one sheet per table.
See ``docs/simulation.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from partnerprogram.core.cli_output import check_output, parse_date, to_json, to_table, write_output
from partnerprogram.core.exports import csv_stream, xlsx_workbook
from partnerprogram.core.money import MissingRateError
from partnerprogram.programs.schema import Program, ProgramError, load_program
from partnerprogram.programs.selectors import (
    ProgramVersionNotFound,
    program_definition,
    program_version_get,
)
from partnerprogram.programs.simulate import (
    NONE,
    Mover,
    SensitivityPoint,
    SimulationError,
    SimulationResult,
    sensitivity_values,
    simulation_run,
    snapshot_take,
    threshold_get,
    threshold_sensitivity,
)

Table = tuple[str, list[str], list[list[Any]]]


def _money(value: Decimal) -> str:
    return f"{value:,.0f}"


def _signed(value: int | Decimal) -> str:
    if isinstance(value, Decimal):
        return ("+" if value > 0 else "") + _money(value) if value else "0"
    return f"{value:+d}" if value else "0"


def _why(mover: Mover, after: str) -> str:
    """The requirements that move a partner, in words, naming the tier the gap is measured
    against: ``2026.1, for premier: 4 more certified people``."""
    if mover.reasons:
        first = mover.reasons[0]
        text = f"{first.side}, for {first.tier}: " + "; ".join(r.text for r in mover.reasons)
        return text + (f" (grandfathered under {after})" if mover.grandfathered else "")
    if mover.grandfathered:
        return f"grandfathered under {after}"
    if mover.direction == "up":
        return f"meets {mover.after} under {after}"
    return f"falls to {mover.after} under {after}"


def _needs(check: dict[str, Any]) -> str:
    """What a check needs, in words: ``at least 10``, ``at least 85 points`` (a score's total),
    ``min 16 points`` (a score component; ``-`` without a minimum)."""
    if check["comparator"] == "points":
        minimum = check["threshold"]
        return "-" if minimum is None else f"min {minimum} points"
    unit = " points" if check["metric"] == "points" else ""
    return f"{check['comparator'].replace('_', ' ')} {check['threshold']}{unit}"


def simulation_tables(result: SimulationResult) -> list[Table]:
    """The result as ``(name, header, rows)`` tables: distribution, by_track, binding,
    transitions, movers, values (under both sides, first movers of each group), cost."""
    before, after = result.labels
    dist = result.distribution
    tables: list[Table] = [
        (
            "distribution",
            ["tier", before, after, "change"],
            [
                [t, dist[before][t], dist[after][t], dist[after][t] - dist[before][t]]
                for t in result.tiers
            ],
        )
    ]
    sides = [label for label in (before, after) if label in result.by_track]
    by_track_rows = []
    for track in result.draft.track_keys:
        for tier in result.tiers:
            counts = [result.by_track[label].get(track, {}).get(tier) for label in sides]
            if any(counts):
                by_track_rows.append([track, tier, *[c or 0 for c in counts]])
    tables.append(("by_track", ["track", "tier", *sides], by_track_rows))
    tables.append(
        (
            "binding",
            ["track", "tier", "requirement", "label", "alone", "together", "below", "active"],
            [
                [
                    b.track,
                    b.tier,
                    b.requirement,
                    b.label,
                    b.alone,
                    b.together,
                    b.below,
                    b.track_active,
                ]
                for b in result.binding
            ],
        )
    )
    tables.append(
        ("transitions", ["from", "to", "count"], [[f, t, n] for f, t, n in result.transitions])
    )
    tables.append(
        (
            "movers",
            ["partner", "name", "from", "to", "direction", "resale_12m", "requirement", "why"],
            [
                [
                    m.external_id,
                    m.name,
                    m.before,
                    m.after,
                    m.direction,
                    m.resale,
                    "; ".join(r.path for r in m.reasons),
                    _why(m, after),
                ]
                for m in result.movers
            ],
        )
    )
    value_rows = []
    for m in result.movers:
        for side, checks in (m.values or {}).items():
            for c in checks:
                value_rows.append(
                    [
                        m.external_id,
                        f"{m.before}->{m.after}",
                        side,
                        c["track"],
                        c["path"],
                        c.get("label") or c["path"] or "score",
                        c["metric"],
                        c["value"],
                        c.get("points"),
                        _needs(c),
                        c["met"],
                    ]
                )
    tables.append(
        (
            "values",
            [
                "partner",
                "move",
                "version",
                "track",
                "path",
                "requirement",
                "metric",
                "value",
                "points",
                "needs",
                "met",
            ],
            value_rows,
        )
    )
    cb, ca = result.cost[before], result.cost[after]
    cost_rows: list[list[Any]] = [
        [item, getattr(cb, item), getattr(ca, item), getattr(ca, item) - getattr(cb, item)]
        for item in ("discount", "rebate", "mdf")
    ]
    cost_rows.append(["total", cb.total, ca.total, ca.total - cb.total])
    tables.append(("cost", ["benefit", before, after, "difference"], cost_rows))
    return tables


def sensitivity_table(points: Sequence[SensitivityPoint], tiers: Sequence[str]) -> Table:
    """``(name, header, rows)``: one row per value, overall counts then the path's track."""
    track = bool(points and points[0].track)
    header = ["value", *tiers] + ([f"track {t}" for t in tiers] if track else [])
    rows = [
        [p.value, *[p.by_tier[t] for t in tiers]] + ([p.track[t] for t in tiers] if track else [])
        for p in points
    ]
    return ("sensitivity", header, rows)


class Command(BaseCommand):
    help = (
        "Simulate a draft program version against a version, the standings or the previous program."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--draft", help="program YAML file to simulate (never published)")
        source.add_argument("--draft-name", help="a draft saved in the console, by name")
        parser.add_argument("--program", help="program key of --draft-name (when ambiguous)")
        parser.add_argument(
            "--against",
            help="VERSION (pex-fr/2026.1 or 2026.1), standings or previous "
            "(default: the version in force on --as-of)",
        )
        parser.add_argument("--as-of", required=True, help="date YYYY-MM-DD (program zone)")
        parser.add_argument(
            "--known-at", help="only facts recorded at or before this ISO date-time"
        )
        parser.add_argument(
            "--sensitivity",
            metavar="PATH",
            help="threshold path in the draft, "
            "e.g. requirements.solution_provider.premier.all[1].at_least",
        )
        parser.add_argument("--from", dest="start", help="first value of the threshold")
        parser.add_argument("--to", dest="stop", help="last value of the threshold")
        parser.add_argument("--step", help="step between values")
        parser.add_argument("--format", choices=["table", "json", "csv", "xlsx"], default="table")
        parser.add_argument("--output", help="file to write (required for csv and xlsx)")
        parser.add_argument(
            "--movers", type=int, default=40, help="movers listed in the table output (default 40)"
        )
        parser.add_argument(
            "--values",
            type=int,
            default=2,
            help="movers of each move shown with their values in the table output (default 2)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_date(options["as_of"], option="--as-of")
        fmt = options["format"]
        if fmt in ("csv", "xlsx") and not options["output"]:
            raise CommandError(f"--format {fmt} needs --output FILE", returncode=2)
        check_output(options["output"])
        if fmt in ("csv", "xlsx") and Path(options["output"]).suffix.lower() != f".{fmt}":
            raise CommandError(
                f"--output {options['output']}: a --format {fmt} file must end in .{fmt}",
                returncode=2,
            )
        if options["sensitivity"] and options["against"]:
            raise CommandError(
                "--against does not apply to --sensitivity (the curve counts the draft's tiers "
                "only): leave it out",
                returncode=2,
            )
        known_at = self._known_at(options["known_at"])
        draft, source = self._draft(options)
        try:
            if options["sensitivity"]:
                self._sensitivity(draft, source, as_of=as_of, known_at=known_at, options=options)
                return
            against = self._against(options["against"], draft=draft, as_of=as_of)
            result = simulation_run(draft=draft, against=against, as_of=as_of, known_at=known_at)
        except (SimulationError, MissingRateError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if fmt == "json":
            data = result.to_dict()
            data["draft"]["source"] = source
            write_output(to_json(data), output=options["output"], stdout=self.stdout)
        elif fmt in ("csv", "xlsx"):
            self._export(simulation_tables(result), fmt=fmt, output=options["output"])
        else:
            text = self._text(
                result, source=source, movers=options["movers"], detail=options["values"]
            )
            write_output(text, output=options["output"], stdout=self.stdout)

    # ---- inputs

    def _known_at(self, text: str | None) -> datetime | None:
        if not text:
            return None
        try:
            known_at = datetime.fromisoformat(text)
        except ValueError as exc:
            raise CommandError(
                f"--known-at {text!r}: expected an ISO date-time", returncode=2
            ) from exc
        return timezone.make_aware(known_at) if timezone.is_naive(known_at) else known_at

    def _draft(self, options: dict[str, Any]) -> tuple[Program, str]:
        if options["draft"]:
            try:
                return load_program(options["draft"]), options["draft"]
            except ProgramError as exc:
                raise CommandError(f"invalid draft:\n{exc}", returncode=2) from exc
        from partnerprogram.programs.drafts import program_draft_parse
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
        try:
            return program_draft_parse(found[0]), f"draft {name!r}"
        except ProgramError as exc:
            raise CommandError(f"invalid draft:\n{exc}", returncode=2) from exc

    def _against(self, text: str | None, *, draft: Program, as_of: Any) -> Any:
        if text in ("standings", "previous"):
            return text
        program, version = draft.program, text
        if text and "/" in text:
            program, version = text.split("/", 1)
            if not program or not version:
                raise CommandError(
                    f"--against {text!r}: give PROGRAM/VERSION (e.g. {draft.program}/2026.1), "
                    "or leave --against out for the version in force",
                    returncode=2,
                )
        try:
            stored = program_version_get(program=program, version=version or None, on=as_of)
        except ProgramVersionNotFound as exc:
            raise CommandError(
                f"--against {text or '(version in force)'}: {exc}", returncode=2
            ) from exc
        return program_definition(stored)

    # ---- sensitivity

    def _sensitivity(
        self,
        draft: Program,
        source: str,
        *,
        as_of: Any,
        known_at: datetime | None,
        options: dict[str, Any],
    ) -> None:
        path = options["sensitivity"]
        bounds = []
        for option in ("start", "stop", "step"):
            text = options[option]
            flag = {"start": "--from", "stop": "--to", "step": "--step"}[option]
            if text is None:
                raise CommandError(f"--sensitivity needs {flag}", returncode=2)
            try:
                value = Decimal(text)
            except InvalidOperation:
                value = Decimal("NaN")
            if not value.is_finite():  # nan, inf: Decimal parses them
                raise CommandError(f"{flag} {text!r}: not a number", returncode=2)
            bounds.append(value)
        current = threshold_get(draft, path)
        values = sensitivity_values(*bounds)
        snapshot = snapshot_take(programs=[draft], as_of=as_of, known_at=known_at)
        points = threshold_sensitivity(program=draft, snapshot=snapshot, path=path, values=values)
        tiers = [*reversed(draft.tier_keys), NONE]
        fmt = options["format"]
        if fmt == "json":
            data = {
                "draft": {"program": draft.program, "version": draft.version, "source": source},
                "as_of": as_of.isoformat(),
                "path": path,
                "current": current,
                "points": [
                    {"value": p.value, "by_tier": p.by_tier, "track": p.track or None}
                    for p in points
                ],
            }
            write_output(to_json(data), output=options["output"], stdout=self.stdout)
            return
        table = sensitivity_table(points, tiers)
        if fmt in ("csv", "xlsx"):
            self._export([table], fmt=fmt, output=options["output"])
            return
        top = tiers[0]
        peak = max((p.by_tier[top] for p in points), default=0) or 1
        rows = [
            [
                *row,
                "#" * round(30 * p.by_tier[top] / peak)
                + (" <- current" if p.value == current else ""),
            ]
            for row, p in zip(table[2], points, strict=True)
        ]
        text = (
            f"Sensitivity of {draft.program} {draft.version} ({source}) as of {as_of}: {path} "
            f"(now {current}); partners per tier for each value, overall"
            + (" then in the track" if points and points[0].track else "")
            + "\n\n"
            + to_table([*table[1], f"{top} (curve)"], rows)
        )
        write_output(text, output=options["output"], stdout=self.stdout)

    # ---- output

    def _export(self, tables: list[Table], *, fmt: str, output: str) -> None:
        target = Path(output)
        if fmt == "xlsx":
            workbook = xlsx_workbook(tables)
            try:
                workbook.save(target)
            except OSError as exc:
                raise CommandError(f"{output}: cannot write: {exc.strerror}", returncode=2) from exc
            self.stdout.write(f"wrote {output} ({', '.join(t[0] for t in tables)})")
            return
        written = []
        for name, header, rows in tables:
            path = target if len(tables) == 1 else target.with_name(f"{target.stem}-{name}.csv")
            try:
                with path.open("wb") as handle:
                    handle.writelines(csv_stream(rows, header))
            except OSError as exc:
                raise CommandError(f"{path}: cannot write: {exc.strerror}", returncode=2) from exc
            written.append(str(path))
        self.stdout.write("wrote " + ", ".join(written))

    def _text(self, result: SimulationResult, *, source: str, movers: int, detail: int) -> str:
        before, after = result.labels
        draft = result.draft
        tables = {name: (header, rows) for name, header, rows in simulation_tables(result)}
        out = [
            f"Simulation of {draft.program} {draft.version} ({source}) against {before} "
            f"as of {result.as_of}: {result.partners} partners (nothing stored)",
            "",
            "Tiers (overall, after grandfathering)",
            to_table(*tables["distribution"]),
        ]
        if tables["by_track"][1]:
            out += ["Tiers met per track", to_table(*tables["by_track"])]
        # every row, an inactive track's marked (its partners count for no tier on the date)
        binding = [
            [r[0] if r[7] else f"{r[0]} (not in effect)", *r[1:7]] for r in tables["binding"][1]
        ]
        out += [
            f"Binding requirements of {after}: partners below the tier in the track that the "
            "requirement keeps out alone (everything else met) or together with others; a "
            "track not in effect on the date is marked",
            to_table(tables["binding"][0][:-1], binding),
        ]
        tiers = [t for t in result.tiers if any(t in (f, to) for f, to, _ in result.transitions)]
        matrix = {(f, t): n for f, t, n in result.transitions}
        out += [
            f"Transitions (rows: {before}, columns: {after})",
            to_table(
                [f"{before} \\ {after}", *tiers],
                [[f, *[matrix.get((f, t), 0) for t in tiers]] for f in tiers],
            ),
        ]
        groups: dict[tuple[str, str], int] = {}
        for m in result.movers:
            groups[(m.before, m.after)] = groups.get((m.before, m.after), 0) + 1
        summary = ", ".join(f"{n} {f} -> {t}" for (f, t), n in groups.items()) or "none"
        rows = tables["movers"][1]
        shown = rows[:movers]
        out += [
            f"Partners who move ({len(result.movers)}): {summary}",
            to_table(
                ["partner", "name", "from", "to", "resale 12M", "why"],
                [[r[0], r[1], r[2], r[3], _money(r[5]), r[7]] for r in shown],
            )
            + (
                f"... and {len(rows) - movers} more (--format json or csv for all)\n"
                if len(rows) > movers
                else ""
            ),
        ]
        per_move: dict[str, list[str]] = {}
        for row in tables["values"][1]:
            partners = per_move.setdefault(row[1], [])
            if row[0] not in partners and len(partners) < detail:
                partners.append(row[0])
        values = [r for r in tables["values"][1] if r[0] in per_move[r[1]]]
        if values:
            if result.against.kind == "version":
                title = "Values under both versions"
            else:
                nothing = {
                    "previous": "the previous program has no requirements",
                    "standings": "the standings have no requirements",
                }.get(result.against.kind, f"{before} has no requirements")
                title = f"Values under {after} ({nothing})"
            out += [
                f"{title}; the first {detail} of each move (--format json or csv for more); "
                "points: a score component's points earned",
                to_table(
                    [
                        "partner",
                        "move",
                        "version",
                        "track",
                        "requirement",
                        "value",
                        "points",
                        "needs",
                        "met",
                    ],
                    [
                        [
                            r[0],
                            r[1],
                            r[2],
                            r[3],
                            r[5],
                            "" if r[7] is None else r[7],
                            "" if r[8] is None else r[8],
                            r[9],
                            "yes" if r[10] else "no",
                        ]
                        for r in values
                    ],
                ),
            ]
        cb = result.cost[before]
        cost_rows = [[r[0], _money(r[1]), _money(r[2]), _signed(r[3])] for r in tables["cost"][1]]
        note = "" if cb.priced else f" ({before} side priced with no benefits listed)"
        out += [
            f"Cost of priced benefits ({result.snapshot.currency} per year; discounts and "
            f"rebates on resale bookings over {cb.window}){note}",
            to_table(tables["cost"][0], cost_rows),
        ]
        return "\n".join(out)
