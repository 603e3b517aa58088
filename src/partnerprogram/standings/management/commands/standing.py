"""``partnerprogram standing``: read and write standings.

- ``standing --partner EXT [--track T] [--on DATE] [--history] [--format text|json]``: the
  partner's standing on a date (overall and per track, or one track) with tier, status,
  validity, reason and the version that decided it; ``--history`` adds every row and the
  timeline of which row (and version) decided each period.
- ``standing --summary [--on DATE] [--track T] [--list] [--program KEY]``: the distribution on
  a date, ``by_tier`` and ``by_status`` (one query); ``--list`` adds each partner (external id,
  name, tier, status). Not combined with ``--partner``.
- ``standing baseline --program KEY [--on DATE] [--simulate]``: write the initial standings
  from the partners' previous tiers (default date: the program cycle's claims_open).
  Idempotent. A date after both today and that default is refused unless ``--simulate``.
- ``standing refresh --program KEY --on DATE [--simulate]``: re-evaluate and write the
  standings that change (frozen and provisional standings are kept). Idempotent. A date after
  today is refused unless ``--simulate``.

Statuses are shown as of ``--on``: a frozen standing whose freeze is over shows as
``qualified`` (``selectors.status_on``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerprogram.core.cli_output import to_json, to_table
from partnerprogram.standings.errors import StandingsError
from partnerprogram.standings.management.commands._options import (
    add_simulate,
    day_not_future,
    parse_day,
    program_option,
    run,
    zone_of,
)
from partnerprogram.standings.presenters import (
    claim_json,
    period_json,
    standing_json,
    standing_line,
)
from partnerprogram.standings.selectors import (
    claims_of,
    standing_history,
    standing_on,
    standing_periods,
    standing_summary,
    standings_of,
)
from partnerprogram.standings.services.baseline import baseline_date, standings_baseline
from partnerprogram.standings.services.common import partner_get, program_at
from partnerprogram.standings.services.refresh import standings_refresh


def _count(n: int, noun: str) -> str:
    """``1 partner``, ``421 partners`` (thousands separated)."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _baseline_text(program: str, result: dict[str, Any]) -> str:
    """The baseline's result in sentences and a tier table. ``by_tier`` counts track
    standings (one per partner and track), ``written`` adds one overall standing per partner
    (``standings_baseline``): written = track standings + overall standings."""
    track_rows = sum(result["by_tier"].values())
    overall_rows = result["written"] - track_rows
    partners = result["partners"]
    if not result["written"]:
        written = "standings written: 0"
    elif track_rows == partners == overall_rows:
        written = (
            f"standings written: {result['written']:,} ({_count(partners, 'partner')} × overall + "
            "one track each)"
        )
    else:
        written = (
            f"standings written: {result['written']:,} ({overall_rows:,} overall, one per "
            f"partner, + {track_rows:,} per track: {_count(partners, 'partner')}, some in several "
            "tracks)"
        )
    lines = [
        f"Baseline of {program} on {result['on']} (version {result['version']}): the tiers "
        "held under the previous program",
        f"  {written}",
    ]
    if result["skipped_existing"]:
        lines.append(
            "  left alone (already had a standing): "
            f"{_count(result['skipped_existing'], 'partner-track pair')}"
        )
    if result["no_previous_tier"]:
        lines.append(
            f"  no previous tier (no standing until a claim or the settlement): "
            f"{_count(result['no_previous_tier'], 'partner')}"
        )
    lines.append("  (partners only in tracks not open on that date get no standing)")
    if not track_rows:
        return "\n".join(lines) + "\n"
    heading = "partners" if track_rows == partners else "track standings"
    lines.append("")
    rows: list[list[Any]] = [[t, n] for t, n in result["by_tier"].items()]
    lines.append(to_table(["tier", heading], [*rows, ["total", track_rows]]))
    return "\n".join(lines).rstrip("\n") + "\n"


def _track_known(program: str, track: str, on: date, *, what: str = "standing") -> None:
    """Refuse a track unknown to the version in force on ``on`` (when one is)."""
    try:
        definition = program_at(program=program, on=on).program
    except StandingsError:
        return
    if track not in definition.tracks:
        raise CommandError(
            f"{what} of track {track!r}: unknown track in {program} "
            f"{definition.version} (tracks: {', '.join(sorted(definition.track_keys))})",
            returncode=2,
        )


class Command(BaseCommand):
    help = "Show a partner's standing or the distribution; write the baseline; refresh."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action", nargs="?", choices=["show", "baseline", "refresh"], default="show"
        )
        parser.add_argument("--partner", help="partner external id")
        parser.add_argument("--track", help="one track (default: overall and every track)")
        parser.add_argument("--on", help="date YYYY-MM-DD (default: today, program zone)")
        parser.add_argument("--history", action="store_true", help="every row and the timeline")
        parser.add_argument("--summary", action="store_true", help="distribution by tier/status")
        parser.add_argument(
            "--list", action="store_true", help="with --summary: each partner's standing"
        )
        add_simulate(parser)
        parser.add_argument("--program", help="program key (default: the only program)")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        program = program_option(options["program"])
        zone = zone_of(program)
        action = options["action"]
        if action == "baseline":
            start = parse_day(options["on"], zone=zone) if options["on"] else None
            if start is not None and not options["simulate"]:
                # the default date (the cycle's claims_open) may be ahead: it precedes every
                # decision of the cycle; a later date would shadow them
                try:
                    default = baseline_date(program=program)
                except StandingsError:
                    default = start
                if start > default:
                    day_not_future(
                        start, zone=zone, simulate=False, what=f"standing baseline of {program}"
                    )
            result = run(lambda: standings_baseline(program=program, on=start)).to_dict()
            self._out(options, result, _baseline_text(program, result))
            return
        if action == "refresh":
            if not options["on"]:
                raise CommandError("standing refresh: --on DATE is required", returncode=2)
            day = parse_day(options["on"], zone=zone)
            day_not_future(
                day, zone=zone, simulate=options["simulate"], what=f"standing refresh of {program}"
            )
            result = run(lambda: standings_refresh(program=program, on=day)).to_dict()
            self._out(options, result, self._kv(f"refresh of {program}", result))
            return
        on = parse_day(options["on"], zone=zone)
        if options["summary"]:
            if options["partner"]:
                raise CommandError(
                    "standing --summary is the distribution over all partners: it does not "
                    "take --partner (use `standing --partner EXT` for one partner)",
                    returncode=2,
                )
            track = options["track"] or ""
            if track:
                _track_known(program, track, on, what="standing --summary")
            summary = standing_summary(on=on, program=program, track=track, listed=options["list"])
            text = (
                f"{program} standings on {on} ({track or 'overall'}): "
                f"{summary['partners']} partners\n\n"
                + to_table(["tier", "partners"], list(summary["by_tier"].items()))
                + "\n"
                + to_table(["status", "partners"], list(summary["by_status"].items()))
            )
            if options["list"]:
                text += "\n" + to_table(
                    ["partner", "name", "tier", "status"],
                    [
                        [s["partner"], s["name"], s["tier"] or "-", s["status"]]
                        for s in summary["standings"]
                    ],
                )
            self._out(options, {"program": program, **summary}, text)
            return
        if options["list"]:
            raise CommandError("standing: --list goes with --summary", returncode=2)
        if not options["partner"]:
            raise CommandError(
                "standing: give --partner EXT, --summary, or an action (baseline, refresh)",
                returncode=2,
            )
        partner = run(lambda: partner_get(options["partner"]))
        track = options["track"]
        if track is not None:
            _track_known(program, track, on)
        if track is not None:
            current = {track: standing_on(partner=partner, track=track, on=on)}
        else:
            current = dict(standings_of(partner=partner, on=on))
        data: dict[str, Any] = {
            "partner": partner.external_id,
            "name": partner.name,
            "on": on.isoformat(),
        }
        if track is not None:
            data["standing"] = standing_json(current[track], on)
        else:
            data["standing"] = standing_json(current.get(""), on)
            data["tracks"] = {t: standing_json(s, on) for t, s in current.items() if t}
        lines = [f"{partner.name} ({partner.external_id}) on {on}"]
        if not current:
            lines.append(
                f"  no standing on {on} (none yet: a partner's first standing comes from the "
                "baseline, a claim or the settlement)"
            )
        for key, standing in current.items():
            lines.append(f"  {key or 'overall'}: {standing_line(standing, on)}")
            if standing is not None:
                lines.append(f"    {standing.reason}")
        if options["history"]:
            rows = standing_history(partner=partner, track=track)
            data["history"] = [standing_json(s) for s in rows]
            data["periods"] = [period_json(p) for p in standing_periods(rows)]
            data["claims"] = [claim_json(c) for c in claims_of(partner=partner, track=track)]
            lines.append("\ntimeline (which standing, and which version, decided each period):")
            lines.append(
                to_table(
                    ["track", "from", "through", "tier", "status", "version", "decided by"],
                    [
                        [
                            p["track"] or "overall",
                            p["from"],
                            p["through"] or "(open)",
                            p["tier"] or "-",
                            p["status"],
                            p["version"],
                            p["decided_by"],
                        ]
                        for p in data["periods"]
                    ],
                )
            )
        self._out(options, data, "\n".join(lines) + "\n")

    def _kv(self, title: str, data: dict[str, Any]) -> str:
        return title + "\n" + "".join(f"  {k}: {v}\n" for k, v in data.items())

    def _out(self, options: dict[str, Any], data: dict[str, Any], text: str) -> None:
        self.stdout.write(to_json(data) if options["format"] == "json" else text)
