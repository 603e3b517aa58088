"""The overview: standings, requirements of the current and next tier, the gap in words, a
projection at the claim deadline and what the partner may claim.

**Measured values.** The requirements are read from the partner's latest stored assessment of
the version in force (``programs.models.Assessment``), rebuilt with
``programs.selectors.assessment_explain``: the latest run dated on or before today, else (runs
dated ahead only, e.g. a simulated settlement) the run nearest to today. The page says which
date the values were measured on.

**Projection at the claim deadline** (stated, and said on the page): the criteria of the version
in force on the deadline are applied to

- the stored values of that assessment, except:
- ``certified_people`` and ``credentials``, recounted for the deadline from the partner's own
  people (``selectors.people.people_metric``: credentials expiring on or before it removed,
  known departures included) — exact;
- ``registered_opportunities`` whose status filter counts approved registrations but not
  expired ones: approved registrations whose protection ends after today and on or before the
  deadline (``expires_on`` in ``(today, deadline]``) and that the stored value counted are
  removed — the case where they expire without being won.

Other metrics (bookings, usage, the windows moving forward) are not projected: they keep the
stored value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnerprogram.partners.models import TrackEnrolment
from partnerprogram.portal import formats, presenters
from partnerprogram.portal.selectors.context import InForce, PortalContext, owned
from partnerprogram.portal.selectors.people import (
    PEOPLE_METRICS,
    Team,
    in_scope,
    people_metric,
    team_of,
    valid_on,
)
from partnerprogram.programs import rules
from partnerprogram.programs.models import Assessment
from partnerprogram.programs.schema import (
    Comparison,
    Component,
    MetricRef,
    Program,
    Score,
    iter_nodes,
)
from partnerprogram.programs.selectors import assessment_explain
from partnerprogram.sales.models import DealRegistration
from partnerprogram.standings.models import Claim, Cycle
from partnerprogram.standings.selectors import claims_of, cycles_list, standings_of


@dataclass(frozen=True)
class TierBlock:
    """One tier of a track: ``role`` is ``current`` or ``next``."""

    key: str
    name: str
    role: str
    met: bool
    rows: list[presenters.Row]
    no_requirement: bool


@dataclass(frozen=True)
class ExpiringCredential:
    person: str
    certification: str
    expires_on: date


@dataclass(frozen=True)
class ExpiringRegistration:
    customer_name: str
    product_line: str
    expires_on: date


@dataclass
class Projection:
    """The track at the claim deadline (see the module)."""

    deadline: date
    version: str
    measured_on: date
    target_name: str
    projected_name: str
    holds: bool | None
    lines: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    credentials: list[ExpiringCredential] = field(default_factory=list)
    registrations: list[ExpiringRegistration] = field(default_factory=list)


@dataclass
class TrackBlock:
    key: str
    name: str
    active: bool
    opens_on: date | None
    standing: presenters.StandingView | None
    measured_name: str
    tiers: list[TierBlock]
    gaps: list[str]
    next_name: str
    claim: Claim | None
    claim_tier_name: str
    claims_open: date | None
    deadline: date | None
    can_claim: bool
    claimable: list[tuple[str, str]]
    projection: Projection | None = None


@dataclass
class Overview:
    program_name: str
    version: str
    on: date
    overall: presenters.StandingView | None
    summary: str
    measured_on: date | None
    tracks: list[TrackBlock]
    claims: list[dict[str, object]]


def latest_assessment(ctx: PortalContext, current: InForce) -> Assessment | None:
    """The partner's assessment of the latest run of the version in force dated on or before
    today, else of the run nearest after today. One query."""
    past = Case(When(run__as_of__lte=ctx.on, then=Value(0)), default=Value(1))
    return (
        Assessment.objects.filter(partner_id=ctx.partner.pk, run__program_version=current.version)
        .select_related("run__program_version__program")
        .annotate(ahead=past)
        .order_by(
            "ahead",
            Case(When(ahead=0, then=F("run__as_of"))).desc(nulls_last=True),
            Case(When(ahead=1, then=F("run__as_of"))).asc(nulls_last=True),
            "-run_id",
        )
        .first()
    )


def tracks_of(ctx: PortalContext) -> dict[str, date]:
    """The tracks the partner is enrolled in today or will be (an enrolment not ended), in key
    order, with the first day of that enrolment (after today for a track it joins later). One
    query."""
    rows = (
        TrackEnrolment.objects.filter(partner_id=ctx.partner.pk)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=ctx.on))
        .values_list("track", "enrolled_on")
    )
    starts: dict[str, date] = {}
    for track, start in rows:
        if track not in starts or start < starts[track]:
            starts[track] = start
    return dict(sorted(starts.items()))


def _refs(program: Program, track: str, metric: str) -> list[MetricRef]:
    """The references of ``metric`` read by any tier of ``track`` (gates and score parts)."""
    refs: dict[str, MetricRef] = {}
    for root in program.requirements.get(track, {}).values():
        for node in iter_nodes(root):
            parts: list[Comparison | Component] = []
            if isinstance(node, Comparison):
                parts = [node]
            elif isinstance(node, Score):
                parts = list(node.score)
            for part in parts:
                if part.metric == metric:
                    refs.setdefault(part.ref.key, part.ref)
    return list(refs.values())


def _noun(ref: MetricRef, amount: Decimal, lang: str) -> str:
    noun = presenters.metric_noun(ref.metric, lang, amount)
    context = presenters.context_text(ref.where_dict(), ref.window, lang)
    return f"{noun} ({context})" if context else noun


def _registration_counted(
    reg: DealRegistration, ref: MetricRef, measured_on: date, fiscal_year_start: int
) -> bool:
    where = ref.where_dict()
    statuses = where.get("status")
    if statuses is not None and ("approved" not in statuses or "expired" in statuses):
        return False
    if statuses is None:
        return False  # every status counts: an expiry changes nothing
    lines = where.get("product_line")
    if lines is not None and reg.product_line not in lines:
        return False
    window = ref.window_obj
    if window is None:
        return False
    start, end = window.bounds(measured_on, fiscal_year_start)
    return start <= reg.registered_on < end


def _projection(
    ctx: PortalContext,
    *,
    track: str,
    deadline: date,
    target: str,
    base: dict[str, Decimal | None],
    measured_on: date,
    team: Team,
    registrations: list[DealRegistration],
    tracks: list[str],
) -> Projection | None:
    at = ctx.at(deadline)
    if at is None or track not in at.program.tracks:
        return None
    program, lang, on = at.program, ctx.lang, ctx.on
    values = dict(base)
    lines: list[str] = []
    when = formats.day(deadline)
    for metric in sorted(PEOPLE_METRICS):
        for ref in _refs(program, track, metric):
            now = people_metric(team, ref, on)
            then = people_metric(team, ref, deadline)
            values[ref.key] = then
            employed = {p.email.lower() for p in team.employed_on(on)}
            where = ref.where_dict()
            lost = [
                c
                for c in team.credentials
                if c.mail in employed  # type: ignore[attr-defined]
                and valid_on(c, on)
                and not valid_on(c, deadline)
                and in_scope(c, where)
            ]
            noun = _noun(ref, then, lang)
            numbers = {
                "n": len(lost),
                "date": when,
                "value": formats.number(then),
                "noun": noun,
                "today": formats.number(now),
            }
            if lost and then >= now:
                # the people whose credentials expire hold another one: no loss to announce
                lines.append(
                    ngettext(
                        "%(n)s credential expires before %(date)s; you would still have "
                        "%(value)s %(noun)s (the people concerned hold other credentials).",
                        "%(n)s credentials expire before %(date)s; you would still have "
                        "%(value)s %(noun)s (the people concerned hold other credentials).",
                        len(lost),
                    )
                    % numbers
                )
            elif lost:
                lines.append(
                    ngettext(
                        "After the expiry of %(n)s credential before %(date)s you would have "
                        "%(value)s %(noun)s (today %(today)s).",
                        "After the expiry of %(n)s credentials before %(date)s you would have "
                        "%(value)s %(noun)s (today %(today)s).",
                        len(lost),
                    )
                    % numbers
                )
            elif then != now:
                lines.append(
                    _("On %(date)s you would have %(value)s %(noun)s (today %(today)s).") % numbers
                )
    for ref in _refs(program, track, "registered_opportunities"):
        counted = [
            r
            for r in registrations
            if _registration_counted(r, ref, measured_on, program.fiscal_year_start)
        ]
        stored = base.get(ref.key)
        if not counted or stored is None:
            continue
        after = max(Decimal(0), stored - len(counted))
        values[ref.key] = after
        lines.append(
            ngettext(
                "%(n)s approved deal registration loses its protection before %(date)s: if it "
                "expires without being won you would have %(value)s %(noun)s (now %(now)s).",
                "%(n)s approved deal registrations lose their protection before %(date)s: if "
                "they expire without being won you would have %(value)s %(noun)s (now %(now)s).",
                len(counted),
            )
            % {
                "n": len(counted),
                "date": when,
                "value": formats.number(after),
                "noun": _noun(ref, after, lang),
                "now": formats.number(stored),
            }
        )
    result = rules.assess_partner(
        program,
        tracks_enrolled=[t for t in tracks if t in program.tracks],
        values=values,
        previous_tier=ctx.partner.previous_tier or None,
        as_of=deadline,
    )
    track_result = result.tracks.get(track)
    if track_result is None:
        return None
    projected, _rule = rules.apply_grandfathering(
        program,
        previous_tier=ctx.partner.previous_tier or None,
        qualified_tier=track_result.qualified_tier,
        as_of=deadline,
    )
    holds = None
    gaps: list[str] = []
    if target and target in program.tier_keys:
        rank = program.tier_rank(projected) if projected else -1
        holds = rank >= program.tier_rank(target)
        if not holds:
            gaps = presenters.gap_sentences(
                track_result.tier_result(target).requirement,
                currency=program.currency,
                lang=lang,
            )
    people = {p.email.lower(): f"{p.first_name} {p.last_name}".strip() for p in team.people}
    employed_now = {p.email.lower() for p in team.employed_on(on)}
    expiring = [
        ExpiringCredential(
            person=people.get(c.mail, ""),  # type: ignore[attr-defined]
            certification=f"{c.certification.code} — {c.certification.name}",
            expires_on=c.expires_on,
        )
        for c in team.credentials
        if c.expires_on is not None
        and c.mail in employed_now  # type: ignore[attr-defined]
        and valid_on(c, on)
        and c.expires_on <= deadline
    ]
    return Projection(
        deadline=deadline,
        version=at.version.version,
        measured_on=measured_on,
        target_name=presenters.tier_name(program, target, lang) if target else "",
        projected_name=presenters.tier_name(program, projected, lang),
        holds=holds,
        lines=lines,
        gaps=gaps,
        credentials=expiring,
        registrations=[
            ExpiringRegistration(r.customer_name, r.product_line, r.expires_on)  # type: ignore[arg-type]
            for r in registrations
        ],
    )


def _tier_blocks(
    program: Program, track_result: rules.TrackResult, current: str | None, lang: str
) -> tuple[list[TierBlock], list[str], str]:
    keys = program.tier_keys
    offered = [t.tier for t in track_result.tiers if t.offered]
    blocks: list[TierBlock] = []
    rank = keys.index(current) if current in keys else -1
    nxt = keys[rank + 1] if rank + 1 < len(keys) and keys[rank + 1] in offered else None
    gaps: list[str] = []
    for key, role in ((current, "current"), (nxt, "next")):
        if key is None or key not in offered:
            continue
        tier = track_result.tier_result(key)
        blocks.append(
            TierBlock(
                key=key,
                name=program.tier_name(key, lang),
                role=role,
                met=tier.met,
                rows=presenters.requirement_rows(
                    tier.requirement, currency=program.currency, lang=lang
                ),
                no_requirement=tier.requirement is None,
            )
        )
        if role == "next":
            gaps = presenters.gap_sentences(tier.requirement, currency=program.currency, lang=lang)
    return blocks, gaps, program.tier_name(nxt, lang) if nxt else ""


def _cycle_settled(cycles: list[Cycle], program: Program, track: str) -> bool:
    cycle = program.cycle_for(track)
    if cycle is None:
        return False
    scope = track if program.tracks[track].cycle is not None else ""
    return any(
        c.track == scope and c.claims_open == cycle.claims_open and c.status == "settled"
        for c in cycles
    )


def overview_for(ctx: PortalContext) -> Overview | None:
    """Everything the overview shows for ``ctx.partner`` (``None`` without a version in force).
    A constant number of queries (ten), whatever the partner's data."""
    current = ctx.current
    if current is None:
        return None
    program, lang, on = current.program, ctx.lang, ctx.on
    standings = standings_of(partner=ctx.partner, on=on)
    assessment = latest_assessment(ctx, current)
    starts = {t: d for t, d in tracks_of(ctx).items() if t in program.tracks}
    tracks = list(starts)
    claims = claims_of(partner=ctx.partner)
    cycles = cycles_list(program=program.program)
    explained = assessment_explain(assessment) if assessment is not None else None
    base: dict[str, Decimal | None] = {}
    if assessment is not None:
        base = {
            k: None if v is None else Decimal(v)
            for k, v in assessment.detail.get("values", {}).items()
        }
    measured_on = assessment.run.as_of if assessment is not None else None

    deadlines = {}
    for track in tracks:
        cycle = program.cycle_for(track)
        if cycle is not None and cycle.claim_deadline >= on:
            deadlines[track] = cycle.claim_deadline
    horizon = max(deadlines.values(), default=on)
    team = team_of(ctx, start=on, end=horizon)
    registrations = list(
        DealRegistration.objects.filter(
            owned(ctx.partner),
            status=DealRegistration.Status.APPROVED,
            expires_on__gt=on,
            expires_on__lte=horizon,
        ).order_by("expires_on", "id")
    )

    blocks: list[TrackBlock] = []
    for track in tracks:
        track_result = explained.tracks.get(track) if explained else None
        if track_result is None:
            track_result = rules.evaluate_track(
                program, track=track, values=base, active=program.track_active(track, on)
            )
        standing = standings.get(track)
        current_tier = (standing.tier or None) if standing else track_result.qualified_tier
        tiers, gaps, next_name = _tier_blocks(program, track_result, current_tier, lang)
        pending = next(
            (c for c in reversed(claims) if c.track == track and c.status == "pending"), None
        )
        cycle = program.cycle_for(track)
        active = program.track_active(track, on) and starts[track] <= on
        open_now = (
            cycle is not None
            and active
            and cycle.claims_open <= on <= cycle.claim_deadline
            and not _cycle_settled(cycles, program, track)
        )
        offered = [t.tier for t in track_result.tiers if t.offered][1:]
        block = TrackBlock(
            key=track,
            name=program.track_name(track, lang),
            active=active,
            opens_on=None
            if active
            else max(d for d in (starts[track], program.tracks[track].effective_from) if d),
            standing=presenters.standing_view(standing, program=program, on=on, lang=lang)
            if standing
            else None,
            measured_name=presenters.tier_name(program, track_result.qualified_tier, lang),
            tiers=tiers,
            gaps=gaps,
            next_name=next_name,
            claim=pending,
            claim_tier_name=presenters.tier_name(program, pending.tier, lang) if pending else "",
            claims_open=cycle.claims_open if cycle else None,
            deadline=cycle.claim_deadline if cycle else None,
            can_claim=open_now and bool(offered),
            claimable=[(t, program.tier_name(t, lang)) for t in offered] if open_now else [],
        )
        if track in deadlines and assessment is not None and measured_on is not None:
            target = pending.tier if pending else (standing.tier if standing else "")
            block.projection = _projection(
                ctx,
                track=track,
                deadline=deadlines[track],
                target=target,
                base=base,
                measured_on=measured_on,
                team=team,
                registrations=[r for r in registrations if r.expires_on <= deadlines[track]],  # type: ignore[operator]
                tracks=tracks,
            )
        blocks.append(block)

    overall = standings.get("")
    summary = ""
    if explained is not None and explained.next_tier is not None:
        summary = explained.next_tier.summary.get(lang)
    return Overview(
        program_name=program.display_name(lang),
        version=current.version.version,
        on=on,
        overall=presenters.standing_view(overall, program=program, on=on, lang=lang)
        if overall
        else None,
        summary=summary,
        measured_on=measured_on,
        tracks=blocks,
        claims=[
            {
                "track": presenters.track_name(program, c.track, lang),
                "tier": presenters.tier_name(program, c.tier, lang),
                "filed_at": c.filed_at,
                "filed_by": c.filed_by,
                "status": c.status,
                "status_label": str(presenters.CLAIM_STATUS_LABELS.get(c.status, c.status)),
                "outcome": presenters.tier_name(program, c.outcome_tier, lang)
                if c.outcome_tier
                else "",
                "deadline": c.cycle.claim_deadline,
            }
            for c in reversed(claims)
        ],
    )
