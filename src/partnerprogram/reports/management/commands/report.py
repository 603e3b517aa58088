"""``partnerprogram report kpis --as-of DATE [--currency EUR] [--format table|json]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from partnerprogram.core.cli_output import (
    check_output,
    parse_date,
    percent,
    to_json,
    write_output,
)
from partnerprogram.reports.kpis import kpis_compute


class Command(BaseCommand):
    help = "Channel reports. `report kpis --as-of DATE`: partners, activity, tiers, shares."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True)
        kpis = sub.add_parser("kpis", help="KPIs as of a date (trailing 12 months)")
        kpis.add_argument("--as-of", required=True, help="date YYYY-MM-DD")
        kpis.add_argument("--currency", default="EUR", help="reporting currency (ISO 4217)")
        kpis.add_argument("--format", choices=["table", "json"], default="table")
        kpis.add_argument("--output", help="write to this file instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_date(options["as_of"], option="--as-of")
        check_output(options.get("output"))
        kpis = kpis_compute(as_of=as_of, currency=options["currency"].upper())
        if options["format"] == "json":
            text = to_json(kpis.to_dict())
        else:
            lines = [
                f"KPIs as of {as_of} (trailing 12 months, {kpis.currency})",
                f"  partners                 {kpis.partners}",
                f"  active partners          {kpis.active_partners}",
                f"  bookings                 {kpis.total_bookings:,.0f}",
                f"  indirect bookings        {kpis.indirect_bookings:,.0f}",
                f"  indirect share           {percent(kpis.indirect_share)}",
                f"  CCSP cloud usage         {kpis.cloud_usage:,.0f}",
                f"  CCSP share               {percent(kpis.ccsp_share)} of partner bookings",
                f"  CCSP growth              {percent(kpis.ccsp_growth)} year on year",
                "  previous tiers           "
                + ", ".join(f"{k} {v}" for k, v in sorted(kpis.previous_by_tier.items())),
            ]
            if kpis.evaluation:
                ev = kpis.evaluation
                lines.append(
                    f"  tiers ({ev['program']} {ev['version']} as of {ev['as_of']})  "
                    + ", ".join(f"{k} {v}" for k, v in sorted(kpis.by_tier.items()))
                )
            text = "\n".join(lines) + "\n"
        write_output(text, output=options.get("output"), stdout=self.stdout)
