"""The program language: YAML → validated, immutable pydantic models (pure: no Django).

Reference: ``docs/program-language.md``. Entry points:

- :func:`load_program` / :func:`load_program_text` parse YAML and validate; any problem raises
  :class:`ProgramError` listing **every** error as ``(file, field_path, reason)`` with dotted
  paths such as ``requirements.consulting.advanced.score[0].points_per``.
- :func:`program_from_json` re-validates a stored canonical form (``Program.canonical_dict()``).
- :meth:`Program.metric_refs` lists the :class:`MetricRef` the engine must measure; each ref has a
  stable ``key`` used by ``programs.rules`` to look values up.

Numbers are :class:`decimal.Decimal` everywhere: YAML floats are read from their text
(``2.14`` → ``Decimal('2.14')``), never through binary floats. Duplicate YAML keys are errors.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from partnerprogram.core.periods import Window, WindowError
from partnerprogram.programs.catalog import CATALOG

__all__ = [
    "AllNode",
    "AnyNode",
    "AtLeastNode",
    "Benefit",
    "Comparison",
    "Component",
    "Cycle",
    "GrandfatherFrom",
    "GrandfatherRule",
    "GroupDef",
    "Localized",
    "MetricRef",
    "Node",
    "Program",
    "ProgramError",
    "Rounding",
    "Score",
    "TierDef",
    "TrackDef",
    "iter_nodes",
    "load_program",
    "load_program_text",
    "program_from_json",
]

Comparator = Literal["at_least", "more_than", "at_most", "less_than"]
COMPARATORS: tuple[Comparator, ...] = ("at_least", "more_than", "at_most", "less_than")
_PROBLEMS = "program_problems"  # custom pydantic error type carrying (sub_path, reason) pairs


# --------------------------------------------------------------------------- errors


class ProgramError(ValueError):
    """A program definition that is not valid.

    ``errors`` lists every problem as ``(file, field_path, reason)``; ``field_path`` is dotted with
    list indexes in brackets (``requirements.consulting.advanced.score[0].points_per``) and empty
    for file-level problems (YAML syntax, duplicate keys). ``str(error)`` gives one
    ``file: field_path: reason`` line per problem.
    """

    def __init__(self, errors: Sequence[tuple[str, str, str]]) -> None:
        self.errors: list[tuple[str, str, str]] = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(
            f"{file}: {path}: {reason}" if path else f"{file}: {reason}"
            for file, path, reason in self.errors
        )


def _problems(pairs: Sequence[tuple[str, str]]) -> PydanticCustomError:
    """A validation error carrying several (relative dotted path, reason) problems."""
    summary = "; ".join(f"{p}: {r}" if p else r for p, r in pairs)
    return PydanticCustomError(
        _PROBLEMS, "{summary}", {"summary": summary, "problems": list(pairs)}
    )


# --------------------------------------------------------------------------- scalar types


#: Largest threshold or rate accepted (money is stored with 18 digits).
MAX_NUMBER = Decimal(10) ** 15


def _to_decimal(value: Any) -> Any:
    """Numbers → exact Decimal (floats via their shortest repr); other inputs pass through."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    if isinstance(value, float):
        value = Decimal(repr(value))
    elif isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, str):
        try:
            value = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise ValueError(f"must be a number, got {value!r}") from None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("must be a finite number")
        if value.copy_abs() >= MAX_NUMBER:
            raise ValueError(f"must be less than {MAX_NUMBER:,} in absolute value")
        if value.as_tuple().exponent > 0:  # type: ignore[operator]
            value = value.quantize(Decimal(1))
    return value


Num = Annotated[Decimal, BeforeValidator(_to_decimal)]
NonNegative = Annotated[Decimal, BeforeValidator(_to_decimal), Field(ge=0)]
Positive = Annotated[Decimal, BeforeValidator(_to_decimal), Field(gt=0)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
_VALUE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/+-]*$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Localized(_Frozen):
    """A text in English and French; a plain string in YAML sets both."""

    en: str | None = None
    fr: str | None = None

    def get(self, lang: str = "en") -> str:
        """The text in ``lang`` (``en``/``fr``), falling back to the other language, else ''."""
        first = self.fr if lang == "fr" else self.en
        return first or self.en or self.fr or ""


def _text_to_localized(value: Any) -> Any:
    if isinstance(value, str):
        return {"en": value, "fr": value}
    return value


LocalizedIn = Annotated[Localized, BeforeValidator(_text_to_localized)]


def _normalize_where(value: Any) -> Any:
    """``{key: scalar | [scalars]}`` → ``{key: sorted tuple of distinct strings}``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("must be a mapping of filter key to value or list of values")
    out: dict[str, tuple[str, ...]] = {}
    for key, raw in value.items():
        items = list(raw) if isinstance(raw, list | tuple) else [raw]
        if not items:
            raise ValueError(f"filter {key!r} has an empty list of values")
        texts: set[str] = set()
        for item in items:
            if isinstance(item, bool):
                text = "true" if item else "false"
            elif isinstance(item, str | int | Decimal):
                text = str(item)
            else:
                raise ValueError(f"filter {key!r}: value {item!r} must be a string")
            if not _VALUE_RE.match(text):
                raise ValueError(
                    f"filter {key!r}: value {text!r} may only hold letters, digits and _ . : / + -"
                )
            texts.add(text)
        out[str(key)] = tuple(sorted(texts))
    return out


Where = Annotated[dict[str, tuple[str, ...]], BeforeValidator(_normalize_where)]


def _window_text(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return Window.parse(value).text
    except WindowError as exc:
        raise ValueError(str(exc)) from None


def _metric_problems(
    metric: str, where: Mapping[str, tuple[str, ...]], window: str | None
) -> list[tuple[str, str]]:
    """Catalog checks of one metric use: filters allowed, values allowed, window rule."""
    spec = CATALOG.get(metric)
    if spec is None:
        return []  # reported by the metric field validator
    problems: list[tuple[str, str]] = []
    for key, values in where.items():
        filt = spec.filters.get(key)
        if filt is None:
            allowed = ", ".join(spec.filters) or "none"
            problems.append(
                (f"where.{key}", f"filter not allowed for {metric} (allowed: {allowed})")
            )
            continue
        if filt.values is not None:
            bad = [v for v in values if v not in filt.values]
            if bad:
                problems.append(
                    (
                        f"where.{key}",
                        f"{', '.join(bad)} not allowed (allowed: {', '.join(filt.values)})",
                    )
                )
    for key, filt in spec.filters.items():
        if filt.required and key not in where:
            problems.append((f"where.{key}", f"is required for {metric}"))
    if spec.window == "required" and window is None:
        problems.append(("window", f"is required for {metric} (e.g. 12M)"))
    if spec.window == "forbidden" and window is not None:
        problems.append(("window", f"not allowed for {metric}: it is read as of the date"))
    return problems


def _check_metric_name(value: str) -> str:
    if value not in CATALOG:
        raise ValueError(f"unknown metric {value!r} (known: {', '.join(CATALOG)})")
    return value


# --------------------------------------------------------------------------- metric references


@dataclass(frozen=True, order=True)
class MetricRef:
    """One measurable number: a catalog metric with its filters and window.

    ``where`` is a tuple of ``(key, sorted values)`` sorted by key; ``window`` is the canonical
    window text or ``None`` (point in time). ``key`` is stable across loads and orderings:
    ``certified_people[family=openshift|rhel]``, ``resale_bookings@12M``,
    ``registered_opportunities[product_line=ansible,status=approved|won]@12M``.
    """

    metric: str
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    window: str | None = None

    @classmethod
    def build(
        cls,
        metric: str,
        where: Mapping[str, Sequence[str]] | None = None,
        window: str | None = None,
    ) -> MetricRef:
        """Normalizing constructor (sorts keys and values)."""
        pairs = tuple(sorted((k, tuple(sorted(set(v)))) for k, v in (where or {}).items()))
        return cls(metric=metric, where=pairs, window=_window_text(window))

    @classmethod
    def parse(cls, key: str) -> MetricRef:
        """Inverse of :attr:`key` (``ValueError`` on a malformed key)."""
        m = re.fullmatch(r"([a-z0-9_]+)(?:\[([^\]]*)\])?(?:@(.+))?", key)
        if not m:
            raise ValueError(f"malformed metric key {key!r}")
        where: dict[str, list[str]] = {}
        if m.group(2):
            for part in m.group(2).split(","):
                name, sep, values = part.partition("=")
                if not sep or not name or not values:
                    raise ValueError(f"malformed metric key {key!r}")
                where[name] = values.split("|")
        return cls.build(m.group(1), where, m.group(3))

    @cached_property
    def key(self) -> str:
        text = self.metric
        if self.where:
            text += "[" + ",".join(f"{k}={'|'.join(v)}" for k, v in self.where) + "]"
        if self.window:
            text += f"@{self.window}"
        return text

    def where_dict(self) -> dict[str, tuple[str, ...]]:
        """``where`` as a dict ``{key: (values…)}``."""
        return dict(self.where)

    @property
    def window_obj(self) -> Window | None:
        return Window.parse(self.window) if self.window else None

    def __str__(self) -> str:
        return self.key


class _MetricPart(_Frozen):
    """A metric with its filters and window: what a comparison, a score component or the
    denominator of a share reads."""

    metric: str
    where: Where = Field(default_factory=dict)
    window: str | None = None

    _metric_name = field_validator("metric")(_check_metric_name)

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return _window_text(value)
        raise ValueError("must be a window text such as 12M, 6CM or fiscal_year")

    @cached_property
    def ref(self) -> MetricRef:
        """The :class:`MetricRef` this part reads."""
        return MetricRef(
            metric=self.metric, where=tuple(sorted(self.where.items())), window=self.window
        )


class _MetricUse(_MetricPart):
    """Fields shared by comparisons and score components."""

    id: Key | None = None
    label: LocalizedIn | None = None


# --------------------------------------------------------------------------- requirement nodes


class ShareOf(_MetricPart):
    """The denominator of a share: ``share_of: {metric, where, window}``."""


class Comparison(_MetricUse):
    """A gate: ``{metric, where, window, at_least | more_than | at_most | less_than: X}``.

    With ``share_of: {metric, where, window}`` the compared value is the share
    ``metric / share_of`` (a fraction; undefined when the denominator is 0), e.g. Atlassian's
    "at least 15 % of sales from cloud". Both metrics must be additive (not fractions).
    """

    at_least: NonNegative | None = None
    more_than: NonNegative | None = None
    at_most: NonNegative | None = None
    less_than: NonNegative | None = None
    share_of: ShareOf | None = None

    @model_validator(mode="after")
    def _check(self) -> Comparison:
        problems = _metric_problems(self.metric, self.where, self.window)
        if self.share_of is not None:
            share = self.share_of
            problems += [
                (f"share_of.{path}" if path else "share_of", reason)
                for path, reason in _metric_problems(share.metric, share.where, share.window)
            ]
            for path, name in (("metric", self.metric), ("share_of.metric", share.metric)):
                spec = CATALOG.get(name)
                if spec is not None and spec.unit == "fraction":
                    problems.append((path, f"{name} is a fraction: a share needs sums or counts"))
        given = [c for c in COMPARATORS if getattr(self, c) is not None]
        if len(given) != 1:
            problems.append(
                (
                    "",
                    "needs exactly one comparator among at_least, more_than, at_most, less_than"
                    + (f" (got {', '.join(given)})" if given else ""),
                )
            )
        if problems:
            raise _problems(problems)
        return self

    @cached_property
    def comparator(self) -> Comparator:
        return next(c for c in COMPARATORS if getattr(self, c) is not None)

    @cached_property
    def threshold(self) -> Decimal:
        value = getattr(self, self.comparator)
        assert isinstance(value, Decimal)
        return value


class Rounding(_Frozen):
    """Rounding of points: ``places`` decimals, ``mode`` half_up | half_even | down | up."""

    places: int = Field(default=2, ge=0, le=10)
    mode: Literal["half_up", "half_even", "down", "up"] = "half_up"

    def apply(self, value: Decimal) -> Decimal:
        """``value`` rounded to ``places`` decimals with ``mode`` (7 x 2.14 = 14.98 stays)."""
        modes = {
            "half_up": ROUND_HALF_UP,
            "half_even": ROUND_HALF_EVEN,
            "down": ROUND_DOWN,
            "up": ROUND_UP,
        }
        return value.quantize(Decimal(1).scaleb(-self.places), rounding=modes[self.mode])


class Component(_MetricUse):
    """A score component: points for a metric value, capped, with an optional minimum."""

    points_per: Positive | None = None
    points_each: Positive | None = None
    whole_units: bool = False
    max_points: NonNegative | None = None
    min_points: NonNegative | None = None
    more_than_points: NonNegative | None = None
    group: Key | None = None

    @model_validator(mode="after")
    def _check(self) -> Component:
        problems = _metric_problems(self.metric, self.where, self.window)
        if (self.points_per is None) == (self.points_each is None):
            problems.append(("", "needs exactly one of points_per and points_each"))
        if self.min_points is not None and self.more_than_points is not None:
            problems.append(("", "give at most one of min_points and more_than_points"))
        if problems:
            raise _problems(problems)
        return self


class GroupDef(_Frozen):
    """A group of score components: their summed points are capped and may have a minimum."""

    max_points: NonNegative | None = None
    min_points: NonNegative | None = None
    label: LocalizedIn | None = None


class Score(_Frozen):
    """``{score: [component...], groups, at_least: X, max_points, rounding}``."""

    score: tuple[Component, ...] = Field(min_length=1)
    groups: dict[Key, GroupDef] = Field(default_factory=dict)
    at_least: NonNegative
    max_points: NonNegative | None = None
    rounding: Rounding | None = None
    id: Key | None = None
    label: LocalizedIn | None = None

    @model_validator(mode="after")
    def _check(self) -> Score:
        problems = [
            (
                f"score[{i}].group",
                f"unknown group {c.group!r} (groups: {', '.join(self.groups) or 'none'})",
            )
            for i, c in enumerate(self.score)
            if c.group is not None and c.group not in self.groups
        ]
        if problems:
            raise _problems(problems)
        return self


class AllNode(_Frozen):
    """``{all: [node...]}``: every child met."""

    all: tuple[Node, ...] = Field(min_length=1)
    id: Key | None = None
    label: LocalizedIn | None = None

    @property
    def children(self) -> tuple[Node, ...]:
        return self.all


class AnyNode(_Frozen):
    """``{any: [node...]}``: at least one child met (alternative paths)."""

    any: tuple[Node, ...] = Field(min_length=1)
    id: Key | None = None
    label: LocalizedIn | None = None

    @property
    def children(self) -> tuple[Node, ...]:
        return self.any


class AtLeastNode(_Frozen):
    """``{at_least: k, of: [node...]}``: at least k children met."""

    at_least: int = Field(ge=1)
    of: tuple[Node, ...] = Field(min_length=1)
    id: Key | None = None
    label: LocalizedIn | None = None

    @model_validator(mode="after")
    def _check(self) -> AtLeastNode:
        if self.at_least > len(self.of):
            raise _problems(
                [("at_least", f"{self.at_least} is more than the {len(self.of)} nodes in 'of'")]
            )
        return self

    @property
    def children(self) -> tuple[Node, ...]:
        return self.of


def _node_tag(value: Any) -> str | None:
    if isinstance(value, Mapping):
        for key, tag in (
            ("score", "score"),
            ("of", "at_least"),
            ("all", "all"),
            ("any", "any"),
            ("metric", "comparison"),
        ):
            if key in value:
                return f"node:{tag}"
        return None
    for cls, tag in (
        (Score, "score"),
        (AtLeastNode, "at_least"),
        (AllNode, "all"),
        (AnyNode, "any"),
        (Comparison, "comparison"),
    ):
        if isinstance(value, cls):
            return f"node:{tag}"
    return None


Node = Annotated[
    Union[  # noqa: UP007 - tagged union needs the explicit form with Tag annotations
        Annotated[Score, Tag("node:score")],
        Annotated[AtLeastNode, Tag("node:at_least")],
        Annotated[AllNode, Tag("node:all")],
        Annotated[AnyNode, Tag("node:any")],
        Annotated[Comparison, Tag("node:comparison")],
    ],
    Discriminator(
        _node_tag,
        custom_error_type="invalid_node",
        custom_error_message="not a requirement node: expected a mapping with one of all, any, "
        "at_least+of, score or metric",
    ),
]

AllNode.model_rebuild()
AnyNode.model_rebuild()
AtLeastNode.model_rebuild()


def iter_nodes(node: Node) -> Iterator[Node]:
    """Depth-first walk of a requirement tree (the node itself first)."""
    yield node
    if isinstance(node, AllNode | AnyNode | AtLeastNode):
        for child in node.children:
            yield from iter_nodes(child)


# --------------------------------------------------------------------------- program


class TierDef(_Frozen):
    """A tier; YAML may give just its key (``ready``) or ``{key, name}``."""

    key: Key
    name: LocalizedIn | None = None


def _tier_in(value: Any) -> Any:
    return {"key": value} if isinstance(value, str) else value


class Cycle(_Frozen):
    """Claims cycle: claims open, deadline (end of that day, program zone), freeze length."""

    claims_open: date
    claim_deadline: date
    freeze_months: int = Field(default=0, ge=0, le=120)
    promotions_during_freeze: bool = False

    @model_validator(mode="after")
    def _check(self) -> Cycle:
        if self.claim_deadline < self.claims_open:
            raise _problems([("claim_deadline", "must not be before claims_open")])
        return self


class TrackDef(_Frozen):
    """A track (business model) with optional effective dates (inclusive) and optionally a
    claims cycle of its own (a track that opens later, such as CCSP on 2027-01-01, enters
    with its own cycle; the other tracks use the program's ``cycle``)."""

    name: LocalizedIn | None = None
    effective_from: date | None = None
    effective_until: date | None = None
    cycle: Cycle | None = None

    @model_validator(mode="after")
    def _check(self) -> TrackDef:
        if (
            self.cycle is not None
            and self.effective_from is not None
            and self.cycle.claims_open < self.effective_from
        ):
            raise _problems(
                [("cycle.claims_open", "must not be before the track's effective_from")]
            )
        if (
            self.effective_from
            and self.effective_until
            and self.effective_until < self.effective_from
        ):
            raise _problems([("effective_until", "must not be before effective_from")])
        return self


class GrandfatherFrom(_Frozen):
    """Who is protected: partners whose tier on ``tier_on`` (previous program) was ``was``."""

    was: Key
    tier_on: date


class GrandfatherRule(_Frozen):
    """Keep tier ``keep`` for partners matching ``for`` while they qualify at least for
    ``while_qualifying_for`` (if given), until ``until`` inclusive (if given)."""

    keep: Key
    for_: GrandfatherFrom = Field(alias="for")
    while_qualifying_for: Key | None = None
    until: date | None = None
    id: Key | None = None
    label: LocalizedIn | None = None


def _track_in(value: Any) -> Any:
    return {} if value is None else value


BenefitKind = Literal["discount", "rebate", "mdf", "protection_days", "other"]


class Benefit(_Frozen):
    """What a tier gets (display data: no rule reads it). ``kind`` says how ``value`` reads:
    ``discount`` and ``rebate`` are fractions (0.15 = 15 %), ``mdf`` an amount in the program
    currency, ``protection_days`` a number of days, ``other`` a plain number; ``unit`` is an
    optional text shown after the value ("on resale", "per year")."""

    key: Key
    label: LocalizedIn
    kind: BenefitKind
    value: NonNegative | None = None
    unit: LocalizedIn | None = None


class Program(_Frozen):
    """One program version. See ``docs/program-language.md`` for every field."""

    program: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]
    name: LocalizedIn
    description: LocalizedIn | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    timezone: str
    fiscal_year_start: int = Field(default=1, ge=1, le=12)
    version: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    effective_from: date
    rounding: Rounding = Field(default_factory=Rounding)
    tiers: tuple[Annotated[TierDef, BeforeValidator(_tier_in)], ...] = Field(min_length=1)
    tracks: dict[Key, Annotated[TrackDef, BeforeValidator(_track_in)]] = Field(min_length=1)
    requirements: dict[str, dict[str, Node]] = Field(default_factory=dict)
    grandfathering: tuple[GrandfatherRule, ...] = ()
    cycle: Cycle | None = None
    benefits: dict[str, tuple[Benefit, ...]] | None = None

    @field_validator("tracks", "requirements", mode="after")
    @classmethod
    def _key_order(cls, value: dict[str, Any]) -> dict[str, Any]:
        """Tracks in key order (stated rule): the stored canonical form sorts keys, and
        PostgreSQL's jsonb reorders them, so the YAML order could not survive storage; tie-breaks
        that read the track order ("first track") are thus the same on every database."""
        return dict(sorted(value.items()))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Paris)") from None
        return value

    @model_validator(mode="after")
    def _cross_check(self) -> Program:
        problems: list[tuple[str, str]] = []
        keys = [t.key for t in self.tiers]
        for i, key in enumerate(keys):
            if key in keys[:i]:
                problems.append((f"tiers[{i}]", f"duplicate tier {key!r}"))
        tiers = set(keys)
        for track, by_tier in self.requirements.items():
            if track not in self.tracks:
                problems.append(
                    (f"requirements.{track}", f"unknown track (tracks: {', '.join(self.tracks)})")
                )
            for tier in by_tier:
                if tier not in tiers:
                    problems.append(
                        (f"requirements.{track}.{tier}", f"unknown tier (tiers: {', '.join(keys)})")
                    )
        for i, rule in enumerate(self.grandfathering):
            for field, value in (
                ("keep", rule.keep),
                ("for.was", rule.for_.was),
                ("while_qualifying_for", rule.while_qualifying_for),
            ):
                if value is not None and value not in tiers:
                    problems.append(
                        (
                            f"grandfathering[{i}].{field}",
                            f"unknown tier {value!r} (tiers: {', '.join(keys)})",
                        )
                    )
        for tier, items in (self.benefits or {}).items():
            if tier not in tiers:
                problems.append((f"benefits.{tier}", f"unknown tier (tiers: {', '.join(keys)})"))
            seen: set[str] = set()
            for j, item in enumerate(items):
                if item.key in seen:
                    problems.append(
                        (f"benefits.{tier}[{j}].key", f"duplicate benefit {item.key!r}")
                    )
                seen.add(item.key)
        if problems:
            raise _problems(problems)
        return self

    # ---- tiers and tracks

    @cached_property
    def tier_keys(self) -> tuple[str, ...]:
        """Tier keys, lowest first."""
        return tuple(t.key for t in self.tiers)

    def tier_rank(self, key: str) -> int:
        """0 for the lowest tier, 1 for the next…; ``KeyError`` for an unknown tier."""
        try:
            return self.tier_keys.index(key)
        except ValueError:
            raise KeyError(f"unknown tier {key!r} (tiers: {', '.join(self.tier_keys)})") from None

    def tier_name(self, key: str, lang: str = "en") -> str:
        """Display name of a tier (its key, capitalized, when no name is given)."""
        for tier in self.tiers:
            if tier.key == key:
                return tier.name.get(lang) if tier.name else key.replace("_", " ").capitalize()
        raise KeyError(f"unknown tier {key!r}")

    @property
    def track_keys(self) -> tuple[str, ...]:
        return tuple(self.tracks)

    def track_name(self, key: str, lang: str = "en") -> str:
        track = self.tracks[key]
        return track.name.get(lang) if track.name else key.replace("_", " ").capitalize()

    def track_active(self, track: str, on: date) -> bool:
        """True when ``track`` is in effect on ``on`` (effective_from <= on <= effective_until);
        ``KeyError`` for an unknown track."""
        spec = self.tracks[track]
        if spec.effective_from is not None and on < spec.effective_from:
            return False
        return not (spec.effective_until is not None and on > spec.effective_until)

    def cycle_for(self, track: str) -> Cycle | None:
        """The claims cycle that applies to ``track``: its own, else the program's ``cycle``
        (``KeyError`` for an unknown track)."""
        own = self.tracks[track].cycle
        return own if own is not None else self.cycle

    def benefits_of(self, tier: str) -> tuple[Benefit, ...]:
        """The benefits of ``tier`` in the file's order (empty when none are listed)."""
        return (self.benefits or {}).get(tier, ())

    def requirement(self, track: str, tier: str) -> Node | None:
        """The requirement node of ``tier`` in ``track`` (``None``: no requirement, met)."""
        return self.requirements.get(track, {}).get(tier)

    def display_name(self, lang: str = "en") -> str:
        return self.name.get(lang)

    # ---- metrics

    def metric_refs(self) -> set[MetricRef]:
        """Every metric reference used by a comparison or score component."""
        refs: set[MetricRef] = set()
        for by_tier in self.requirements.values():
            for root in by_tier.values():
                for node in iter_nodes(root):
                    if isinstance(node, Comparison):
                        refs.add(node.ref)
                        if node.share_of is not None:
                            refs.add(node.share_of.ref)
                    elif isinstance(node, Score):
                        refs.update(c.ref for c in node.score)
        return refs

    # ---- canonical form

    def canonical_dict(self) -> dict[str, Any]:
        """JSON-ready dict: dates ISO, Decimals as strings, ``None`` fields dropped."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return data

    def canonical_json(self) -> str:
        """Canonical JSON text: sorted keys, no spaces, UTF-8 characters kept."""
        return json.dumps(
            self.canonical_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )

    def sha256(self) -> str:
        """Hex sha256 of :meth:`canonical_json` encoded in UTF-8."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- loading


class _Loader(yaml.SafeLoader):
    """Safe loader: floats become exact Decimals, duplicate mapping keys are errors."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:
                    continue
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key!r}",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


def _construct_float(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        value = Decimal(text)
    except InvalidOperation:
        return loader.construct_yaml_float(node)  # type: ignore[arg-type]  # .inf, .nan, 1:30.5
    return value if value.is_finite() else float(value)


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Dates as YAML reads them, but an impossible one (2026-02-30) is a YAML error with its
    line instead of a crash."""
    try:
        return loader.construct_yaml_timestamp(node)  # type: ignore[arg-type]
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"invalid date {node.value!r}: {exc}", node.start_mark
        ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for item in loc:
        if isinstance(item, int):
            out += f"[{item}]"
        elif item.startswith("node:") or item.startswith("function-"):
            continue
        elif item == "[key]":
            out += " (key)"
        else:
            out += f".{item}" if out else item
    return out


def _join(base: str, sub: str) -> str:
    if not sub:
        return base
    if not base:
        return sub
    return f"{base}{sub}" if sub.startswith("[") else f"{base}.{sub}"


def _reason(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "unknown field (not part of the program language)"
    if kind == "greater_than":
        return f"must be greater than {ctx['gt']}"
    if kind == "greater_than_equal":
        return f"must be greater than or equal to {ctx['ge']}"
    if kind == "less_than_equal":
        return f"must be less than or equal to {ctx['le']}"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        if pattern.startswith("^[a-z0-9]"):
            return "must be a lowercase slug (letters a-z, digits, '-' or '_')"
        if pattern == "^[A-Z]{3}$":
            return "must be an ISO 4217 code such as EUR"
        return f"must match {pattern}"
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg[:1].lower() + msg[1:]


def _translate(exc: ValidationError, source: str) -> ProgramError:
    errors: list[tuple[str, str, str]] = []
    for err in exc.errors():
        base = _path(err["loc"])
        ctx = err.get("ctx") or {}
        if (
            err["type"] == "too_short"
            and isinstance(err.get("input"), list | tuple)
            and len(err["input"]) >= ctx.get("min_length", 0)
        ):
            continue  # items failed: reported on the items, not as an empty list
        if err["type"] == _PROBLEMS:
            for sub, reason in ctx["problems"]:
                errors.append((source, _join(base, sub), reason))
        else:
            errors.append((source, base, _reason(err)))
    return ProgramError(errors)


def _raw_cross_check(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Tier/track reference checks on raw data, so they are reported with other errors even when
    the models could not be built (the model validator does the same on valid input)."""
    raw_tiers = data.get("tiers")
    keys = [
        t.get("key") if isinstance(t, Mapping) else t
        for t in (raw_tiers if isinstance(raw_tiers, list) else [])
    ]
    tiers = {k for k in keys if isinstance(k, str)}
    tracks = data.get("tracks") if isinstance(data.get("tracks"), Mapping) else {}
    problems: list[tuple[str, str]] = []
    for i, key in enumerate(keys):
        if isinstance(key, str) and key in keys[:i]:
            problems.append((f"tiers[{i}]", f"duplicate tier {key!r}"))
    requirements = data.get("requirements")
    if isinstance(requirements, Mapping):
        for track, by_tier in requirements.items():
            if tracks and track not in tracks:
                problems.append(
                    (
                        f"requirements.{track}",
                        f"unknown track (tracks: {', '.join(map(str, tracks))})",
                    )
                )
            if isinstance(by_tier, Mapping) and tiers:
                for tier in by_tier:
                    if tier not in tiers:
                        problems.append(
                            (
                                f"requirements.{track}.{tier}",
                                f"unknown tier (tiers: {', '.join(map(str, keys))})",
                            )
                        )
    benefits = data.get("benefits")
    if isinstance(benefits, Mapping) and tiers:
        for tier in benefits:
            if tier not in tiers:
                problems.append(
                    (f"benefits.{tier}", f"unknown tier (tiers: {', '.join(map(str, keys))})")
                )
    rules = data.get("grandfathering")
    if isinstance(rules, list) and tiers:
        for i, rule in enumerate(rules):
            if not isinstance(rule, Mapping):
                continue
            was = rule.get("for", {}).get("was") if isinstance(rule.get("for"), Mapping) else None
            for field, value in (
                ("keep", rule.get("keep")),
                ("for.was", was),
                ("while_qualifying_for", rule.get("while_qualifying_for")),
            ):
                if isinstance(value, str) and value not in tiers:
                    names = ", ".join(map(str, keys))
                    problems.append(
                        (f"grandfathering[{i}].{field}", f"unknown tier {value!r} (tiers: {names})")
                    )
    return problems


def _validate(data: Any, source: str) -> Program:
    if not isinstance(data, Mapping):
        raise ProgramError([(source, "", "a program must be a YAML mapping at the top level")])
    try:
        return Program.model_validate(dict(data))
    except ValidationError as exc:
        error = _translate(exc, source)
        known = {(path, reason) for _, path, reason in error.errors}
        extra = [(source, p, r) for p, r in _raw_cross_check(data) if (p, r) not in known]
        raise ProgramError(error.errors + extra) from None


def load_program_text(text: str, *, source: str) -> Program:
    """Parse and validate program YAML ``text``; ``source`` names it in errors (a file path).

    Raises :class:`ProgramError` listing every problem (YAML syntax and duplicate keys are
    reported alone, with their line, since nothing can be validated before they are fixed).
    """
    try:
        data = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ProgramError([(source, "", f"invalid YAML: {problem}{where}")]) from None
    return _validate(data, source)


def load_program(path: str | Path) -> Program:
    """Read a UTF-8 program file and validate it (:func:`load_program_text`)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProgramError([(str(path), "", f"cannot read file: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError as exc:
        raise ProgramError(
            [
                (
                    str(path),
                    "",
                    f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
                    f"{exc.start}): save the program as UTF-8 YAML",
                )
            ]
        ) from None
    return load_program_text(text, source=str(path))


def program_from_json(data: str | Mapping[str, Any], *, source: str = "<json>") -> Program:
    """Validate a canonical form (``Program.canonical_json()`` text or ``canonical_dict()``)."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ProgramError([(source, "", f"invalid JSON: {exc}")]) from None
    return _validate(data, source)
