"""Pure evaluation of a program against metric values (no Django, no I/O).

Input: a :class:`~partnerprogram.programs.schema.Program`, a track, and
``values: Mapping[str, Decimal | None]`` keyed by :attr:`MetricRef.key`. Output: frozen result
dataclasses that keep ``Decimal`` inside and give JSON-ready dicts with ``to_dict()`` (Decimals
become JSON numbers there: ``int`` when integral, else ``float``).

Stated rules (see ``docs/program-language.md``):

- **Fail closed**: a value of ``None`` (undefined: no baseline, zero denominator) or a key missing
  from ``values`` (not measured) never meets a comparison; the explanation says which. In a score
  such a value scores 0 points.
- **Tiers in a track** are evaluated independently; the qualified tier is the highest *offered*
  tier whose requirement is met. A tier with no requirement entry is met, but only tiers up to the
  highest tier that has a requirement in the track are offered (a tier above it is not reachable
  in that track: nobody becomes Premier because Premier criteria were left out). A track without
  any requirement offers only the lowest tier.
- **Points**: component points = round(min(max_points, max(0, value x rate))), rate = 1/points_per
  or points_each (``whole_units``: floor(value / points_per), or floor(value) x points_each);
  group points = min(group max_points, sum of its components); total = round(min(score
  max_points, sum)). Rounding per component, then on the total (7 x 2.14 = 14.98, not 15).
- **Gap to the next tier** lists the minimal shortfalls: every failing child of ``all``; the
  failing child with the fewest shortfalls for ``any`` (ties: first); the ``k - met`` failing
  children with the fewest shortfalls for ``at_least k of`` (ties: first); missing points plus
  unmet minimums for a score.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal

from partnerprogram.core.periods import Window
from partnerprogram.programs.catalog import CATALOG, MetricSpec
from partnerprogram.programs.schema import (
    AllNode,
    AnyNode,
    AtLeastNode,
    Comparison,
    Component,
    GrandfatherRule,
    Localized,
    Node,
    Program,
    Rounding,
    Score,
)

__all__ = [
    "Assessment",
    "CheckResult",
    "ComponentResult",
    "Gap",
    "GroupResult",
    "Headroom",
    "LogicResult",
    "NodeResult",
    "PartnerAssessment",
    "ScoreResult",
    "Shortfall",
    "Text",
    "TierResult",
    "TrackResult",
    "apply_grandfathering",
    "assess_partner",
    "evaluate_requirement",
    "evaluate_track",
    "gap_to_next_tier",
    "qualify_track",
    "shortfalls",
]

ValueStatus = Literal["ok", "undefined", "missing"]
_CENT = Decimal("0.01")


# --------------------------------------------------------------------------- JSON edge


def _json(value: Any) -> Any:
    """Decimals → int/float, tuples → lists, dataclasses → their ``to_dict()``."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(
        value,
        Text
        | Headroom
        | Shortfall
        | Gap
        | CheckResult
        | ScoreResult
        | ComponentResult
        | GroupResult
        | LogicResult
        | TierResult
        | TrackResult,
    ):
        return value.to_dict()
    if isinstance(value, Localized):
        return value.model_dump(exclude_none=True)
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _fields_dict(obj: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: _json(getattr(obj, name)) for name in names}


@dataclass(frozen=True, slots=True)
class Text:
    """A sentence in English and French."""

    en: str
    fr: str

    def get(self, lang: str = "en") -> str:
        return self.fr if lang == "fr" else self.en

    def to_dict(self) -> dict[str, str]:
        return {"en": self.en, "fr": self.fr}


class LazyText:
    """A :class:`Text` built on first read (``make`` returns it): gaps and explanations are
    computed for every partner of an evaluation but read for few of them. Same interface as
    ``Text``: ``en``, ``fr``, ``get(lang)``, ``to_dict()``; equal to the ``Text`` it gives."""

    __slots__ = ("_make", "_value")

    def __init__(self, make: Callable[[], Text]) -> None:
        self._make: Callable[[], Text] | None = make
        self._value: Text | None = None

    @property
    def text(self) -> Text:
        if self._value is None:
            assert self._make is not None
            self._value, self._make = self._make(), None
        return self._value

    @property
    def en(self) -> str:
        return self.text.en

    @property
    def fr(self) -> str:
        return self.text.fr

    def get(self, lang: str = "en") -> str:
        return self.text.get(lang)

    def to_dict(self) -> dict[str, str]:
        return self.text.to_dict()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyText):
            return self.text == other.text
        return self.text == other

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return repr(self.text)


# --------------------------------------------------------------------------- formatting


def _fmt(value: Decimal, lang: str, *, places: int | None = None) -> str:
    """Number text: en ``120,000.5``, fr ``120 000,5``; trailing zeros dropped unless ``places``."""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        text = f"{value:,f}"
    else:
        if value == value.to_integral_value():
            text = f"{value.to_integral_value():,f}"
        else:
            text = f"{value.normalize():,f}"
    if lang == "fr":
        text = text.replace(",", " ").replace(".", ",")
    return text


def _fmt_money(value: Decimal, currency: str, lang: str, *, up: bool = False) -> str:
    if value != value.to_integral_value():
        value = value.quantize(_CENT, rounding=ROUND_CEILING if up else ROUND_HALF_UP)
        number = _fmt(value, lang, places=2)
    else:
        number = _fmt(value, lang)
    return f"{currency} {number}" if lang == "en" else f"{number} {currency}"


def _fmt_pct(value: Decimal, lang: str) -> str:
    pct = (value * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{_fmt(pct, lang)}%" if lang == "en" else f"{_fmt(pct, lang)} %"


def _fmt_value(value: Decimal, spec: MetricSpec, currency: str, lang: str) -> str:
    if spec.unit == "money":
        return _fmt_money(value, currency, lang)
    if spec.unit == "fraction":
        return _fmt_pct(value, lang)
    return _fmt(value, lang)


_CMP = {
    "at_least": ("at least", "au moins"),
    "more_than": ("more than", "plus de"),
    "at_most": ("at most", "au plus"),
    "less_than": ("less than", "moins de"),
}


def _context(where: Mapping[str, tuple[str, ...]], window: str | None, lang: str) -> str:
    colon = " : " if lang == "fr" else ": "
    parts = [f"{k}{colon}{', '.join(v)}" for k, v in sorted(where.items())]
    if window:
        parts.append(Window.parse(window).label(lang))
    if not parts:
        return ""
    return " (" + (" ; " if lang == "fr" else "; ").join(parts) + ")"


def _noun(spec: MetricSpec, amount: Decimal | None, lang: str) -> str:
    return spec.noun_for(amount, lang)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Result of a gate (comparison leaf).

    ``metric`` is the MetricRef key, ``metric_name`` the catalog name; ``missing`` is how far the
    value is from meeting the comparison (more for at_least/more_than, less for
    at_most/less_than; whole units for counts, cents for money), ``None`` when met or when the
    value is unknown. ``value_status``: ``ok``, ``undefined`` (value ``None``) or ``missing`` (no
    value supplied for the key). ``path`` locates the node under its tier (``all[1]``).
    """

    path: str
    metric: str
    metric_name: str
    where: Mapping[str, tuple[str, ...]]
    window: str | None
    unit: str
    value: Decimal | None
    value_status: ValueStatus
    threshold: Decimal
    comparator: str
    met: bool
    missing: Decimal | None
    currency: str = ""
    id: str | None = None
    label: Localized | None = None
    kind: Literal["check"] = "check"

    @property
    def explanation(self) -> Text:
        """The check in words, English and French (built when read: evaluating a population
        does not pay for sentences nobody reads)."""
        return _check_texts(self)

    def to_dict(self) -> dict[str, Any]:
        return _fields_dict(
            self,
            (
                "kind",
                "path",
                "id",
                "label",
                "metric",
                "metric_name",
                "where",
                "window",
                "unit",
                "value",
                "value_status",
                "threshold",
                "comparator",
                "met",
                "missing",
                "explanation",
            ),
        )


@dataclass(frozen=True, slots=True)
class ComponentResult:
    """One score component: ``raw_points`` = max(0, value x rate) before cap and rounding;
    ``points`` after the component cap and rounding; ``minimum_met`` for min_points /
    more_than_points (True when the component has no minimum)."""

    path: str
    metric: str
    metric_name: str
    where: Mapping[str, tuple[str, ...]]
    window: str | None
    value: Decimal | None
    value_status: ValueStatus
    points_per: Decimal | None
    points_each: Decimal | None
    whole_units: bool
    raw_points: Decimal
    max_points: Decimal | None
    points: Decimal
    min_points: Decimal | None
    more_than_points: Decimal | None
    minimum_met: bool
    group: str | None
    id: str | None = None
    label: Localized | None = None

    def to_dict(self) -> dict[str, Any]:
        return _fields_dict(
            self,
            (
                "path",
                "id",
                "label",
                "metric",
                "metric_name",
                "where",
                "window",
                "value",
                "value_status",
                "points_per",
                "points_each",
                "whole_units",
                "raw_points",
                "max_points",
                "points",
                "min_points",
                "more_than_points",
                "minimum_met",
                "group",
            ),
        )


@dataclass(frozen=True, slots=True)
class GroupResult:
    """A score group: ``raw_points`` = sum of its components, ``points`` after the group cap."""

    name: str
    components: tuple[int, ...]
    raw_points: Decimal
    max_points: Decimal | None
    points: Decimal
    min_points: Decimal | None
    met: bool

    def to_dict(self) -> dict[str, Any]:
        return _fields_dict(
            self, ("name", "components", "raw_points", "max_points", "points", "min_points", "met")
        )


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """A score: ``total`` (rounded, capped by ``max_points``) against ``threshold``; ``met`` iff
    total >= threshold and every component and group minimum is met. ``missing`` = threshold -
    total when the total is short, else ``None``."""

    path: str
    components: tuple[ComponentResult, ...]
    groups: tuple[GroupResult, ...]
    total: Decimal
    threshold: Decimal
    max_points: Decimal | None
    rounding: Rounding
    met: bool
    missing: Decimal | None
    explanation: Text
    id: str | None = None
    label: Localized | None = None
    kind: Literal["score"] = "score"

    def to_dict(self) -> dict[str, Any]:
        out = _fields_dict(
            self,
            (
                "kind",
                "path",
                "id",
                "label",
                "components",
                "groups",
                "total",
                "threshold",
                "max_points",
                "met",
                "missing",
                "explanation",
            ),
        )
        out["rounding"] = self.rounding.model_dump()
        return out


@dataclass(frozen=True, slots=True)
class LogicResult:
    """``all`` / ``any`` / ``at_least`` node: ``required`` children must be met (``all``: every
    child, ``any``: 1, ``at_least``: k); ``met_count`` were."""

    path: str
    kind: Literal["all", "any", "at_least"]
    required: int
    children: tuple[NodeResult, ...]
    met_count: int
    met: bool
    id: str | None = None
    label: Localized | None = None

    def to_dict(self) -> dict[str, Any]:
        return _fields_dict(
            self, ("kind", "path", "id", "label", "required", "met_count", "met", "children")
        )


NodeResult = CheckResult | ScoreResult | LogicResult


@dataclass(frozen=True, slots=True)
class TierResult:
    """One tier of a track: ``offered`` False when the tier is above every tier with a
    requirement in the track (then never met); ``requirement`` None when the tier has none."""

    tier: str
    offered: bool
    requirement: NodeResult | None
    met: bool

    def to_dict(self) -> dict[str, Any]:
        return _fields_dict(self, ("tier", "offered", "met", "requirement"))


@dataclass(frozen=True, slots=True)
class TrackResult:
    """Every tier of a track (lowest first) and the highest met one (``None``: none met)."""

    track: str
    active: bool
    tiers: tuple[TierResult, ...]
    qualified_tier: str | None

    @property
    def tier(self) -> str | None:
        """Alias of ``qualified_tier``."""
        return self.qualified_tier

    def tier_result(self, key: str) -> TierResult:
        """The :class:`TierResult` of tier ``key`` (``StopIteration`` if unknown)."""
        return next(t for t in self.tiers if t.tier == key)

    def to_dict(self) -> dict[str, Any]:
        return _fields_dict(self, ("track", "active", "qualified_tier", "tiers"))


@dataclass(frozen=True, slots=True)
class Headroom:
    """A score component that can still earn points (``headroom`` None: uncapped)."""

    path: str
    metric: str
    metric_name: str
    points: Decimal
    max_points: Decimal | None
    headroom: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        return _fields_dict(
            self, ("path", "metric", "metric_name", "points", "max_points", "headroom")
        )


@dataclass(frozen=True, slots=True)
class Shortfall:
    """One thing missing to meet a requirement.

    ``kind``: ``value`` (a gate short by ``missing``), ``no_value`` (a gate on an undefined or
    unmeasured value), ``points`` (a score total short by ``missing`` points; ``can_earn`` lists
    the components with headroom), ``component_minimum`` / ``group_minimum`` (a score minimum).
    ``text`` is the sentence shown to partners.
    """

    kind: Literal["value", "no_value", "points", "component_minimum", "group_minimum"]
    path: str
    metric: str | None
    metric_name: str | None
    value: Decimal | None
    threshold: Decimal
    comparator: str
    missing: Decimal | None
    text: Text | LazyText
    can_earn: tuple[Headroom, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return _fields_dict(
            self,
            (
                "kind",
                "path",
                "metric",
                "metric_name",
                "value",
                "threshold",
                "comparator",
                "missing",
                "text",
                "can_earn",
            ),
        )


@dataclass(frozen=True, slots=True)
class Gap:
    """What a partner lacks for ``to_tier`` in ``track`` (empty ``shortfalls`` when met)."""

    track: str
    from_tier: str | None
    to_tier: str
    met: bool
    shortfalls: tuple[Shortfall, ...]
    summary: Text

    @property
    def tier(self) -> str:
        """Alias of ``to_tier``."""
        return self.to_tier

    def to_dict(self) -> dict[str, Any]:
        return _fields_dict(self, ("track", "from_tier", "to_tier", "met", "summary", "shortfalls"))


@dataclass(frozen=True, slots=True)
class Assessment:
    """One partner against one program version as of a date.

    ``tracks``: ``{track: TrackResult}`` in enrolment order. ``qualified_tier``: highest tier met
    over active enrolled tracks (``qualified_track`` gave it); ``tier``: after grandfathering
    (``grandfathering_rule`` is the index in ``Program.grandfathering`` of the rule that raised
    it, else ``None``; ``grandfathered_by`` is an alias); ``next_tier``: the gap to the tier
    above ``tier`` on the active track with the fewest shortfalls. ``unknown_tracks``: enrolled
    tracks the program lacks (ignored). Inactive tracks are evaluated for display but never count.
    """

    program: str
    version: str
    as_of: date
    tracks: Mapping[str, TrackResult]
    qualified_tier: str | None
    qualified_track: str | None
    previous_tier: str | None
    tier: str | None
    grandfathered: bool
    grandfathering_rule: int | None
    next_tier: Gap | None
    unknown_tracks: tuple[str, ...] = field(default=())

    @property
    def grandfathered_by(self) -> int | None:
        """Alias of ``grandfathering_rule``."""
        return self.grandfathering_rule

    def to_dict(self) -> dict[str, Any]:
        return _fields_dict(
            self,
            (
                "program",
                "version",
                "as_of",
                "qualified_tier",
                "qualified_track",
                "previous_tier",
                "tier",
                "grandfathered",
                "grandfathering_rule",
                "next_tier",
                "unknown_tracks",
                "tracks",
            ),
        )


# --------------------------------------------------------------------------- evaluation


def _as_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("metric values must be numbers, not booleans")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    raise TypeError(f"metric value must be Decimal or None, got {type(value).__name__}")


def _lookup(values: Mapping[str, Any], key: str) -> tuple[Decimal | None, ValueStatus]:
    if key not in values:
        return None, "missing"
    value = _as_decimal(values[key])
    return value, ("undefined" if value is None else "ok")


def _compare(value: Decimal, comparator: str, threshold: Decimal) -> bool:
    if comparator == "at_least":
        return value >= threshold
    if comparator == "more_than":
        return value > threshold
    if comparator == "at_most":
        return value <= threshold
    return value < threshold


def _missing(value: Decimal, comparator: str, threshold: Decimal, unit: str) -> Decimal:
    """How far an unmet value is from the threshold, in whole units for counts."""
    diff = threshold - value if comparator in ("at_least", "more_than") else value - threshold
    strict = comparator in ("more_than", "less_than")
    if unit in ("money", "fraction"):
        return diff + _CENT if strict and unit == "money" else diff
    if strict:
        return Decimal(math.floor(diff) + 1)
    return Decimal(math.ceil(diff))


def _check_texts(r: CheckResult) -> Text:
    spec = _spec_of(r.metric_name, r.unit)
    value, status, met, currency = r.value, r.value_status, r.met, r.currency
    out = {}
    for lang in ("en", "fr"):
        ctx = _context(r.where, r.window, lang)
        noun = spec.noun_for(None, lang)
        cmp_word = _CMP[r.comparator][0 if lang == "en" else 1]
        threshold = _fmt_value(r.threshold, spec, currency, lang)
        if value is None:
            if lang == "en":
                why = (
                    "no value supplied (not measured)"
                    if status == "missing"
                    else "no value (undefined: no baseline or zero denominator)"
                )
                out[lang] = f"{noun}{ctx}: {why}, so not met (needs {cmp_word} {threshold})"
            else:
                why = (
                    "aucune valeur fournie (non mesuré)"
                    if status == "missing"
                    else "aucune valeur (indéfinie : pas de référence ou dénominateur nul)"
                )
                out[lang] = (
                    f"{noun}{ctx} : {why}, donc non rempli (requis : {cmp_word} {threshold})"
                )
            continue
        shown = _fmt_value(value, spec, currency, lang)
        if lang == "en":
            out[lang] = f"{noun}{ctx}: {shown} (needs {cmp_word} {threshold}): " + (
                "met" if met else "not met"
            )
        else:
            out[lang] = f"{noun}{ctx} : {shown} (requis : {cmp_word} {threshold}) : " + (
                "rempli" if met else "non rempli"
            )
    return Text(en=out["en"], fr=out["fr"])


def _share_spec(spec: MetricSpec) -> MetricSpec:
    """The spec of "share of <metric>": a fraction, with its own noun."""
    en, fr = spec.noun["en"][1], spec.noun.get("fr", spec.noun["en"])[1]
    return replace(
        spec, unit="fraction", noun={"en": (f"share of {en}",) * 2, "fr": (f"part de {fr}",) * 2}
    )


def _spec_of(metric_name: str, unit: str) -> MetricSpec:
    spec = CATALOG[metric_name]
    return _share_spec(spec) if unit != spec.unit else spec


def _eval_check(
    node: Comparison, path: str, values: Mapping[str, Any], program: Program
) -> CheckResult:
    ref = node.ref
    spec = CATALOG[node.metric]
    value, status = _lookup(values, ref.key)
    key = ref.key
    if node.share_of is not None:
        spec = _share_spec(spec)
        key = f"{ref.key}/{node.share_of.ref.key}"
        whole, whole_status = _lookup(values, node.share_of.ref.key)
        if value is None or whole is None or whole == 0:
            value = None
            status = "missing" if "missing" in (status, whole_status) else "undefined"
        else:
            value = value / whole
    threshold = node.threshold
    met = value is not None and _compare(value, node.comparator, threshold)
    missing = None
    if value is not None and not met:
        missing = _missing(value, node.comparator, threshold, spec.unit)
    return CheckResult(
        path=path,
        metric=key,
        metric_name=node.metric,
        where=dict(node.where),
        window=node.window,
        unit=spec.unit,
        value=value,
        value_status=status,
        threshold=threshold,
        comparator=node.comparator,
        met=met,
        missing=missing,
        currency=program.currency,
        id=node.id,
        label=node.label,
    )


def _component_points(
    comp: Component, value: Decimal | None, rounding: Rounding
) -> tuple[Decimal, Decimal]:
    v = value if value is not None else Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 40
        if comp.points_per is not None:
            raw = (
                Decimal(math.floor(v / comp.points_per))
                if comp.whole_units
                else (v / comp.points_per)
            )
        else:
            assert comp.points_each is not None
            units = Decimal(math.floor(v)) if comp.whole_units else v
            raw = units * comp.points_each
        raw = max(raw, Decimal(0))
        capped = raw if comp.max_points is None else min(raw, comp.max_points)
        return raw, rounding.apply(capped)


def _eval_score(node: Score, path: str, values: Mapping[str, Any], program: Program) -> ScoreResult:
    rounding = node.rounding or program.rounding
    comps: list[ComponentResult] = []
    for i, comp in enumerate(node.score):
        ref = comp.ref
        value, status = _lookup(values, ref.key)
        raw, points = _component_points(comp, value, rounding)
        if comp.min_points is not None:
            minimum_met = points >= comp.min_points
        elif comp.more_than_points is not None:
            minimum_met = points > comp.more_than_points
        else:
            minimum_met = True
        comps.append(
            ComponentResult(
                path=f"{path}.score[{i}]" if path else f"score[{i}]",
                metric=ref.key,
                metric_name=comp.metric,
                where=dict(comp.where),
                window=comp.window,
                value=value,
                value_status=status,
                points_per=comp.points_per,
                points_each=comp.points_each,
                whole_units=comp.whole_units,
                raw_points=raw,
                max_points=comp.max_points,
                points=points,
                min_points=comp.min_points,
                more_than_points=comp.more_than_points,
                minimum_met=minimum_met,
                group=comp.group,
                id=comp.id,
                label=comp.label,
            )
        )
    groups: list[GroupResult] = []
    total = sum((c.points for c in comps if c.group is None), Decimal(0))
    for name, gdef in node.groups.items():
        members = tuple(i for i, c in enumerate(comps) if c.group == name)
        raw = sum((comps[i].points for i in members), Decimal(0))
        points = raw if gdef.max_points is None else min(raw, gdef.max_points)
        met = gdef.min_points is None or points >= gdef.min_points
        groups.append(
            GroupResult(
                name=name,
                components=members,
                raw_points=raw,
                max_points=gdef.max_points,
                points=points,
                min_points=gdef.min_points,
                met=met,
            )
        )
        total += points
    if node.max_points is not None:
        total = min(total, node.max_points)
    total = rounding.apply(total)
    met = (
        total >= node.at_least and all(c.minimum_met for c in comps) and all(g.met for g in groups)
    )
    missing = node.at_least - total if total < node.at_least else None
    t_en, t_fr = _fmt(total, "en"), _fmt(total, "fr")
    n_en, n_fr = _fmt(node.at_least, "en"), _fmt(node.at_least, "fr")
    explanation = Text(
        en=f"score {t_en} (needs at least {n_en}): " + ("met" if met else "not met"),
        fr=f"score {t_fr} (requis : au moins {n_fr}) : " + ("rempli" if met else "non rempli"),
    )
    return ScoreResult(
        path=path,
        components=tuple(comps),
        groups=tuple(groups),
        total=total,
        threshold=node.at_least,
        max_points=node.max_points,
        rounding=rounding,
        met=met,
        missing=missing,
        explanation=explanation,
        id=node.id,
        label=node.label,
    )


def evaluate_requirement(
    node: Node, *, program: Program, values: Mapping[str, Any], path: str = ""
) -> NodeResult:
    """Evaluate one requirement tree; ``values`` keyed by MetricRef key (Decimal or None)."""
    if isinstance(node, Comparison):
        return _eval_check(node, path, values, program)
    if isinstance(node, Score):
        return _eval_score(node, path, values, program)
    if isinstance(node, AllNode):
        kind: Literal["all", "any", "at_least"] = "all"
    elif isinstance(node, AnyNode):
        kind = "any"
    else:
        assert isinstance(node, AtLeastNode)
        kind = "at_least"
    prefix = f"{path}." if path else ""
    label = "of" if kind == "at_least" else kind
    children = tuple(
        evaluate_requirement(child, program=program, values=values, path=f"{prefix}{label}[{i}]")
        for i, child in enumerate(node.children)
    )
    met_count = sum(1 for c in children if c.met)
    if isinstance(node, AtLeastNode):
        required = node.at_least
    else:
        required = len(children) if kind == "all" else 1
    return LogicResult(
        path=path,
        kind=kind,
        required=required,
        children=children,
        met_count=met_count,
        met=met_count >= required,
        id=node.id,
        label=node.label,
    )


def _offered_tiers(program: Program, track: str) -> set[str]:
    by_tier = program.requirements.get(track, {})
    ranks = [program.tier_rank(t) for t in by_tier]
    top = max(ranks) if ranks else 0
    return set(program.tier_keys[: top + 1])


def evaluate_track(
    program: Program, *, track: str, values: Mapping[str, Any], active: bool = True
) -> TrackResult:
    """Every tier of ``track`` evaluated (``KeyError`` for an unknown track)."""
    if track not in program.tracks:
        raise KeyError(f"unknown track {track!r} (tracks: {', '.join(program.tracks)})")
    offered = _offered_tiers(program, track)
    tiers: list[TierResult] = []
    qualified: str | None = None
    for key in program.tier_keys:
        node = program.requirement(track, key)
        result = evaluate_requirement(node, program=program, values=values) if node else None
        is_offered = key in offered
        met = is_offered and (result is None or result.met)
        tiers.append(TierResult(tier=key, offered=is_offered, requirement=result, met=met))
        if met:
            qualified = key
    return TrackResult(track=track, active=active, tiers=tuple(tiers), qualified_tier=qualified)


def qualify_track(program: Program, *, track: str, values: Mapping[str, Any]) -> str | None:
    """Highest offered tier of ``track`` whose requirement is met (``None``: none is)."""
    return evaluate_track(program, track=track, values=values).qualified_tier


# --------------------------------------------------------------------------- gaps


def _check_shortfall(r: CheckResult, currency: str) -> Shortfall:
    if r.value is None:
        return Shortfall(
            kind="no_value",
            path=r.path,
            metric=r.metric,
            metric_name=r.metric_name,
            value=None,
            threshold=r.threshold,
            comparator=r.comparator,
            missing=None,
            text=LazyText(lambda: r.explanation),
        )
    assert r.missing is not None
    return Shortfall(
        kind="value",
        path=r.path,
        metric=r.metric,
        metric_name=r.metric_name,
        value=r.value,
        threshold=r.threshold,
        comparator=r.comparator,
        missing=r.missing,
        text=LazyText(lambda: _shortfall_text(r, currency)),
    )


def _shortfall_text(r: CheckResult, currency: str) -> Text:
    """ "2 more certified people", "EUR 120,000 more influenced bookings (12 months)"."""
    spec = _spec_of(r.metric_name, r.unit)
    assert r.value is not None and r.missing is not None
    texts = {}
    for lang in ("en", "fr"):
        ctx = _context(r.where, r.window, lang)
        cmp_word = _CMP[r.comparator][0 if lang == "en" else 1]
        threshold = _fmt_value(r.threshold, spec, currency, lang)
        now = _fmt_value(r.value, spec, currency, lang)
        upward = r.comparator in ("at_least", "more_than")
        if upward and spec.unit == "money":
            amount = _fmt_money(r.missing, currency, lang, up=True)
            noun = spec.noun_for(None, lang)
            texts[lang] = (
                f"{amount} more {noun}{ctx}" if lang == "en" else f"encore {amount} de {noun}{ctx}"
            )
        elif upward and spec.is_count:
            noun = spec.noun_for(r.missing, lang)
            n = _fmt(r.missing, lang)
            texts[lang] = f"{n} more {noun}{ctx}" if lang == "en" else f"encore {n} {noun}{ctx}"
        else:
            noun = spec.noun_for(None, lang)
            if lang == "en":
                verb = (
                    "must reach"
                    if r.comparator == "at_least"
                    else ("must exceed" if r.comparator == "more_than" else f"must be {cmp_word}")
                )
                texts[lang] = f"{noun}{ctx} {verb} {threshold} (now {now})"
            else:
                verb = (
                    "doit atteindre"
                    if r.comparator == "at_least"
                    else (
                        "doit dépasser"
                        if r.comparator == "more_than"
                        else f"doit être de {cmp_word}"
                    )
                )
                texts[lang] = f"{noun}{ctx} {verb} {threshold} (actuellement {now})"
    return Text(en=texts["en"], fr=texts["fr"])


def _headroom(r: ScoreResult) -> tuple[Headroom, ...]:
    group_room: dict[str, Decimal | None] = {
        g.name: (None if g.max_points is None else g.max_points - g.points) for g in r.groups
    }
    out: list[Headroom] = []
    for c in r.components:
        room = None if c.max_points is None else c.max_points - c.points
        if c.group is not None:
            g_room = group_room.get(c.group)
            if g_room is not None:
                room = g_room if room is None else min(room, g_room)
        if room is not None and room <= 0:
            continue
        out.append(
            Headroom(
                path=c.path,
                metric=c.metric,
                metric_name=c.metric_name,
                points=c.points,
                max_points=c.max_points,
                headroom=room,
            )
        )
    return tuple(out)


def _score_shortfalls(r: ScoreResult) -> list[Shortfall]:
    out: list[Shortfall] = []
    if r.missing is not None:
        m_en, m_fr = _fmt(r.missing, "en"), _fmt(r.missing, "fr")
        t_en, t_fr = _fmt(r.total, "en"), _fmt(r.total, "fr")
        n_en, n_fr = _fmt(r.threshold, "en"), _fmt(r.threshold, "fr")
        plural = "" if r.missing == 1 else "s"
        out.append(
            Shortfall(
                kind="points",
                path=r.path,
                metric=None,
                metric_name=None,
                value=r.total,
                threshold=r.threshold,
                comparator="at_least",
                missing=r.missing,
                text=Text(
                    en=f"{m_en} more point{plural} (score {t_en} of {n_en})",
                    fr=f"encore {m_fr} point{plural} (score {t_fr} sur {n_fr})",
                ),
                can_earn=_headroom(r),
            )
        )
    for c in r.components:
        if c.minimum_met:
            continue
        spec = CATALOG[c.metric_name]
        strict = c.min_points is None
        minimum = c.more_than_points if strict else c.min_points
        assert minimum is not None
        missing = None if strict else minimum - c.points
        texts = {}
        for lang in ("en", "fr"):
            ctx = _context(c.where, c.window, lang)
            noun = spec.noun_for(None, lang)
            mn, has = _fmt(minimum, lang), _fmt(c.points, lang)
            if lang == "en":
                need = f"more than {mn} points" if strict else f"at least {mn} points"
                texts[lang] = f"{noun}{ctx}: needs {need} (has {has})"
            else:
                need = f"plus de {mn} points" if strict else f"au moins {mn} points"
                texts[lang] = f"{noun}{ctx} : {need} requis (actuellement {has})"
        out.append(
            Shortfall(
                kind="component_minimum",
                path=c.path,
                metric=c.metric,
                metric_name=c.metric_name,
                value=c.points,
                threshold=minimum,
                comparator="more_than" if strict else "at_least",
                missing=missing,
                text=Text(en=texts["en"], fr=texts["fr"]),
            )
        )
    for g in r.groups:
        if g.met:
            continue
        assert g.min_points is not None
        mn_en, mn_fr = _fmt(g.min_points, "en"), _fmt(g.min_points, "fr")
        has_en, has_fr = _fmt(g.points, "en"), _fmt(g.points, "fr")
        out.append(
            Shortfall(
                kind="group_minimum",
                path=f"{r.path}.groups.{g.name}" if r.path else f"groups.{g.name}",
                metric=None,
                metric_name=None,
                value=g.points,
                threshold=g.min_points,
                comparator="at_least",
                missing=g.min_points - g.points,
                text=Text(
                    en=f"group {g.name}: needs at least {mn_en} points (has {has_en})",
                    fr=f"groupe {g.name} : au moins {mn_fr} points requis (actuellement {has_fr})",
                ),
            )
        )
    return out


def shortfalls(result: NodeResult, *, currency: str) -> tuple[Shortfall, ...]:
    """The minimal shortfalls that would make ``result`` met (empty when met); rules above."""
    if result.met:
        return ()
    if isinstance(result, CheckResult):
        return (_check_shortfall(result, currency),)
    if isinstance(result, ScoreResult):
        return tuple(_score_shortfalls(result))
    failing = [shortfalls(c, currency=currency) for c in result.children if not c.met]
    if result.kind == "all":
        return tuple(s for group in failing for s in group)
    need = result.required - result.met_count
    cheapest = sorted(failing, key=len)[:need]  # sorted is stable: ties keep document order
    return tuple(s for group in cheapest for s in group)


def _summary(program: Program, to_tier: str, items: Sequence[Shortfall], met: bool) -> Text:
    en_name, fr_name = program.tier_name(to_tier, "en"), program.tier_name(to_tier, "fr")
    if met:
        return Text(
            en=f"{en_name}: all requirements met", fr=f"{fr_name} : tous les critères sont remplis"
        )
    return Text(
        en=f"For {en_name}: " + "; ".join(s.text.en for s in items),
        fr=f"Pour {fr_name} : " + " ; ".join(s.text.fr for s in items),
    )


def _gap_from_track(program: Program, result: TrackResult, tier: str | None) -> Gap | None:
    rank = program.tier_rank(tier) if tier is not None else -1
    if rank + 1 >= len(program.tier_keys):
        return None
    target = result.tiers[rank + 1]
    if not target.offered:
        return None
    items = (
        shortfalls(target.requirement, currency=program.currency)
        if target.requirement is not None
        else ()
    )
    return Gap(
        track=result.track,
        from_tier=tier,
        to_tier=target.tier,
        met=target.met,
        shortfalls=items,
        summary=_summary(program, target.tier, items, target.met),
    )


def gap_to_next_tier(
    program: Program, *, track: str, values: Mapping[str, Any], tier: str | None
) -> Gap | None:
    """Shortfalls for the tier just above ``tier`` (the lowest tier when ``tier`` is None) in
    ``track``; ``None`` when ``tier`` is the top tier or the next tier is not offered there."""
    return _gap_from_track(program, evaluate_track(program, track=track, values=values), tier)


# --------------------------------------------------------------------------- grandfathering


def apply_grandfathering(
    program: Program, *, previous_tier: str | None, qualified_tier: str | None, as_of: date
) -> tuple[str | None, GrandfatherRule | None]:
    """The tier after grandfathering and the rule that set it (``None`` if none applied).

    A rule applies when ``previous_tier`` (the partner's tier on the rule's ``for.tier_on``;
    the caller reads it) equals ``for.was``, ``as_of <= until`` (if given), the qualified tier
    ranks at least ``while_qualifying_for`` (if given), and ``keep`` ranks above the qualified
    tier. Among applicable rules the highest ``keep`` wins (ties: first rule). Grandfathering
    never lowers a tier.
    """
    best, best_rule = qualified_tier, None
    q_rank = program.tier_rank(qualified_tier) if qualified_tier is not None else -1
    for rule in program.grandfathering:
        if previous_tier is None or previous_tier != rule.for_.was:
            continue
        if rule.until is not None and as_of > rule.until:
            continue
        if rule.while_qualifying_for is not None and q_rank < program.tier_rank(
            rule.while_qualifying_for
        ):
            continue
        best_rank = program.tier_rank(best) if best is not None else -1
        if program.tier_rank(rule.keep) > best_rank:
            best, best_rule = rule.keep, rule
    return best, best_rule


# --------------------------------------------------------------------------- assessment


def assess_partner(
    program: Program,
    *,
    tracks_enrolled: Sequence[str],
    values: Mapping[str, Any],
    previous_tier: str | None,
    as_of: date,
) -> Assessment:
    """Assess one partner as of ``as_of``.

    Every enrolled track known to the program is evaluated; tracks not in effect on ``as_of``
    (``Program.track_active``) are marked inactive and never count. The qualified tier is the
    highest over active tracks (ties: first in ``tracks_enrolled``, which the engine passes in
    track key order), then grandfathering applies; the next-tier gap is taken on the active
    track with the fewest shortfalls (same tie rule). Pure: no side effects.
    """
    results: list[TrackResult] = []
    unknown: list[str] = []
    for track in dict.fromkeys(tracks_enrolled):
        if track not in program.tracks:
            unknown.append(track)
            continue
        results.append(
            evaluate_track(
                program, track=track, values=values, active=program.track_active(track, as_of)
            )
        )
    qualified: str | None = None
    qualified_track: str | None = None
    best_rank = -1
    for r in results:
        if r.active and r.qualified_tier is not None:
            rank = program.tier_rank(r.qualified_tier)
            if rank > best_rank:
                best_rank, qualified, qualified_track = rank, r.qualified_tier, r.track
    tier, rule = apply_grandfathering(
        program, previous_tier=previous_tier, qualified_tier=qualified, as_of=as_of
    )
    gaps = [g for r in results if r.active if (g := _gap_from_track(program, r, tier)) is not None]
    next_gap = min(gaps, key=lambda g: (not g.met, len(g.shortfalls))) if gaps else None
    return Assessment(
        program=program.program,
        version=program.version,
        as_of=as_of,
        tracks={r.track: r for r in results},
        qualified_tier=qualified,
        qualified_track=qualified_track,
        previous_tier=previous_tier,
        tier=tier,
        grandfathered=rule is not None,
        grandfathering_rule=program.grandfathering.index(rule) if rule is not None else None,
        next_tier=next_gap,
        unknown_tracks=tuple(unknown),
    )


#: Alias used by ``programs.engine``.
PartnerAssessment = Assessment
