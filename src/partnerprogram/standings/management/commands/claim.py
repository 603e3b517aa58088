"""``partnerprogram claim --partner EXT --track TRACK --tier TIER [--at DATETIME] [--simulate]
[--by USER] [--program KEY] [--format text|json]``.

Files a claim for the cycle in force (docs/lifecycle.md). A refused claim (before claims open,
after the deadline, unknown tier or track, track not in effect, not enrolled, dated before the
pending claim it would supersede...) prints the reason and exits with code 2; nothing is
written. ``--at`` later than now is refused unless ``--simulate``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from partnerprogram.core.cli_output import to_json
from partnerprogram.standings.management.commands._options import (
    add_simulate,
    instant_not_future,
    parse_instant,
    program_option,
    run,
    user_option,
    zone_of,
)
from partnerprogram.standings.presenters import claim_json, standing_json, standing_line
from partnerprogram.standings.services.claims import claim_file
from partnerprogram.standings.services.common import partner_get


class Command(BaseCommand):
    help = "File a partner's claim of a tier in a track for the current cycle."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partner", required=True, help="partner external id")
        parser.add_argument("--track", required=True, help="track key, e.g. solution_provider")
        parser.add_argument("--tier", required=True, help="tier key, e.g. premier")
        parser.add_argument(
            "--at",
            help="filing instant, ISO 8601 (default now; without offset: program time zone); "
            "not later than now unless --simulate",
        )
        add_simulate(parser)
        parser.add_argument("--by", help="user filing the claim (default: the OS user)")
        parser.add_argument("--program", help="program key (default: the only program)")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        program = program_option(options["program"])
        at = parse_instant(options["at"], zone=zone_of(program))
        instant_not_future(
            at,
            simulate=options["simulate"],
            what=f"claim of {options['tier']!r} in track {options['track']!r} for partner "
            f"{options['partner']}",
        )
        by = user_option(options["by"])
        partner = run(lambda: partner_get(options["partner"]))
        filed = run(
            lambda: claim_file(
                partner=partner,
                track=options["track"],
                tier=options["tier"],
                filed_by=by,
                at=at,
                program=program,
            )
        )
        if options["format"] == "json":
            self.stdout.write(
                to_json(
                    {
                        "claim": claim_json(filed.claim),
                        "superseded": claim_json(filed.superseded),
                        "standing": standing_json(filed.standing),
                    }
                )
            )
            return
        claim = filed.claim
        self.stdout.write(
            f"claim {claim.pk}: {partner.external_id} claims {claim.tier} in {claim.track} "
            f"(filed {claim.filed_at.isoformat()} by {claim.filed_by}; deadline "
            f"{claim.cycle.claim_deadline}, end of day {claim.cycle.timezone})"
        )
        if filed.superseded is not None:
            self.stdout.write(f"supersedes claim {filed.superseded.pk} ({filed.superseded.tier})")
        self.stdout.write(f"standing: {standing_line(filed.standing)}")
