"""``partnerprogram demo-story [--as-of DATE] [--format text|json]``: the founding case told on
the reference data — tiers under the previous program, under 2026.1 and under 2026.2, the
previous Premier partners that would fall, and the channel KPIs."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerprogram.core.cli_output import parse_date, percent, to_json, to_table
from partnerprogram.demo.story import story_compute
from partnerprogram.programs.selectors import ProgramVersionNotFound
from partnerprogram.reports.kpis import kpis_compute


class Command(BaseCommand):
    help = "Tell the reference story: previous program vs 2026.1 vs 2026.2, and the KPIs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", default="pex-fr")
        parser.add_argument("--versions", nargs="+", default=["2026.1", "2026.2"])
        parser.add_argument("--as-of", default="2026-12-31")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_date(options["as_of"], option="--as-of")
        try:
            story = story_compute(
                program=options["program"], versions=options["versions"], as_of=as_of
            )
        except ProgramVersionNotFound as exc:
            raise CommandError(str(exc), returncode=2) from exc
        kpis = kpis_compute(as_of=as_of)
        if options["format"] == "json":
            story["versions"] = [asdict(v) for v in story["versions"]]
            story["kpis"] = kpis.to_dict()
            self.stdout.write(to_json(story))
            return
        tiers = story["tiers"]
        versions = story["versions"]
        rows = [
            [tier, story["previous_by_tier"][tier], *[v.by_tier[tier] for v in versions]]
            for tier in reversed(tiers)
        ]
        rows.append(
            [
                "(no tier)",
                kpis.partners - sum(story["previous_by_tier"].values()),
                *[v.unassessed for v in versions],
            ]
        )
        top, second = tiers[-1], tiers[-2]
        rows.append(
            [
                f"{top} + {second}",
                story["previous_by_tier"][top] + story["previous_by_tier"][second],
                *[v.by_tier[top] + v.by_tier[second] for v in versions],
            ]
        )
        out = [
            f"{options['program']}: tiers as of {as_of} "
            f"({kpis.partners} partners, {kpis.active_partners} active)",
            "",
            to_table(["tier", "previous program", *[v.version for v in versions]], rows),
        ]
        previous_top = story["previous_by_tier"][top]
        for v in versions:
            out.append(
                f"{v.version}: {v.kept} of the {previous_top} previous {top} partners keep "
                f"{top} ({v.grandfathered} by grandfathering), {len(v.fallen)} fall"
                + (":" if v.fallen else ".")
            )
            for f in v.fallen:
                missing = "; ".join(f["missing"]) or "-"
                out.append(
                    f"  - {f['name']} ({f['external_id']}) -> {f['tier'] or 'none'}: {missing}"
                )
        out += [
            "",
            f"indirect share of revenue {percent(kpis.indirect_share)} (goal 80 %), "
            f"CCSP share of partner bookings {percent(kpis.ccsp_share)}, "
            f"CCSP growth {percent(kpis.ccsp_growth)}",
            "(evaluation runs stored: "
            + ", ".join(f"{v.version} -> run {v.run}" for v in versions)
            + "; details: partnerprogram evaluate --program "
            + f"{options['program']} --version {versions[-1].version} --as-of {as_of})",
        ]
        self.stdout.write("\n".join(out))
