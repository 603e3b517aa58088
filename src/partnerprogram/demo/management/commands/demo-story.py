"""``partnerprogram demo-story [--as-of DATE] [--no-lifecycle] [--format text|json]``: the
founding case told on the reference data — tiers under the previous program, under 2026.1 and
under 2026.2, the previous Premier partners that would fall, the channel KPIs, then the
lifecycle: claims, probation, settlement on 31 December, the freeze and the CCSP opening
(a simulation into 2027: what it writes is rolled back unless ``--keep-lifecycle``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerprogram.core.cli_output import parse_date, percent, to_json, to_table
from partnerprogram.demo.story import LifecycleStory, lifecycle_compute, story_compute
from partnerprogram.programs.selectors import ProgramVersionNotFound
from partnerprogram.reports.kpis import kpis_compute
from partnerprogram.standings.errors import StandingsError
from partnerprogram.standings.models import Standing


class Command(BaseCommand):
    help = "Tell the reference story: previous program vs 2026.1 vs 2026.2, and the KPIs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", default="pex-fr")
        parser.add_argument("--versions", nargs="+", default=["2026.1", "2026.2"])
        parser.add_argument("--as-of", default="2026-12-31")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--no-lifecycle", action="store_true", help="only compare the versions")
        parser.add_argument(
            "--keep-lifecycle",
            action="store_true",
            help="keep what the simulated lifecycle writes (standings through 2027)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_date(options["as_of"], option="--as-of")
        if not options["no_lifecycle"] and Standing.objects.exists():
            raise CommandError(
                "the lifecycle part of the story runs once, on a fresh reference database (it "
                "files claims and settles the cycles): run `make reference` again, or pass "
                "--no-lifecycle",
                returncode=2,
            )
        try:
            story = story_compute(
                program=options["program"], versions=options["versions"], as_of=as_of
            )
        except ProgramVersionNotFound as exc:
            raise CommandError(str(exc), returncode=2) from exc
        kpis = kpis_compute(as_of=as_of)
        lifecycle = None
        if not options["no_lifecycle"]:
            try:
                lifecycle = lifecycle_compute(
                    program=options["program"], keep=options["keep_lifecycle"]
                )
            except StandingsError as exc:
                raise CommandError(str(exc), returncode=2) from exc
        if options["format"] == "json":
            story["versions"] = [asdict(v) for v in story["versions"]]
            story["kpis"] = kpis.to_dict()
            story["lifecycle"] = asdict(lifecycle) if lifecycle else None
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
                gap = f", for {f['missing_for']}" if f.get("missing_for") else ""
                out.append(
                    f"  - {f['name']} ({f['external_id']}) -> {f['tier'] or 'none'}{gap}: {missing}"
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
        if lifecycle is not None:
            out += ["", *self._lifecycle(lifecycle)]
        self.stdout.write("\n".join(out))

    def _lifecycle(self, story: LifecycleStory) -> list[str]:
        def counts(data: dict[str, int]) -> str:
            return ", ".join(f"{k} {v}" for k, v in data.items() if v) or "none"

        rows = [
            [
                tier,
                story.before["by_tier"].get(tier, 0),
                story.after["by_tier"].get(tier, 0),
                story.ccsp_after["by_tier"].get(tier, 0),
            ]
            for tier in story.after["by_tier"]
        ]
        status_rows = [
            [
                status,
                story.before["by_status"].get(status, 0),
                story.after["by_status"].get(status, 0),
                story.ccsp_after["by_status"].get(status, 0),
            ]
            for status in sorted(
                set(story.before["by_status"])
                | set(story.after["by_status"])
                | set(story.ccsp_after["by_status"])
            )
        ]
        header = ["", "2026-12-31 (before)", "2027-01-01 (settled)", "2027-04-01 (CCSP)"]
        return [
            "Lifecycle (standings, overall):",
            f"  2026-07-01 baseline from the previous program: {counts(story.baseline)}",
            f"  2026-10-01 claims filed under 2026.2: {counts(story.claims)}",
            f"  2026-11-01 risk notices (60 days before the deadline): "
            f"{story.risks['probation']} claims at risk, "
            f"{story.risks['credential_expiry']} credential expiry risks",
            f"  2026-12-31 a CCSP claim is refused: {story.ccsp_refused}",
            f"  2027-01-01 00:00 Europe/Paris settlement: claims {counts(story.settlement)}; "
            f"standings frozen through {story.frozen_through}",
            f"  2027-01-02 CCSP track open: {story.ccsp_claims} claims; settled 2027-04-01: "
            f"{counts(story.ccsp_settlement)}",
            f"  2027-06-30 re-evaluation during the freeze: {story.refresh_changes} changes",
            "",
            to_table(["tier", *header[1:]], rows),
            to_table(["status", *header[1:]], status_rows),
        ]
