"""The program as partners read it: benefits of their tier and the next, and the guide (every
track's tiers and requirements in words), from the version in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from partnerprogram.portal import formats, presenters
from partnerprogram.portal.selectors.context import PortalContext
from partnerprogram.programs.catalog import CATALOG
from partnerprogram.programs.models import Assessment
from partnerprogram.programs.schema import Program
from partnerprogram.standings.selectors import standing_on


@dataclass(frozen=True)
class BenefitLine:
    """One benefit across the partner's tier and the next (``None``: not in that tier)."""

    label: str
    kind_label: str
    mine: presenters.BenefitView | None
    next: presenters.BenefitView | None

    @property
    def improves(self) -> bool:
        return self.next is not None and (
            self.mine is None
            or (self.mine.value, self.mine.unit) != (self.next.value, self.next.unit)
        )


@dataclass(frozen=True)
class BenefitsPage:
    tier: str
    tier_name: str
    next_tier: str
    next_name: str
    source: str  # "standing", "assessment" or "" (no tier yet)
    lines: list[BenefitLine]
    version: str


def _benefit_lines(program: Program, mine: str, nxt: str, lang: str) -> list[BenefitLine]:
    currency = program.currency
    views_mine = (
        {
            b.key: presenters.benefit_view(b, currency=currency, lang=lang)
            for b in program.benefits_of(mine)
        }
        if mine
        else {}
    )
    views_next = (
        {
            b.key: presenters.benefit_view(b, currency=currency, lang=lang)
            for b in program.benefits_of(nxt)
        }
        if nxt
        else {}
    )
    keys = list(views_mine) + [k for k in views_next if k not in views_mine]
    lines = []
    for key in keys:
        first = views_mine.get(key) or views_next[key]
        lines.append(
            BenefitLine(
                label=first.label,
                kind_label=first.kind_label,
                mine=views_mine.get(key),
                next=views_next.get(key),
            )
        )
    return lines


def benefits_for(ctx: PortalContext) -> BenefitsPage | None:
    """The benefits of the partner's tier (its overall standing today; without one, its latest
    assessed tier; without either, the entry tier's are shown as the next tier) and of the tier
    above. Two queries at most."""
    current = ctx.current
    if current is None:
        return None
    program, lang = current.program, ctx.lang
    standing = standing_on(partner=ctx.partner, on=ctx.on)
    tier, source = "", ""
    if standing is not None and standing.tier in program.tier_keys:
        tier, source = standing.tier, "standing"
    else:
        assessed = (
            Assessment.objects.filter(
                partner_id=ctx.partner.pk,
                run__program_version=current.version,
                run__as_of__lte=ctx.on,
            )
            .order_by("-run__as_of", "-run_id")
            .values_list("tier", flat=True)
            .first()
        )
        if assessed in program.tier_keys:
            tier, source = assessed, "assessment"
    keys = program.tier_keys
    rank = keys.index(tier) if tier else -1
    nxt = keys[rank + 1] if rank + 1 < len(keys) else ""
    return BenefitsPage(
        tier=tier,
        tier_name=presenters.tier_name(program, tier, lang) if tier else "",
        next_tier=nxt,
        next_name=program.tier_name(nxt, lang) if nxt else "",
        source=source,
        lines=_benefit_lines(program, tier, nxt, lang),
        version=current.version.version,
    )


@dataclass(frozen=True)
class GuideTier:
    key: str
    name: str
    offered: bool
    requirement: presenters.GuideNode | None


@dataclass(frozen=True)
class GuideTrack:
    key: str
    name: str
    effective_from: date | None
    effective_until: date | None
    active: bool
    claims_open: date | None
    claim_deadline: date | None
    freeze_months: int
    tiers: list[GuideTier]


@dataclass(frozen=True)
class GuideMetric:
    name: str
    noun: str
    definition: str


@dataclass(frozen=True)
class Guide:
    name: str
    description: str
    version: str
    effective_from: date
    currency: str
    tiers: list[str]
    tracks: list[GuideTrack]
    grandfathering: list[str]
    metrics: list[GuideMetric]
    benefits: list[tuple[str, list[presenters.BenefitView]]]


def _grandfathering_text(program: Program, index: int, lang: str) -> str:
    rule = program.grandfathering[index]
    if rule.label is not None:
        return rule.label.get(lang)
    text = _("%(keep)s is kept by partners that held %(was)s on %(on)s") % {
        "keep": program.tier_name(rule.keep, lang),
        "was": program.tier_name(rule.for_.was, lang),
        "on": formats.day(rule.for_.tier_on),
    }
    if rule.while_qualifying_for:
        text += ", " + _("while they qualify for %(tier)s") % {
            "tier": program.tier_name(rule.while_qualifying_for, lang)
        }
    if rule.until:
        text += ", " + _("until %(date)s") % {"date": formats.day(rule.until)}
    return text + "."


def guide_for(ctx: PortalContext) -> Guide | None:
    """Every track of the version in force with its tiers (offered or not), requirements in
    words, cycle and benefits; grandfathering rules; the definitions of the metrics used. No
    query beyond the context."""
    current = ctx.current
    if current is None:
        return None
    program, lang, on = current.program, ctx.lang, ctx.on
    tracks = []
    for key, spec in program.tracks.items():
        requirements = program.requirements.get(key, {})
        ranks = [program.tier_rank(t) for t in requirements]
        top = max(ranks) if ranks else 0
        tiers = []
        for i, tier in enumerate(program.tier_keys):
            node = program.requirement(key, tier)
            tiers.append(
                GuideTier(
                    key=tier,
                    name=program.tier_name(tier, lang),
                    offered=i <= top,
                    requirement=presenters.describe_node(node, program=program, lang=lang)
                    if node is not None
                    else None,
                )
            )
        cycle = program.cycle_for(key)
        tracks.append(
            GuideTrack(
                key=key,
                name=program.track_name(key, lang),
                effective_from=spec.effective_from,
                effective_until=spec.effective_until,
                active=program.track_active(key, on),
                claims_open=cycle.claims_open if cycle else None,
                claim_deadline=cycle.claim_deadline if cycle else None,
                freeze_months=cycle.freeze_months if cycle else 0,
                tiers=tiers,
            )
        )
    used = sorted({ref.metric for ref in program.metric_refs()})
    return Guide(
        name=program.display_name(lang),
        description=program.description.get(lang) if program.description else "",
        version=program.version,
        effective_from=program.effective_from,
        currency=program.currency,
        tiers=[program.tier_name(t, lang) for t in program.tier_keys],
        tracks=tracks,
        grandfathering=[
            _grandfathering_text(program, i, lang) for i in range(len(program.grandfathering))
        ],
        metrics=[
            GuideMetric(
                name=m,
                noun=presenters.metric_noun(m, lang),
                definition=CATALOG[m].definition.get(lang) or CATALOG[m].definition["en"],
            )
            for m in used
        ],
        benefits=[
            (
                program.tier_name(tier, lang),
                [
                    presenters.benefit_view(b, currency=program.currency, lang=lang)
                    for b in program.benefits_of(tier)
                ],
            )
            for tier in program.tier_keys
            if program.benefits_of(tier)
        ],
    )
