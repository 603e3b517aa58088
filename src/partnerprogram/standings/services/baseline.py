"""The initial standings: the tiers partners held under the previous program.

Stated rules (docs/lifecycle.md): on ``on`` (default: the program cycle's ``claims_open`` in
the first version that defines one) every partner enrolled in a track in effect that day, whose
``previous_tier`` is a tier of the version in force, gets a standing at that tier in each such
track and overall: status ``qualified``, reason "tier held under the previous program", decided
by ``system:baseline``, open-ended. Partners without a previous tier get none (their first
standing comes from a claim or the settlement). Pairs (partner, track) that already have a
standing are left alone, so running it again writes nothing. No notice (nothing changed for the
partner).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from partnerprogram.programs.engine import population_select
from partnerprogram.programs.models import ProgramVersion
from partnerprogram.programs.selectors import program_definition
from partnerprogram.standings.errors import StandingsError
from partnerprogram.standings.models import OVERALL, SYSTEM_BASELINE, Standing
from partnerprogram.standings.services.common import (
    overall_plan,
    program_at,
    program_key_resolve,
    standings_create,
    tier_text,
    track_text,
)


@dataclass(frozen=True)
class BaselineResult:
    on: date
    version: str
    written: int
    partners: int
    skipped_existing: int
    no_previous_tier: int
    by_tier: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "version": self.version,
            "written": self.written,
            "partners": self.partners,
            "skipped_existing": self.skipped_existing,
            "no_previous_tier": self.no_previous_tier,
            "by_tier": self.by_tier,
        }


def baseline_date(*, program: str) -> date:
    """The default baseline date: ``claims_open`` of the program cycle of the first published
    version that has one."""
    for version in ProgramVersion.objects.filter(
        program__key=program, status=ProgramVersion.Status.PUBLISHED
    ).order_by("effective_from", "loaded_at"):
        cycle = program_definition(version).cycle
        if cycle is not None:
            return cycle.claims_open
    raise StandingsError(
        f"program {program!r} has no version with a cycle: give the baseline date (--on)"
    )


def standings_baseline(
    *, program: str | None = None, on: date | None = None, actor: str = SYSTEM_BASELINE
) -> BaselineResult:
    """Write the initial standings from ``Partner.previous_tier`` (see the module's rules).
    Side effects, in one transaction: standing rows (per track and overall) and one audit event
    each. Raises ``StandingsError`` when no version is in force on ``on``."""
    key = program_key_resolve(program)
    on = on or baseline_date(program=key)
    context = program_at(program=key, on=on)
    definition = context.program
    population = population_select(as_of=on, program=definition)
    existing = set(
        Standing.objects.filter(partner_id__in=[p.id for p in population]).values_list(
            "partner_id", "track"
        )
    )
    rows: list[Standing] = []
    skipped = no_previous = 0
    partners: set[int] = set()
    by_tier: Counter[str] = Counter()
    for partner in population:
        tracks = [t for t in partner.tracks if definition.track_active(t, on)]
        if not tracks:
            continue
        if partner.previous_tier not in definition.tier_keys:
            no_previous += 1
            continue
        tier = partner.previous_tier
        for track in tracks:
            if (partner.id, track) in existing:
                skipped += 1
                continue
            en = (
                f"{tier_text(definition, tier)}: tier held under the previous program "
                f"({track_text(definition, track)}), until the claims are settled."
            )
            fr = (
                f"{tier_text(definition, tier, 'fr')} : niveau détenu dans l'ancien programme "
                f"({track_text(definition, track, 'fr')}), jusqu'au traitement des candidatures."
            )
            rows.append(
                Standing(
                    partner_id=partner.id,
                    track=track,
                    tier=tier,
                    status=Standing.Status.QUALIFIED,
                    valid_from=on,
                    reason=en,
                    reason_detail={"text": {"en": en, "fr": fr}, "previous_tier": tier},
                    program_version=context.version,
                    decided_by=SYSTEM_BASELINE,
                )
            )
            partners.add(partner.id)
            by_tier[tier] += 1
    with transaction.atomic():
        standings_create(rows, actor=actor, before={})
        plan = overall_plan(
            partner_ids=sorted(partners), on=on, program=definition, decided_by=SYSTEM_BASELINE
        )
        # the overall row of a partner who already had one is left alone (idempotent)
        kept = [
            (row, old)
            for row, old in zip(plan.rows, plan.before, strict=True)
            if (row.partner_id, OVERALL) not in existing
        ]
        plan_rows = [row for row, _ in kept]
        standings_create(plan_rows, actor=actor, before=[old for _, old in kept])
    return BaselineResult(
        on=on,
        version=context.version.version,
        written=len(rows) + len(plan_rows),
        partners=len(partners),
        skipped_existing=skipped,
        no_previous_tier=no_previous,
        by_tier={t: by_tier.get(t, 0) for t in reversed(definition.tier_keys)},
    )
