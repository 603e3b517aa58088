"""``partnerprogram override --partner EXT --track TRACK --tier TIER --reason TEXT
--approver USER --until DATE [--from DATE] [--simulate] [--by USER] [--program KEY]
[--format text|json]``.

Sets a partner's standing in a track by hand from ``--from`` (default: today) through
``--until`` (the last day it applies, inclusive). Reason, approver and end are required;
``--from`` before today (program zone) is refused unless ``--simulate`` (no rewriting of
history).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerprogram.core.cli_output import to_json
from partnerprogram.standings.management.commands._options import (
    add_simulate,
    day_not_past,
    parse_day,
    program_option,
    run,
    user_option,
    zone_of,
)
from partnerprogram.standings.presenters import override_json, standing_json, standing_line
from partnerprogram.standings.services.common import ONE_DAY, partner_get
from partnerprogram.standings.services.overrides import override_grant


class Command(BaseCommand):
    help = "Grant an override: a standing set by hand, with reason, approver and end date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partner", required=True, help="partner external id")
        parser.add_argument("--track", required=True, help="track key")
        parser.add_argument("--tier", required=True, help="tier key")
        parser.add_argument("--reason", help="why (required)")
        parser.add_argument("--approver", help="who approved it (required)")
        parser.add_argument("--until", help="last day it applies, YYYY-MM-DD (required)")
        parser.add_argument(
            "--from",
            dest="start",
            help="first day (default: today; not before today unless --simulate)",
        )
        add_simulate(parser)
        parser.add_argument("--by", help="user granting it (default: the OS user)")
        parser.add_argument("--program", help="program key (default: the only program)")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        program = program_option(options["program"])
        zone = zone_of(program)
        start = parse_day(options["start"], zone=zone, option="--from")
        partner = run(lambda: partner_get(options["partner"]))
        subject = (
            f"override of partner {partner.external_id} in track {options['track']!r} "
            f"at tier {options['tier']!r}"
        )
        what = f"{subject} refused"
        for name, flag in (("reason", "--reason"), ("approver", "--approver")):
            if not (options[name] or "").strip():
                raise CommandError(f"{what}: {flag} is required", returncode=2)
        if not options["until"]:
            raise CommandError(f"{what}: --until (the last day) is required", returncode=2)
        last = parse_day(options["until"], zone=zone, option="--until")
        day_not_past(start, zone=zone, simulate=options["simulate"], what=subject, option="--from")
        granted = run(
            lambda: override_grant(
                partner=partner,
                track=options["track"],
                tier=options["tier"],
                reason=options["reason"],
                approver=options["approver"],
                starts_on=start,
                ends_on=last + ONE_DAY,
                actor=f"user:{user_option(options['by'])}",
                program=program,
            )
        )
        if options["format"] == "json":
            self.stdout.write(
                to_json(
                    {
                        "override": override_json(granted.override),
                        "standing": standing_json(granted.standing),
                        "overall": standing_json(granted.overall),
                    }
                )
            )
            return
        o = granted.override
        self.stdout.write(
            f"override {o.pk}: {partner.external_id} {o.track} = {o.tier} from {o.starts_on} "
            f"through {last}, approved by {o.approver}: {o.reason}"
        )
        self.stdout.write(f"standing: {standing_line(granted.standing)}")
        if granted.overall is not None:
            self.stdout.write(f"overall: {standing_line(granted.overall)}")
