"""Shared pieces of the lifecycle services: the program version in force, tier ranks, texts,
writing standings (with their audit events and the overall row) and deferred notices.

Nothing here is a use case; the use cases are ``claims``, ``settlement``, ``overrides``,
``refresh``, ``baseline`` and ``cycles``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q

from partnerprogram.audit.services import audit_record
from partnerprogram.notifications.services import notice_send
from partnerprogram.partners.models import Partner
from partnerprogram.programs.models import Program as ProgramRecord
from partnerprogram.programs.models import ProgramVersion
from partnerprogram.programs.schema import Program
from partnerprogram.programs.selectors import program_definition
from partnerprogram.standings.errors import PartnerNotFound, StandingsError
from partnerprogram.standings.models import OVERALL, Standing

ONE_DAY = timedelta(days=1)


# --------------------------------------------------------------------------- program in force


@dataclass(frozen=True)
class ProgramAt:
    """The version of a program in force on a date, with its validated definition."""

    record: ProgramRecord
    version: ProgramVersion
    program: Program
    on: date

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.program.timezone)


def program_key_resolve(program: str | None) -> str:
    """``program`` itself, or the only stored program when ``None`` (error when there are none
    or several)."""
    if program:
        return program
    keys = list(ProgramRecord.objects.order_by("key").values_list("key", flat=True)[:3])
    if len(keys) == 1:
        return keys[0]
    if not keys:
        raise StandingsError(
            "no program is loaded: load one with `partnerprogram program load FILE`"
        )
    raise StandingsError(f"several programs are loaded ({', '.join(keys)}…): give --program")


def _versions(program: str) -> list[ProgramVersion]:
    return list(
        ProgramVersion.objects.select_related("program")
        .filter(program__key=program, status=ProgramVersion.Status.PUBLISHED)
        .order_by("effective_from", "loaded_at", "id")
    )


def program_zone(program: str) -> ZoneInfo:
    """The time zone of ``program`` (from its latest published version)."""
    versions = _versions(program)
    if not versions:
        raise StandingsError(
            f"program {program!r} has no published version "
            "(load one with `partnerprogram program load FILE`)"
        )
    return ZoneInfo(str(versions[-1].definition.get("timezone", "UTC")))


def program_at(*, program: str, on: date) -> ProgramAt:
    """The published version of ``program`` in force on ``on`` (latest ``effective_from`` on or
    before it). Raises ``StandingsError`` naming the versions that exist."""
    versions = _versions(program)
    in_force = [v for v in versions if v.effective_from <= on]
    if not in_force:
        known = ", ".join(f"{v.version} (from {v.effective_from})" for v in versions) or "none"
        raise StandingsError(
            f"program {program!r} has no version in force on {on} (published versions: {known})"
        )
    version = in_force[-1]
    return ProgramAt(
        record=version.program, version=version, program=program_definition(version), on=on
    )


def program_first(*, program: str) -> ProgramAt | None:
    """The first published version of ``program`` (``None`` when there is none)."""
    versions = _versions(program)
    if not versions:
        return None
    first = versions[0]
    return ProgramAt(
        record=first.program,
        version=first,
        program=program_definition(first),
        on=first.effective_from,
    )


def program_at_instant(*, program: str, at: datetime) -> ProgramAt:
    """The version in force on the date of ``at`` in the program's time zone."""
    if at.tzinfo is None:
        raise ValueError("instants must be aware datetimes")
    return program_at(program=program, on=at.astimezone(program_zone(program)).date())


def local_date(at: datetime, zone: ZoneInfo | str) -> date:
    """The calendar date of the aware instant ``at`` in ``zone``."""
    return at.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone).date()


def partner_get(external_id: str) -> Partner:
    """The partner with that external id; ``PartnerNotFound`` otherwise."""
    try:
        return Partner.objects.get(external_id=external_id)
    except Partner.DoesNotExist:
        raise PartnerNotFound(
            f"partner {external_id!r} not found (give the partner's external id, e.g. P0001)"
        ) from None


def track_check(program: Program, track: str, *, what: str) -> None:
    """Refuse a track the version does not define."""
    if track not in program.tracks:
        raise StandingsError(
            f"{what}: unknown track {track!r} in {program.program} {program.version} "
            f"(tracks: {', '.join(program.track_keys)})"
        )


def tier_check(program: Program, tier: str, *, what: str) -> None:
    """Refuse a tier the version does not define."""
    if tier not in program.tier_keys:
        raise StandingsError(
            f"{what}: unknown tier {tier!r} in {program.program} {program.version} "
            f"(tiers: {', '.join(program.tier_keys)})"
        )


def offered_tiers(program: Program, track: str) -> tuple[str, ...]:
    """Tiers a track offers: up to the highest tier with a requirement in it (the lowest tier
    only when it has none) — the rule of ``programs.rules``."""
    ranks = [program.tier_rank(t) for t in program.requirements.get(track, {})]
    top = max(ranks) if ranks else 0
    return program.tier_keys[: top + 1]


def rank(program: Program, tier: str | None) -> int:
    """Rank of a tier (-1 for no tier or a tier this version does not know)."""
    if not tier or tier not in program.tier_keys:
        return -1
    return program.tier_rank(tier)


def tier_text(program: Program, tier: str | None, lang: str = "en") -> str:
    if not tier:
        return "no tier" if lang == "en" else "aucun niveau"
    if tier in program.tier_keys:
        return program.tier_name(tier, lang)
    return tier


def track_text(program: Program, track: str, lang: str = "en") -> str:
    if track == OVERALL:
        return "overall" if lang == "en" else "global"
    if track in program.tracks:
        return program.track_name(track, lang)
    return track


# --------------------------------------------------------------------------- reading standings


def base_standings_on(
    *, on: date, partner_ids: Iterable[int] | None = None, tracks: Sequence[str] | None = None
) -> dict[tuple[int, str], Standing]:
    """The priority-0 standing (the one below any override) of each (partner, track) on
    ``on``: one query. ``partner_ids``/``tracks`` restrict it (``None``: all)."""
    qs = Standing.objects.filter(priority=0, valid_from__lte=on).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=on)
    )
    if partner_ids is not None:
        qs = qs.filter(partner_id__in=list(partner_ids))
    if tracks is not None:
        qs = qs.filter(track__in=list(tracks))
    out: dict[tuple[int, str], Standing] = {}
    for row in qs.order_by("partner_id", "track", "-valid_from", "-id"):
        out.setdefault((row.partner_id, row.track), row)
    return out


def winning_standings_on(
    *, on: date, partner_ids: Iterable[int]
) -> dict[tuple[int, str], Standing]:
    """The standing in effect (overrides included) of each (partner, track) on ``on``."""
    qs = (
        Standing.objects.filter(partner_id__in=list(partner_ids), valid_from__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=on))
        .order_by("partner_id", "track", "-priority", "-valid_from", "-id")
    )
    out: dict[tuple[int, str], Standing] = {}
    for row in qs:
        out.setdefault((row.partner_id, row.track), row)
    return out


# --------------------------------------------------------------------------- notices


@dataclass
class Notice:
    """A notice to send once the writing transaction is over (see ``notices_send``)."""

    partner: Partner
    kind: str
    subject: dict[str, str]
    body: dict[str, str]
    dedupe_key: str
    on: date


def notices_send(notices: Iterable[Notice]) -> int:
    """Send deferred notices (``notifications.services.notice_send``): called after the
    service's transaction, so a rolled-back change sends nothing. Returns how many were new."""
    sent = 0
    for n in notices:
        if notice_send(
            partner=n.partner,
            kind=n.kind,
            subject=n.subject,
            body=n.body,
            dedupe_key=n.dedupe_key,
            on=n.on,
        ):
            sent += 1
    return sent


# --------------------------------------------------------------------------- writing standings


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def standings_create(
    rows: Sequence[Standing],
    *,
    actor: str,
    before: Mapping[tuple[int, str], Standing | None],
    note: str = "",
) -> list[Standing]:
    """Insert new standing rows (one bulk INSERT) and one audit event per row, with the change
    from the standing in effect before (``before[(partner, track)]``) to the new one."""
    created = Standing.objects.bulk_create(list(rows), batch_size=500)
    for row in created:
        old = before.get((row.partner_id, row.track))
        changes: dict[str, tuple[Any, Any]] = {
            "tier": (old.tier if old else None, row.tier),
            "status": (old.status if old else None, row.status),
            "valid_from": (None, _jsonable(row.valid_from)),
            "valid_until": (None, _jsonable(row.valid_until)),
        }
        if row.frozen_until:
            changes["frozen_until"] = (
                _jsonable(old.frozen_until) if old else None,
                _jsonable(row.frozen_until),
            )
        if row.grandfathered_until:
            changes["grandfathered_until"] = (None, _jsonable(row.grandfathered_until))
        audit_record(
            actor=actor,
            action="standing.created",
            obj=row,
            changes=changes,
            note=note or row.reason[:500],
        )
    return created


@dataclass
class OverallPlan:
    """Overall rows to write and the standings they replace (for the audit)."""

    rows: list[Standing] = field(default_factory=list)
    before: dict[tuple[int, str], Standing | None] = field(default_factory=dict)


def overall_plan(
    *,
    partner_ids: Iterable[int],
    on: date,
    program: Program,
    decided_by: str,
    overlay: Mapping[tuple[int, str], Standing] | None = None,
) -> OverallPlan:
    """The overall standing (``track`` blank) of each partner from ``on``: the highest tier
    over its tracks' priority-0 standings in effect on ``on`` (``overlay`` replaces some of
    them with rows about to be written). A row is planned only when it differs from the overall
    standing in effect (tier, status, protections or end). One query.

    The overall row copies status, protections, end, cycle, claim, assessment and version from
    the track row that gives the highest tier (ties: the first track alphabetically).
    """
    ids = list(partner_ids)
    current = base_standings_on(on=on, partner_ids=ids)
    for key, row in (overlay or {}).items():
        current[key] = row
    # alphabetical: a definition read back from PostgreSQL jsonb does not keep the YAML order
    order = {t: i for i, t in enumerate(sorted(program.track_keys))}
    by_partner: dict[int, list[Standing]] = {}
    for (pid, track), row in current.items():
        if track != OVERALL:
            by_partner.setdefault(pid, []).append(row)
    plan = OverallPlan()
    for pid in ids:
        rows = by_partner.get(pid)
        if not rows:
            continue
        best = max(rows, key=lambda r: (rank(program, r.tier), -order.get(r.track, 99)))
        tracks = {
            r.track: r.tier or None for r in sorted(rows, key=lambda r: order.get(r.track, 99))
        }
        old = current.get((pid, OVERALL))
        same = old is not None and (
            old.tier,
            old.status,
            old.frozen_until,
            old.grandfathered_until,
            old.valid_until,
        ) == (best.tier, best.status, best.frozen_until, best.grandfathered_until, best.valid_until)
        if same:
            continue
        parts_en = ", ".join(
            f"{track_text(program, t)}: {tier_text(program, tier)}" for t, tier in tracks.items()
        )
        parts_fr = ", ".join(
            f"{track_text(program, t, 'fr')} : {tier_text(program, tier, 'fr')}"
            for t, tier in tracks.items()
        )
        en = (
            f"Highest tier over the tracks: {tier_text(program, best.tier)} "
            f"({parts_en}; {best.status})."
        )
        fr = (
            f"Niveau le plus élevé des parcours : {tier_text(program, best.tier, 'fr')} "
            f"({parts_fr} ; {best.status})."
        )
        plan.rows.append(
            Standing(
                partner_id=pid,
                track=OVERALL,
                tier=best.tier,
                status=best.status,
                valid_from=on,
                valid_until=best.valid_until,
                frozen_until=best.frozen_until,
                grandfathered_until=best.grandfathered_until,
                priority=0,
                reason=en,
                reason_detail={
                    "text": {"en": en, "fr": fr},
                    "tracks": tracks,
                    "from_track": best.track,
                },
                program_version_id=best.program_version_id,
                assessment_id=best.assessment_id,
                cycle_id=best.cycle_id,
                claim_id=best.claim_id,
                decided_by=decided_by,
            )
        )
        plan.before[(pid, OVERALL)] = old
    return plan


def until_text(until: date | None, lang: str = "en") -> str:
    """``through 2027-12-31`` for an exclusive end 2028-01-01 (``open-ended`` for None)."""
    if until is None:
        return "open-ended" if lang == "en" else "sans fin"
    last = (until - ONE_DAY).isoformat()
    return f"through {last}" if lang == "en" else f"jusqu'au {last} inclus"
