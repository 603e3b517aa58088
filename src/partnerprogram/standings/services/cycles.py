"""Claims cycles from the program versions: ``cycles_plan`` (pure read) and ``cycles_sync``
(store them; idempotent).

A version's ``cycle`` block is the program-wide cycle (``track`` blank: every track without a
cycle of its own); ``tracks.<t>.cycle`` is the own cycle of track ``t`` (CCSP opens on
2027-01-01 with claims 2027-01-01..2027-03-31). A cycle is identified by (program, track,
claims_open); when several versions define it, the latest version in force wins while the cycle
is open; a settled cycle never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from partnerprogram.audit.services import audit_record
from partnerprogram.core.periods import add_months
from partnerprogram.programs.models import ProgramVersion
from partnerprogram.programs.schema import Cycle as CycleDef
from partnerprogram.programs.schema import Program
from partnerprogram.programs.selectors import program_definition
from partnerprogram.standings.errors import StandingsError
from partnerprogram.standings.models import OVERALL, Cycle
from partnerprogram.standings.services.common import ONE_DAY


@dataclass(frozen=True)
class CyclePlan:
    """A cycle as the program versions define it."""

    track: str
    claims_open: date
    claim_deadline: date
    freeze_months: int
    freeze_until: date
    promotions_during_freeze: bool
    timezone: str
    version: ProgramVersion

    def fields(self) -> dict[str, object]:
        return {
            "claim_deadline": self.claim_deadline,
            "freeze_months": self.freeze_months,
            "freeze_until": self.freeze_until,
            "promotions_during_freeze": self.promotions_during_freeze,
            "timezone": self.timezone,
        }


def freeze_end(deadline: date, months: int) -> date:
    """First day after the freeze (exclusive): ``add_months(deadline, months) + 1 day``; the
    deadline + 1 day (no freeze) when ``months`` is 0."""
    return add_months(deadline, months) + ONE_DAY


def _plan(track: str, cycle: CycleDef, program: Program, version: ProgramVersion) -> CyclePlan:
    return CyclePlan(
        track=track,
        claims_open=cycle.claims_open,
        claim_deadline=cycle.claim_deadline,
        freeze_months=cycle.freeze_months,
        freeze_until=freeze_end(cycle.claim_deadline, cycle.freeze_months),
        promotions_during_freeze=cycle.promotions_during_freeze,
        timezone=program.timezone,
        version=version,
    )


def cycle_key_for(program: Program, track: str) -> tuple[str, CycleDef] | None:
    """(cycle track key, cycle definition) covering ``track`` in this version: the track's own
    cycle (key = the track) or the program's (key blank); ``None`` when there is none."""
    own = program.tracks[track].cycle
    if own is not None:
        return track, own
    if program.cycle is not None:
        return OVERALL, program.cycle
    return None


def cycle_tracks(program: Program, cycle_track: str) -> list[str]:
    """The tracks a cycle covers: its own track, or every track without a cycle of its own."""
    if cycle_track:
        return [cycle_track] if cycle_track in program.tracks else []
    return sorted(t for t in program.track_keys if program.tracks[t].cycle is None)


def cycles_plan(*, program: str, on: date | None = None) -> list[CyclePlan]:
    """Every cycle defined by the published versions of ``program`` in force on or before
    ``on`` (all published versions when ``on`` is None). The latest version defining a cycle
    gives its dates. Ordered by claims_open, then track. Reads only."""
    versions = ProgramVersion.objects.select_related("program").filter(
        program__key=program, status=ProgramVersion.Status.PUBLISHED
    )
    if on is not None:
        versions = versions.filter(effective_from__lte=on)
    plans: dict[tuple[str, date], CyclePlan] = {}
    for version in versions.order_by("effective_from", "loaded_at", "id"):
        definition = program_definition(version)
        if definition.cycle is not None:
            plan = _plan(OVERALL, definition.cycle, definition, version)
            _keep(plans, plan)
        for track, spec in definition.tracks.items():
            if spec.cycle is not None:
                _keep(plans, _plan(track, spec.cycle, definition, version))
    return sorted(plans.values(), key=lambda p: (p.claims_open, p.track))


def _keep(plans: dict[tuple[str, date], CyclePlan], plan: CyclePlan) -> None:
    key = (plan.track, plan.claims_open)
    old = plans.get(key)
    if old is None or old.fields() != plan.fields():
        plans[key] = plan


@dataclass(frozen=True)
class SyncedCycle:
    cycle: Cycle
    status: str  # created, updated, unchanged, kept (settled: never changed)


def cycles_sync(*, program: str, on: date | None = None, actor: str) -> list[SyncedCycle]:
    """Store the cycles of ``cycles_plan`` (idempotent): create missing ones, update the dates
    of open ones a later version changed, never touch settled ones. Audited. One transaction.
    Raises ``StandingsError`` when the program has no published version."""
    plans = cycles_plan(program=program, on=on)
    if not plans and not ProgramVersion.objects.filter(program__key=program).exists():
        raise StandingsError(
            f"program {program!r} is not loaded (load it with `partnerprogram program load FILE`)"
        )
    out: list[SyncedCycle] = []
    with transaction.atomic():
        for plan in plans:
            record = plan.version.program
            cycle = (
                Cycle.objects.select_for_update()
                .filter(program=record, track=plan.track, claims_open=plan.claims_open)
                .first()
            )
            if cycle is None:
                cycle = Cycle.objects.create(
                    program=record,
                    track=plan.track,
                    claims_open=plan.claims_open,
                    program_version=plan.version,
                    **plan.fields(),
                )
                audit_record(
                    actor=actor,
                    action="cycle.created",
                    obj=cycle,
                    changes={k: (None, v) for k, v in plan.fields().items()},
                    note=f"defined by {record.key} {plan.version.version}",
                )
                out.append(SyncedCycle(cycle, "created"))
                continue
            current = {k: getattr(cycle, k) for k in plan.fields()}
            if current == plan.fields():
                out.append(SyncedCycle(cycle, "unchanged"))
                continue
            if cycle.status == Cycle.Status.SETTLED:
                out.append(SyncedCycle(cycle, "kept"))
                continue
            changes = {k: (current[k], v) for k, v in plan.fields().items() if current[k] != v}
            for k, v in plan.fields().items():
                setattr(cycle, k, v)
            cycle.program_version = plan.version
            cycle.save()
            audit_record(
                actor=actor,
                action="cycle.updated",
                obj=cycle,
                changes=changes,
                note=f"redefined by {record.key} {plan.version.version}",
            )
            out.append(SyncedCycle(cycle, "updated"))
    return out
