"""Shared pieces of the lifecycle services: the program version in force, tier ranks, texts,
writing standings (with their audit events and the overall row) and deferred notices.

Nothing here is a use case; the use cases are ``claims``, ``settlement``, ``overrides``,
``refresh``, ``baseline`` and ``cycles``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q

from partnerprogram.audit.services import audit_record_bulk
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
        pass
    close = list(
        Partner.objects.filter(external_id__icontains=external_id.strip())
        .order_by("external_id")
        .values_list("external_id", flat=True)[:3]
    )
    hint = f"; did you mean {', '.join(close)}?" if close and external_id.strip() else ""
    raise PartnerNotFound(
        f"partner {external_id!r} not found: give the partner's external id, as listed by "
        "`partnerprogram standing --summary --list` or in the admin (Partners)" + hint
    )


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
    before: Mapping[tuple[int, str], Standing | None] | Sequence[Standing | None],
    note: str = "",
) -> list[Standing]:
    """Insert new standing rows (one bulk INSERT) and their audit events (one bulk INSERT too,
    ``audit.services.audit_record_bulk``), each with the change from the standing in effect
    before to the new one: ``before[(partner, track)]``, or ``before[i]`` for ``rows[i]`` when
    ``before`` is a list (several rows of the same partner and track, as in an
    ``OverallPlan``)."""
    created = Standing.objects.bulk_create(list(rows), batch_size=500)
    entries: list[tuple[Standing, dict[str, tuple[Any, Any]], str]] = []
    for i, row in enumerate(created):
        old = before.get((row.partner_id, row.track)) if isinstance(before, Mapping) else before[i]
        changes: dict[str, tuple[Any, Any]] = {
            "tier": (old.tier if old else None, row.tier),
            "status": (old.status if old else None, row.status),
            "valid_from": (None, _jsonable(row.valid_from)),
            "valid_until": (None, _jsonable(row.valid_until)),
        }
        if row.priority:
            changes["priority"] = (old.priority if old else None, row.priority)
        if row.frozen_until:
            changes["frozen_until"] = (
                _jsonable(old.frozen_until) if old else None,
                _jsonable(row.frozen_until),
            )
        if row.grandfathered_until:
            changes["grandfathered_until"] = (None, _jsonable(row.grandfathered_until))
        entries.append((row, changes, note or row.reason[:500]))
    audit_record_bulk(actor=actor, action="standing.created", entries=entries)
    return created


@dataclass
class OverallPlan:
    """Overall rows to write and, for each (same index), the overall standing in effect that
    it replaces (for the audit)."""

    rows: list[Standing] = field(default_factory=list)
    before: list[Standing | None] = field(default_factory=list)

    def add(self, row: Standing, old: Standing | None) -> None:
        self.rows.append(row)
        self.before.append(old)


def _track_order(program: Program) -> dict[str, int]:
    # alphabetical: a definition read back from PostgreSQL jsonb does not keep the YAML order
    return {t: i for i, t in enumerate(sorted(program.track_keys))}


def _best(program: Program, rows: Iterable[Standing], order: Mapping[str, int]) -> Standing:
    """The row with the highest tier (ties: the first track alphabetically)."""
    return max(rows, key=lambda r: (rank(program, r.tier), -order.get(r.track, 99)))


def _tracks_detail(rows: Iterable[Standing], order: Mapping[str, int]) -> dict[str, str | None]:
    return {r.track: r.tier or None for r in sorted(rows, key=lambda r: order.get(r.track, 99))}


def _overall_texts(
    program: Program, best: Standing, tracks: Mapping[str, str | None], *, overriding: bool
) -> tuple[str, str]:
    parts_en = ", ".join(
        f"{track_text(program, t)}: {tier_text(program, tier)}" for t, tier in tracks.items()
    )
    parts_fr = ", ".join(
        f"{track_text(program, t, 'fr')} : {tier_text(program, tier, 'fr')}"
        for t, tier in tracks.items()
    )
    while_en = " while an override applies" if overriding else ""
    while_fr = " pendant une dérogation" if overriding else ""
    en = (
        f"Highest tier over the tracks{while_en}: {tier_text(program, best.tier)} "
        f"({parts_en}; {best.status})."
    )
    fr = (
        f"Niveau le plus élevé des parcours{while_fr} : {tier_text(program, best.tier, 'fr')} "
        f"({parts_fr} ; {best.status})."
    )
    return en, fr


def _overall_row(
    *,
    pid: int,
    program: Program,
    best: Standing,
    tracks: Mapping[str, str | None],
    valid_from: date,
    valid_until: date | None,
    priority: int,
    override_id: int | None,
    decided_by: str,
) -> Standing:
    en, fr = _overall_texts(program, best, tracks, overriding=priority > 0)
    return Standing(
        partner_id=pid,
        track=OVERALL,
        tier=best.tier,
        status=best.status,
        valid_from=valid_from,
        valid_until=valid_until,
        frozen_until=best.frozen_until,
        grandfathered_until=best.grandfathered_until,
        priority=priority,
        reason=en,
        reason_detail={
            "text": {"en": en, "fr": fr},
            "tracks": dict(tracks),
            "from_track": best.track,
        },
        program_version_id=best.program_version_id,
        assessment_id=best.assessment_id,
        cycle_id=best.cycle_id,
        claim_id=best.claim_id,
        override_id=override_id,
        decided_by=decided_by,
    )


def _protections(row: Standing) -> tuple[object, ...]:
    return (row.tier, row.status, row.frozen_until, row.grandfathered_until)


def _winner(rows: Iterable[Standing]) -> Standing | None:
    """The ``standing_on`` rule over rows all in effect on the same day."""
    return max(rows, key=lambda r: (r.priority, r.valid_from, r.pk or 0), default=None)


def overall_plan(
    *,
    partner_ids: Iterable[int],
    on: date,
    program: Program,
    decided_by: str,
) -> OverallPlan:
    """The overall standing (``track`` blank) of each partner from ``on``, to call once the
    track rows of a decision are written. Two layers:

    - **priority 0** (what shows when no override applies): the highest tier over the tracks'
      priority-0 standings in effect on ``on``; planned only when it differs from the
      priority-0 overall standing in effect (tier, status, protections or end);
    - **override priority**, while an override applies to any track of the partner on or
      after ``on``: over each stretch of days (from ``on`` to the end of its last override)
      where an override is in effect, the highest tier over the tracks' *winning* standings
      (overrides included), at the override's priority and ending with the stretch, so that
      it shadows the overall rows that would otherwise show stale tiers (an override row
      granted earlier, or the priority-0 row); planned only where the overall standing in
      effect at that priority differs.

    An overall row copies status, protections, cycle, claim, assessment and version from the
    track row that gives the highest tier (ties: the first track alphabetically); the
    priority-0 row also copies its end. Two queries (the standings on ``on``, the overrides
    ending after it), plus one for the rows of the partners with such an override.
    """
    ids = list(partner_ids)
    current = base_standings_on(on=on, partner_ids=ids)
    order = _track_order(program)
    by_partner: dict[int, list[Standing]] = {}
    for (pid, track), row in current.items():
        if track != OVERALL:
            by_partner.setdefault(pid, []).append(row)
    plan = OverallPlan()
    for pid in ids:
        rows = by_partner.get(pid)
        if not rows:
            continue
        best = _best(program, rows, order)
        old = current.get((pid, OVERALL))
        if old is not None and (*_protections(old), old.valid_until) == (
            *_protections(best),
            best.valid_until,
        ):
            continue
        plan.add(
            _overall_row(
                pid=pid,
                program=program,
                best=best,
                tracks=_tracks_detail(rows, order),
                valid_from=on,
                valid_until=best.valid_until,
                priority=0,
                override_id=None,
                decided_by=decided_by,
            ),
            old,
        )
    _override_layer(plan, ids=ids, on=on, program=program, decided_by=decided_by)
    return plan


def _override_layer(
    plan: OverallPlan, *, ids: list[int], on: date, program: Program, decided_by: str
) -> None:
    """Add to ``plan`` the override-priority overall rows (see ``overall_plan``)."""
    horizon: dict[int, date] = {}
    for pid, until in (
        Standing.objects.filter(partner_id__in=ids, priority__gt=0, valid_until__gt=on)
        .exclude(track=OVERALL)
        .values_list("partner_id", "valid_until")
    ):
        if until is not None:  # always set on an override row
            horizon[pid] = max(until, horizon.get(pid, until))
    if not horizon:
        return
    rows_of: dict[int, list[Standing]] = {}
    for row in (
        Standing.objects.filter(partner_id__in=list(horizon), valid_from__lt=max(horizon.values()))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=on))
        .order_by("partner_id", "id")
    ):
        rows_of.setdefault(row.partner_id, []).append(row)
    order = _track_order(program)
    for pid in ids:
        end = horizon.get(pid)
        if end is None:
            continue
        rows = rows_of.get(pid, [])
        bounds = sorted(
            {on, end}
            | {
                d
                for r in rows
                for d in (r.valid_from, r.valid_until)
                if d is not None and on < d < end
            }
        )
        pending: Standing | None = None  # the planned row, extended over equal stretches
        for start, until in pairwise(bounds):
            live = [
                r
                for r in rows
                if r.valid_from <= start and (r.valid_until is None or r.valid_until > start)
            ]
            winners: dict[str, Standing] = {}
            for r in live:
                if r.track == OVERALL:
                    continue
                w = winners.get(r.track)
                if w is None or (r.priority, r.valid_from, r.pk) > (w.priority, w.valid_from, w.pk):
                    winners[r.track] = r
            overriding = [w for w in winners.values() if w.priority > 0]
            if not overriding:
                pending = None
                continue
            best = _best(program, winners.values(), order)
            tracks = _tracks_detail(winners.values(), order)
            priority = max(w.priority for w in overriding)
            shown = _winner(r for r in live if r.track == OVERALL)
            if (
                shown is not None
                and shown.priority >= priority
                and _protections(shown) == _protections(best)
            ):
                pending = None
                continue
            if (
                pending is not None
                and pending.valid_until == start
                and pending.priority == priority
                and _protections(pending) == _protections(best)
                and pending.reason_detail["tracks"] == tracks
            ):
                pending.valid_until = until
                continue
            cause = (
                best if best.priority > 0 else min(overriding, key=lambda r: order.get(r.track, 99))
            )
            pending = _overall_row(
                pid=pid,
                program=program,
                best=best,
                tracks=tracks,
                valid_from=start,
                valid_until=until,
                priority=priority,
                override_id=cause.override_id,
                decided_by=decided_by,
            )
            plan.add(pending, shown)


def until_text(until: date | None, lang: str = "en") -> str:
    """``through 2027-12-31`` for an exclusive end 2028-01-01 (``open-ended`` for None)."""
    if until is None:
        return "open-ended" if lang == "en" else "sans fin"
    last = (until - ONE_DAY).isoformat()
    return f"through {last}" if lang == "en" else f"jusqu'au {last} inclus"
