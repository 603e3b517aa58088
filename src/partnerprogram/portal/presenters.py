"""Shapes of program results for the portal pages, in the current language; no rule here.

- :func:`requirement_rows` flattens the result of a tier's requirement (``programs.rules``) into
  table rows: value, threshold, a progress percentage, points of scores;
- :func:`describe_node` words a requirement of the program (``programs.schema``) for the guide;
- :func:`standing_view` and :func:`benefit_view` word standings and benefits.

Program texts (tier and track names, labels, gap sentences) come in English and French from the
program and the engine; the words around them are marked for translation (gettext).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from partnerprogram.core.periods import Window
from partnerprogram.portal import formats
from partnerprogram.portal.charts import Series, bar_chart
from partnerprogram.programs import rules
from partnerprogram.programs.catalog import CATALOG
from partnerprogram.programs.schema import (
    AllNode,
    AnyNode,
    AtLeastNode,
    Benefit,
    Comparison,
    Component,
    Node,
    Program,
    Score,
)
from partnerprogram.standings.models import Standing
from partnerprogram.standings.selectors import status_on

ONE_DAY = timedelta(days=1)

STATUS_LABELS = {
    "qualified": gettext_lazy("Qualified"),
    "provisional": gettext_lazy("Provisional"),
    "frozen": gettext_lazy("Frozen"),
    "grandfathered": gettext_lazy("Grandfathered"),
    "override": gettext_lazy("Override"),
    "lapsed": gettext_lazy("Lapsed"),
}

COMPARATORS = {
    "at_least": gettext_lazy("at least"),
    "more_than": gettext_lazy("more than"),
    "at_most": gettext_lazy("at most"),
    "less_than": gettext_lazy("less than"),
}

FILTER_LABELS = {
    "family": gettext_lazy("family"),
    "level": gettext_lazy("level"),
    "certification": gettext_lazy("certification"),
    "status": gettext_lazy("status"),
    "product_line": gettext_lazy("product line"),
    "motion": gettext_lazy("motion"),
    "customer_segment": gettext_lazy("customer segment"),
    "role": gettext_lazy("role"),
    "stage": gettext_lazy("stage"),
    "validated": gettext_lazy("validated"),
    "basis": gettext_lazy("basis"),
    "kind": gettext_lazy("kind"),
    "category": gettext_lazy("category"),
}

BENEFIT_KINDS = {
    "discount": gettext_lazy("Discount"),
    "rebate": gettext_lazy("Rebate"),
    "mdf": gettext_lazy("Market development funds"),
    "protection_days": gettext_lazy("Protection"),
    "other": gettext_lazy("Other"),
}


# --------------------------------------------------------------------------- words


def tier_name(program: Program | None, tier: str | None, lang: str) -> str:
    """The tier's display name; "No tier" for none; the key for a tier the version lacks."""
    if not tier:
        return _("No tier")
    if program is not None and tier in program.tier_keys:
        return program.tier_name(tier, lang)
    return tier


def track_name(program: Program | None, track: str, lang: str) -> str:
    """The track's display name; "Overall" for the overall standing (blank track)."""
    if not track:
        return _("Overall")
    if program is not None and track in program.tracks:
        return program.track_name(track, lang)
    return track


def metric_noun(metric: str, lang: str, amount: Decimal | None = None) -> str:
    """The catalog's noun phrase of ``metric`` ("certified people", "personnes certifiées")."""
    return CATALOG[metric].noun_for(amount, lang)


def context_text(where: Mapping[str, tuple[str, ...]], window: str | None, lang: str) -> str:
    """Filters and window in words: ``family: openshift, rhel · 12 months``."""
    parts = [
        f"{FILTER_LABELS.get(key, key)}: {', '.join(values)}"
        for key, values in sorted(where.items())
    ]
    if window:
        parts.append(Window.parse(window).label(lang))
    return " · ".join(parts)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def threshold_text(value: Decimal, unit: str, currency: str) -> str:
    return formats.metric_value(value, unit, currency)


# --------------------------------------------------------------------------- requirement rows


@dataclass(frozen=True)
class Row:
    """One line of a requirement table.

    ``kind``: ``check`` (a gate), ``score`` (a points score), ``component`` (one metric of a
    score), ``group`` (a group of components), ``logic`` (a heading for any/at-least nodes).
    ``percent`` (0..100) fills a ``<progress>``; ``None`` when a bar makes no sense (at most,
    less than). ``met`` is ``None`` for rows that are neither met nor unmet (plain components).
    """

    kind: str
    depth: int
    label: str
    context: str
    value: str
    target: str
    met: bool | None
    percent: int | None
    note: str = ""


def _percent(value: Decimal | None, threshold: Decimal, met: bool) -> int:
    if value is None:
        return 0
    if threshold <= 0:
        return 100 if met else 0
    return max(0, min(100, int(value * 100 / threshold)))


def _check_row(r: rules.CheckResult, depth: int, currency: str, lang: str) -> Row:
    spec = CATALOG[r.metric_name]
    share = r.unit != spec.unit
    noun = spec.noun_for(None, lang)
    if r.label is not None:
        label = r.label.get(lang)
    elif share:
        label = _("Share of %(noun)s") % {"noun": noun}
    else:
        label = _capital(noun)
    upward = r.comparator in ("at_least", "more_than")
    note = ""
    if r.value is None:
        note = (
            _("not measured")
            if r.value_status == "missing"
            else _("no value (no baseline or zero denominator): not met")
        )
    return Row(
        kind="check",
        depth=depth,
        label=label,
        context=context_text(r.where, r.window, lang),
        value=formats.metric_value(r.value, r.unit, currency),
        target=f"{COMPARATORS[r.comparator]} {threshold_text(r.threshold, r.unit, currency)}",
        met=r.met,
        percent=_percent(r.value, r.threshold, r.met) if upward else None,
        note=note,
    )


def _points(value: Decimal) -> str:
    return ngettext("%(n)s point", "%(n)s points", 1 if value == 1 else 2) % {
        "n": formats.number(value)
    }


def _score_rows(r: rules.ScoreResult, depth: int, currency: str, lang: str) -> list[Row]:
    rows = [
        Row(
            kind="score",
            depth=depth,
            label=r.label.get(lang) if r.label else _("Score"),
            context="",
            value=_points(r.total),
            target=f"{COMPARATORS['at_least']} {_points(r.threshold)}",
            met=r.met,
            percent=_percent(r.total, r.threshold, r.met),
        )
    ]
    for c in r.components:
        spec = CATALOG[c.metric_name]
        minimum = ""
        if c.min_points is not None:
            minimum = _("needs at least %(points)s") % {"points": _points(c.min_points)}
        elif c.more_than_points is not None:
            minimum = _("needs more than %(points)s") % {"points": _points(c.more_than_points)}
        earned = _points(c.points)
        if c.max_points is not None:
            earned = _("%(points)s of %(max)s") % {
                "points": formats.number(c.points),
                "max": _points(c.max_points),
            }
        rows.append(
            Row(
                kind="component",
                depth=depth + 1,
                label=c.label.get(lang) if c.label else _capital(spec.noun_for(None, lang)),
                context=context_text(c.where, c.window, lang),
                value=formats.metric_value(c.value, spec.unit, currency),
                target=earned,
                met=c.minimum_met if minimum else None,
                percent=(
                    _percent(c.points, c.max_points, True) if c.max_points is not None else None
                ),
                note=minimum,
            )
        )
    for g in r.groups:
        limits = []
        if g.max_points is not None:
            limits.append(_("up to %(points)s") % {"points": _points(g.max_points)})
        if g.min_points is not None:
            limits.append(_("needs at least %(points)s") % {"points": _points(g.min_points)})
        rows.append(
            Row(
                kind="group",
                depth=depth + 1,
                label=_("Group %(name)s") % {"name": g.name},
                context="",
                value=_points(g.points),
                target=", ".join(limits),
                met=g.met if g.min_points is not None else None,
                percent=None,
            )
        )
    return rows


def _logic_label(r: rules.LogicResult) -> str:
    if r.kind == "all":
        return _("All of")
    if r.kind == "any":
        return _("One of")
    return _("At least %(k)s of") % {"k": r.required}


def requirement_rows(
    result: rules.NodeResult | None, *, currency: str, lang: str, depth: int = 0
) -> list[Row]:
    """Table rows of one tier's requirement result (empty for a tier without requirement).
    A top-level ``all`` needs no heading: its children are listed at the top level."""
    if result is None:
        return []
    if isinstance(result, rules.CheckResult):
        return [_check_row(result, depth, currency, lang)]
    if isinstance(result, rules.ScoreResult):
        return _score_rows(result, depth, currency, lang)
    rows: list[Row] = []
    child_depth = depth
    if not (depth == 0 and result.kind == "all"):
        rows.append(
            Row(
                kind="logic",
                depth=depth,
                label=_logic_label(result),
                context="",
                value=_("%(met)s of %(count)s met")
                % {"met": result.met_count, "count": len(result.children)},
                target="",
                met=result.met,
                percent=None,
            )
        )
        child_depth = depth + 1
    for child in result.children:
        rows.extend(requirement_rows(child, currency=currency, lang=lang, depth=child_depth))
    return rows


def gap_sentences(result: rules.NodeResult | None, *, currency: str, lang: str) -> list[str]:
    """What is missing for a requirement, in words (empty when met or without requirement)."""
    if result is None or result.met:
        return []
    out = []
    for s in rules.shortfalls(result, currency=currency):
        text = s.text.get(lang)
        if s.can_earn:
            sources = ", ".join(
                _("%(metric)s (up to %(points)s more)")
                % {
                    "metric": CATALOG[h.metric_name].noun_for(None, lang),
                    "points": formats.number(h.headroom),
                }
                if h.headroom is not None
                else CATALOG[h.metric_name].noun_for(None, lang)
                for h in s.can_earn
            )
            text = _("%(gap)s — points can still come from: %(sources)s") % {
                "gap": text,
                "sources": sources,
            }
        out.append(text)
    return out


# --------------------------------------------------------------------------- standings


@dataclass(frozen=True)
class StandingView:
    """A standing in words: ``until`` is e.g. "provisional until 31 December 2026" (the last
    day it applies)."""

    track: str
    track_name: str
    tier: str
    tier_name: str
    status: str
    status_label: str
    until: str
    reason: str
    version: str


def _last_day(exclusive: date | None) -> str:
    return formats.day(exclusive - ONE_DAY) if exclusive else ""


def standing_view(
    standing: Standing, *, program: Program | None, on: date, lang: str
) -> StandingView:
    status = status_on(standing.status, standing.frozen_until, on)
    until = ""
    if status == "provisional" and standing.valid_until:
        until = _("provisional until %(date)s") % {"date": _last_day(standing.valid_until)}
    elif status == "grandfathered" and standing.grandfathered_until:
        until = _("grandfathered until %(date)s") % {
            "date": _last_day(standing.grandfathered_until)
        }
    elif status == "frozen" and standing.frozen_until:
        until = _("frozen until %(date)s") % {"date": _last_day(standing.frozen_until)}
    elif status == "override" and standing.valid_until:
        until = _("override until %(date)s") % {"date": _last_day(standing.valid_until)}
    elif standing.valid_until:
        until = _("until %(date)s") % {"date": _last_day(standing.valid_until)}
    detail = standing.reason_detail or {}
    reason = (detail.get("text") or {}).get(lang) or standing.reason
    return StandingView(
        track=standing.track,
        track_name=track_name(program, standing.track, lang),
        tier=standing.tier,
        tier_name=tier_name(program, standing.tier, lang),
        status=status,
        status_label=str(STATUS_LABELS.get(status, status)),
        until=until,
        reason=reason,
        version=standing.program_version.version,
    )


# --------------------------------------------------------------------------- benefits


@dataclass(frozen=True)
class BenefitView:
    key: str
    label: str
    kind: str
    kind_label: str
    value: str
    unit: str


def benefit_view(benefit: Benefit, *, currency: str, lang: str) -> BenefitView:
    value = ""
    if benefit.value is not None:
        if benefit.kind in ("discount", "rebate"):
            value = formats.percent(benefit.value)
        elif benefit.kind == "mdf":
            value = formats.money(benefit.value, currency)
        elif benefit.kind == "protection_days":
            n = benefit.value
            value = ngettext("%(n)s day", "%(n)s days", 1 if n == 1 else 2) % {
                "n": formats.number(n)
            }
        else:
            value = formats.number(benefit.value)
    return BenefitView(
        key=benefit.key,
        label=benefit.label.get(lang),
        kind=benefit.kind,
        kind_label=str(BENEFIT_KINDS[benefit.kind]),
        value=value,
        unit=benefit.unit.get(lang) if benefit.unit else "",
    )


# --------------------------------------------------------------------------- the guide


@dataclass(frozen=True)
class GuideNode:
    """A requirement in words, with its sub-requirements."""

    text: str
    children: tuple[GuideNode, ...] = ()


def _comparison_text(node: Comparison, program: Program, lang: str) -> str:
    spec = CATALOG[node.metric]
    cmp = COMPARATORS[node.comparator]
    ctx = context_text(node.where, node.window, lang)
    if node.share_of is not None:
        whole = CATALOG[node.share_of.metric]
        whole_ctx = context_text(node.share_of.where, node.share_of.window, lang)
        phrase = _("share of %(noun)s in %(whole)s: %(comparator)s %(threshold)s") % {
            "noun": spec.noun_for(None, lang) + (f" ({ctx})" if ctx else ""),
            "whole": whole.noun_for(None, lang) + (f" ({whole_ctx})" if whole_ctx else ""),
            "comparator": cmp,
            "threshold": formats.percent(node.threshold),
        }
        ctx = ""
    elif spec.unit == "money":
        phrase = _("%(comparator)s %(amount)s of %(noun)s") % {
            "comparator": cmp,
            "amount": formats.money(node.threshold, program.currency),
            "noun": spec.noun_for(None, lang),
        }
    elif spec.unit == "fraction":
        phrase = _("%(noun)s %(comparator)s %(threshold)s") % {
            "noun": spec.noun_for(None, lang),
            "comparator": cmp,
            "threshold": formats.percent(node.threshold),
        }
    else:
        phrase = _("%(comparator)s %(count)s %(noun)s") % {
            "comparator": cmp,
            "count": formats.number(node.threshold),
            "noun": spec.noun_for(node.threshold, lang),
        }
    if ctx:
        phrase = f"{phrase} ({ctx})"
    if node.label is not None:
        return f"{node.label.get(lang)}: {phrase}"
    return _capital(phrase)


def _component_text(comp: Component, program: Program, lang: str) -> str:
    spec = CATALOG[comp.metric]
    if comp.points_per is not None:
        per = (
            formats.money(comp.points_per, program.currency)
            if spec.unit == "money"
            else formats.percent(comp.points_per)
            if spec.unit == "fraction"
            else f"{formats.number(comp.points_per)} {spec.noun_for(comp.points_per, lang)}"
        )
        rate = _("1 point per %(amount)s") % {"amount": per}
    else:
        assert comp.points_each is not None
        rate = _("%(points)s per %(noun)s") % {
            "points": _points(comp.points_each),
            "noun": spec.noun_for(Decimal(1), lang),
        }
    parts = [rate]
    if comp.whole_units:
        parts.append(_("whole units only"))
    if comp.max_points is not None:
        parts.append(_("up to %(points)s") % {"points": _points(comp.max_points)})
    if comp.min_points is not None:
        parts.append(_("needs at least %(points)s") % {"points": _points(comp.min_points)})
    if comp.more_than_points is not None:
        parts.append(_("needs more than %(points)s") % {"points": _points(comp.more_than_points)})
    if comp.group is not None:
        parts.append(_("group %(name)s") % {"name": comp.group})
    ctx = context_text(comp.where, comp.window, lang)
    label = comp.label.get(lang) if comp.label else _capital(spec.noun_for(None, lang))
    return f"{label}{f' ({ctx})' if ctx else ''}: " + ", ".join(parts)


def describe_node(node: Node, *, program: Program, lang: str) -> GuideNode:
    """A requirement of the program in words (``GuideNode`` tree)."""
    if isinstance(node, Comparison):
        return GuideNode(_comparison_text(node, program, lang))
    if isinstance(node, Score):
        text = _("A score of at least %(points)s from:") % {"points": _points(node.at_least)}
        if node.max_points is not None:
            text = _("A score of at least %(points)s (at most %(max)s counted) from:") % {
                "points": _points(node.at_least),
                "max": _points(node.max_points),
            }
        children = [GuideNode(_component_text(c, program, lang)) for c in node.score]
        for name, group in node.groups.items():
            limits = []
            if group.max_points is not None:
                limits.append(_("up to %(points)s") % {"points": _points(group.max_points)})
            if group.min_points is not None:
                limits.append(
                    _("needs at least %(points)s") % {"points": _points(group.min_points)}
                )
            label = group.label.get(lang) if group.label else name
            children.append(
                GuideNode(
                    _("Group %(name)s: %(limits)s") % {"name": label, "limits": ", ".join(limits)}
                )
            )
        label = f"{node.label.get(lang)}: " if node.label else ""
        return GuideNode(label + text, tuple(children))
    if isinstance(node, AllNode):
        text = _("All of the following:")
    elif isinstance(node, AnyNode):
        text = _("One of the following:")
    else:
        assert isinstance(node, AtLeastNode)
        text = _("At least %(k)s of the following:") % {"k": node.at_least}
    label = f"{node.label.get(lang)}: " if node.label else ""
    return GuideNode(
        label + text,
        tuple(describe_node(child, program=program, lang=lang) for child in node.children),
    )


# --------------------------------------------------------------------------- business

ROLE_LABELS = {
    "resell": gettext_lazy("Resold"),
    "sourced": gettext_lazy("Sourced"),
    "influenced": gettext_lazy("Influenced"),
}

CLAIM_STATUS_LABELS = {
    "pending": gettext_lazy("Pending"),
    "confirmed": gettext_lazy("Confirmed"),
    "lowered": gettext_lazy("Lowered"),
    "superseded": gettext_lazy("Superseded"),
    "withdrawn": gettext_lazy("Withdrawn"),
}

REGISTRATION_STATUS_LABELS = {
    "submitted": gettext_lazy("Submitted"),
    "approved": gettext_lazy("Approved"),
    "rejected": gettext_lazy("Rejected"),
    "expired": gettext_lazy("Expired"),
    "won": gettext_lazy("Won"),
    "lost": gettext_lazy("Lost"),
}

INFLUENCE_STATUS_LABELS = {
    "pending": gettext_lazy("Pending approval"),
    "approved": gettext_lazy("Approved"),
    "rejected": gettext_lazy("Rejected"),
}

STAGE_LABELS = {
    "prospecting": gettext_lazy("Prospecting"),
    "qualification": gettext_lazy("Qualification"),
    "proposal": gettext_lazy("Proposal"),
    "negotiation": gettext_lazy("Negotiation"),
    "won": gettext_lazy("Closed won"),
    "lost": gettext_lazy("Closed lost"),
}

JOB_ROLE_LABELS = {
    "technical": gettext_lazy("Technical"),
    "sales": gettext_lazy("Sales"),
    "other": gettext_lazy("Other"),
}


def compact_money(value: Decimal, currency: str) -> str:
    """Axis labels: ``1,2 M€`` style without cents (``formats.money`` rounded to units,
    thousands or millions)."""
    amount = abs(value)
    if amount >= 1_000_000:
        scaled, suffix = value / 1_000_000, _("M")
    elif amount >= 10_000:
        scaled, suffix = value / 1_000, _("k")
    else:
        return formats.money(value, currency, places=0)
    number = formats.number(scaled.quantize(Decimal("0.1")), 1 if scaled % 1 else 0)
    symbol = formats.SYMBOLS.get(currency.upper(), currency.upper())
    if formats.lang() == "fr":
        return f"{number}{formats.NBSP}{suffix}{symbol}"
    return f"{symbol}{number}{suffix}" if len(symbol) == 1 else f"{symbol} {number}{suffix}"


def business_charts(business: Any) -> dict[str, SafeString]:
    """The SVG charts of the business page (``selectors.business.Business``)."""
    currency = business.currency
    money = lambda v: compact_money(v, currency)  # noqa: E731
    charts = {
        "bookings": bar_chart(
            title=_("Bookings by quarter and role"),
            categories=[q.label for q in business.quarters],
            series=[
                Series(str(ROLE_LABELS[role]), [q.amounts[role] for q in business.quarters])
                for role in ("resell", "sourced", "influenced")
            ],
            format_value=money,
        )
    }
    if business.shows_usage:
        charts["usage"] = bar_chart(
            title=_("Cloud usage by month, this year and the year before"),
            categories=[formats.month_short(m.month) for m in business.months],
            series=[
                Series(_("Last 12 months"), [m.amount for m in business.months]),
                Series(_("12 months before"), [m.previous for m in business.months]),
            ],
            format_value=money,
        )
    return charts
