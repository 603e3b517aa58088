"""Calibration: the smallest change of a draft's thresholds that meets stated targets.

Reference: ``docs/calibration.md``. Entry points:

- :func:`thresholds_list` — every numeric threshold of a program with its path
  (``requirements.solution_provider.premier.all[0].at_least``, the schema's error-path syntax).
- :func:`target_parse` — the closed target grammar (``keep:premier if-meets advanced``,
  ``at-least:30:premier``, ``demoted-at-most:5%``...); :class:`CalibrationError` on bad input.
- :func:`calibrate` — pure search: given the draft, the partners' values, the baseline tiers and
  the targets, returns a :class:`Calibration` (suggested thresholds, before/after figures, the
  calibrated YAML and its unified diff). Validated at the end with the full rules
  (``rules.assess_partner``).
- :func:`calibration_inputs` — reads the population, its metric values (one aggregate query per
  metric reference) and the baseline tiers from the database; no writes.

Why it is fast: a threshold is not a metric reference, so the metric values are computed once.
Each threshold check is reduced, per partner, to the value it compares (a metric value, a share,
a score total, a component's points); the partners meeting the check at a candidate threshold
are a bit set (one bit per partner) computed once per candidate, and a requirement tree is
evaluated for the whole population with a few bitwise ``&``/``|`` on those sets.
"""

from __future__ import annotations

import bisect
import difflib
import gc
import heapq
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Literal

import yaml
from django.utils.translation import gettext

from partnerprogram.programs import rules
from partnerprogram.programs.catalog import CATALOG
from partnerprogram.programs.schema import (
    AllNode,
    AnyNode,
    AtLeastNode,
    Comparison,
    Node,
    Program,
    ProgramError,
    Score,
    load_program_text,
)

__all__ = [
    "MAX_FREE_THRESHOLDS",
    "Calibration",
    "CalibrationError",
    "CalibrationInputs",
    "Change",
    "Direction",
    "Target",
    "TargetOutcome",
    "Threshold",
    "calibrate",
    "calibration_inputs",
    "free_parse",
    "target_parse",
    "thresholds_list",
    "yaml_with_thresholds",
]

Comparator = Literal["at_least", "more_than", "at_most", "less_than"]
Direction = Literal["relax", "tighten", "both"]

#: Default bounds, as fractions of the draft's value: relaxing goes down to 50 % (an
#: ``at_least``) or up to 150 % (an ``at_most``); tightening the other way.
DEFAULT_LOW = Decimal("0.5")
DEFAULT_HIGH = Decimal("1.5")
#: Exact search (best-first over every combination of candidate values) up to this many free
#: thresholds that can change an outcome, and this many evaluated combinations.
EXACT_MAX_FREE = 5
EXACT_MAX_EVALUATIONS = 200_000
#: When no single move helps, the greedy search tries pairs of moves among this many next
#: candidates of each threshold.
GREEDY_PAIR_CANDIDATES = 12
#: Up to this many partners the calibrated version is re-assessed for every partner; beyond,
#: only for the partners for whom a changed threshold check flips (the others' assessments
#: cannot change).
FULL_VALIDATION_MAX = 20_000
#: At most this many free thresholds by default (``free_parse(max_thresholds=...)``, CLI
#: ``--max-thresholds``): the greedy search evaluates about one move per candidate of each free
#: threshold per round, so its time grows with the square of their number.
MAX_FREE_THRESHOLDS = 50
#: Candidate values kept per threshold (beyond, an evenly spaced selection: see the docs).
MAX_CANDIDATES = 400
#: A suggestion is rounded to a "nice" number only when the rounding moves it by at most this
#: share of the draft's value and the targets still hold.
NICE_TOLERANCE = Decimal("0.05")


class CalibrationError(ValueError):
    """Bad calibration input (a target, a free threshold, bounds, a baseline); the message names
    the option, the value and the reason. ``plain``: the same for the console, naming its
    fields instead of command-line options, in the active language."""

    def __init__(self, message: str, *, plain: str | None = None) -> None:
        super().__init__(message)
        self.plain = plain if plain is not None else message


# --------------------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class Threshold:
    """A numeric threshold of a program.

    ``path``: dotted path in the program file (``requirements.consulting.premier.at_least``);
    ``kind``: ``check`` (a comparison's value), ``score`` (a score's minimum total),
    ``component_minimum`` (a component's ``min_points``/``more_than_points``) or
    ``group_minimum``; ``comparator``: how a partner's value meets it (``at_least`` etc.);
    ``unit``: the catalog unit of the compared value (``money`` in the program currency,
    ``fraction``, a count unit) or ``points``; ``value``: the threshold.
    """

    path: str
    track: str
    tier: str
    kind: Literal["check", "score", "component_minimum", "group_minimum"]
    comparator: Comparator
    value: Decimal
    unit: str
    label: str

    @property
    def relaxes_down(self) -> bool:
        """True when lowering the threshold relaxes it (``at_least``, ``more_than``)."""
        return self.comparator in ("at_least", "more_than")


def _label(node: Any, fallback: str, lang: str) -> str:
    label = getattr(node, "label", None)
    if label is not None:
        return str(label.get(lang))
    return str(getattr(node, "id", None) or fallback)


def _sub(path: str, part: str) -> str:
    if not path:
        return part
    return f"{path}{part}" if part.startswith("[") else f"{path}.{part}"


@dataclass(frozen=True)
class _Leaf:
    """A threshold check in a requirement tree: the threshold and how to read the compared value
    from the rules' result of that tree (``reader``)."""

    threshold: Threshold
    reader: Callable[[rules.NodeResult], Decimal | None]


# A compiled requirement tree: ("leaf", i) | ("and", [...]) | ("or", [...]) | ("k", k, [...])
_Formula = tuple[Any, ...]


def _child_result(result: rules.NodeResult, index: int) -> rules.NodeResult:
    assert isinstance(result, rules.LogicResult)
    return result.children[index]


def _compile(
    node: Node,
    *,
    track: str,
    tier: str,
    path: str,
    program: Program,
    leaves: list[_Leaf],
    get: Callable[[rules.NodeResult], rules.NodeResult],
    lang: str,
) -> _Formula:
    """Compile ``node`` into a formula over leaves, appending its leaves to ``leaves``."""
    title = f"{program.tier_name(tier, lang)} / {program.track_name(track, lang)}"

    def leaf(
        sub: str,
        kind: Any,
        comparator: Comparator,
        value: Decimal,
        unit: str,
        label: str,
        reader: Callable[[rules.NodeResult], Decimal | None],
    ) -> _Formula:
        full = _sub(f"requirements.{track}.{tier}", _sub(path, sub))
        leaves.append(
            _Leaf(Threshold(full, track, tier, kind, comparator, value, unit, label), reader)
        )
        return ("leaf", len(leaves) - 1)

    if isinstance(node, Comparison):
        unit = "fraction" if node.share_of is not None else CATALOG[node.metric].unit
        name = _label(node, node.metric, lang)

        def check_value(r: rules.NodeResult) -> Decimal | None:
            res = get(r)
            assert isinstance(res, rules.CheckResult)
            return res.value

        return leaf(
            node.comparator,
            "check",
            node.comparator,
            node.threshold,
            unit,
            f"{title}: {name}",
            check_value,
        )
    if isinstance(node, Score):
        name = _label(node, "score", lang)
        parts: list[_Formula] = []

        def total(r: rules.NodeResult) -> Decimal | None:
            res = get(r)
            assert isinstance(res, rules.ScoreResult)
            return res.total

        parts.append(
            leaf(
                "at_least", "score", "at_least", node.at_least, "points", f"{title}: {name}", total
            )
        )
        for i, comp in enumerate(node.score):
            minimum = comp.min_points if comp.min_points is not None else comp.more_than_points
            if minimum is None:
                continue
            cmp: Comparator = "at_least" if comp.min_points is not None else "more_than"

            def points(r: rules.NodeResult, i: int = i) -> Decimal | None:
                res = get(r)
                assert isinstance(res, rules.ScoreResult)
                return res.components[i].points

            field_name = "min_points" if comp.min_points is not None else "more_than_points"
            cname = _label(comp, comp.metric, lang)
            parts.append(
                leaf(
                    f"score[{i}].{field_name}",
                    "component_minimum",
                    cmp,
                    minimum,
                    "points",
                    f"{title}: {name}, {cname} "
                    + ("(points minimum)" if lang == "fr" else "(minimum points)"),
                    points,
                )
            )
        for g, (gname, gdef) in enumerate(node.groups.items()):
            if gdef.min_points is None:
                continue

            def group_points(r: rules.NodeResult, g: int = g) -> Decimal | None:
                res = get(r)
                assert isinstance(res, rules.ScoreResult)
                return res.groups[g].points

            parts.append(
                leaf(
                    f"groups.{gname}.min_points",
                    "group_minimum",
                    "at_least",
                    gdef.min_points,
                    "points",
                    f"{title}: {name}, "
                    + (
                        f"groupe {gname} (points minimum)"
                        if lang == "fr"
                        else f"group {gname} (minimum points)"
                    ),
                    group_points,
                )
            )
        return ("and", parts)
    assert isinstance(node, AllNode | AnyNode | AtLeastNode)
    word = "all" if isinstance(node, AllNode) else "any" if isinstance(node, AnyNode) else "of"
    children = []
    for i, child in enumerate(node.children):

        def child_get(r: rules.NodeResult, i: int = i) -> rules.NodeResult:
            return _child_result(get(r), i)

        children.append(
            _compile(
                child,
                track=track,
                tier=tier,
                path=_sub(path, f"{word}[{i}]"),
                program=program,
                leaves=leaves,
                get=child_get,
                lang=lang,
            )
        )
    if isinstance(node, AllNode):
        return ("and", children)
    if isinstance(node, AnyNode):
        return ("or", children)
    return ("k", node.at_least, children)


@dataclass(frozen=True)
class _Compiled:
    """A program as formulas: ``formulas[(track, tier)]`` for tiers with a requirement."""

    leaves: tuple[_Leaf, ...]
    formulas: Mapping[tuple[str, str], _Formula]


def _compile_program(program: Program, lang: str = "en") -> _Compiled:
    leaves: list[_Leaf] = []
    formulas: dict[tuple[str, str], _Formula] = {}
    for track, by_tier in program.requirements.items():
        for tier in program.tier_keys:
            node = by_tier.get(tier)
            if node is None:
                continue
            formulas[(track, tier)] = _compile(
                node,
                track=track,
                tier=tier,
                path="",
                program=program,
                leaves=leaves,
                get=lambda r: r,
                lang=lang,
            )
    return _Compiled(tuple(leaves), formulas)


def thresholds_list(program: Program, *, lang: str = "en") -> list[Threshold]:
    """Every numeric threshold of ``program``'s requirements, in file order per track (tracks
    in key order, tiers lowest first): comparisons' ``at_least``/``more_than``/``at_most``/
    ``less_than``, scores' ``at_least``, components' ``min_points``/``more_than_points`` and
    groups' ``min_points``. Rates (``points_per``, ``points_each``) and caps (``max_points``)
    are not thresholds. Pure."""
    return [leaf.threshold for leaf in _compile_program(program, lang).leaves]


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One calibration target (see :func:`target_parse` for the grammar).

    ``kind``: ``keep`` (every partner whose baseline tier is ``tier`` — and, with ``if_meets``,
    who meets that tier under the draft as written — has at least ``tier``), ``at_least`` /
    ``at_most`` (``count`` partners at ``tier``, or at ``tier`` or above with ``or_above``),
    ``demoted_at_most`` (partners whose tier ranks below their baseline tier: at most ``count``,
    or at most ``share`` of the partners, a fraction). ``track``: count only partners enrolled
    in that track, with their tier in that track (no grandfathering), instead of their overall
    tier. ``text``: the target as given.
    """

    kind: Literal["keep", "at_least", "at_most", "demoted_at_most"]
    text: str
    tier: str | None = None
    or_above: bool = False
    count: int | None = None
    share: Decimal | None = None
    if_meets: str | None = None
    track: str | None = None


_SLUG = r"[a-z0-9][a-z0-9_-]*"
_TRACK = rf"(?:@(?P<track>{_SLUG}))?"
_TARGET_FORMS = (
    re.compile(
        rf"^keep:(?P<tier>{_SLUG}){_TRACK}(?:\s+if-meets\s+(?P<meets>{_SLUG}))?"
        rf"(?:@(?P<track2>{_SLUG}))?$"
    ),
    re.compile(
        rf"^(?P<kind>at-least|at-most):(?P<count>\d+):(?P<tier>{_SLUG})(?P<plus>\+)?{_TRACK}$"
    ),
    re.compile(rf"^demoted-at-most:(?P<limit>\d+(?:\.\d+)?)(?P<pct>%)?{_TRACK}$"),
)
TARGET_GRAMMAR = (
    "keep:TIER [if-meets TIER] | at-least:N:TIER[+] | at-most:N:TIER[+] | "
    "demoted-at-most:N | demoted-at-most:P% — each optionally followed by @TRACK"
)


def target_parse(text: str, *, program: Program) -> Target:
    """Parse one target against ``program``'s tiers and tracks.

    Grammar: ``keep:TIER [if-meets TIER]``, ``at-least:N:TIER[+]``, ``at-most:N:TIER[+]``
    (``+``: that tier or above), ``demoted-at-most:N`` or ``demoted-at-most:P%``; each may end
    with ``@TRACK``. Raises :class:`CalibrationError` naming the target and the reason (unknown
    tier or track, a share above 100 %, malformed text).
    """
    raw = " ".join(text.strip().split())
    match = None
    form = -1
    for form, pattern in enumerate(_TARGET_FORMS):  # noqa: B007 - form is read below
        match = pattern.match(raw)
        if match:
            break
    if match is None:
        raise CalibrationError(
            f"--target {text!r}: not understood (expected {TARGET_GRAMMAR})",
            plain=gettext("Target “%(target)s”: not understood (see the grammar under the field).")
            % {"target": text},
        )
    groups = match.groupdict()
    track = groups.get("track") or groups.get("track2")
    if track is not None and track not in program.tracks:
        raise CalibrationError(
            f"--target {text!r}: unknown track {track!r} (tracks: {', '.join(program.tracks)})",
            plain=gettext("Target “%(target)s”: unknown track %(track)s (tracks: %(tracks)s).")
            % {"target": text, "track": track, "tracks": ", ".join(program.tracks)},
        )
    for key in ("tier", "meets"):
        tier = groups.get(key)
        if tier is not None and tier not in program.tier_keys:
            raise CalibrationError(
                f"--target {text!r}: unknown tier {tier!r} (tiers: {', '.join(program.tier_keys)})",
                plain=gettext("Target “%(target)s”: unknown tier %(tier)s (tiers: %(tiers)s).")
                % {"target": text, "tier": tier, "tiers": ", ".join(program.tier_keys)},
            )
    if form == 0:
        return Target("keep", raw, tier=groups["tier"], if_meets=groups["meets"], track=track)
    if form == 1:
        kind: Literal["at_least", "at_most"] = (
            "at_least" if groups["kind"] == "at-least" else "at_most"
        )
        return Target(
            kind,
            raw,
            tier=groups["tier"],
            or_above=bool(groups["plus"]),
            count=int(groups["count"]),
            track=track,
        )
    limit = Decimal(groups["limit"])
    if groups["pct"]:
        if limit > 100:
            raise CalibrationError(
                f"--target {text!r}: a share cannot exceed 100 %",
                plain=gettext("Target “%(target)s”: a share cannot exceed 100 %%.")
                % {"target": text},
            )
        return Target("demoted_at_most", raw, share=limit / 100, track=track)
    if limit != limit.to_integral_value():
        raise CalibrationError(
            f"--target {text!r}: a number of partners must be whole (or give a share: 5%)",
            plain=gettext(
                "Target “%(target)s”: a number of partners must be whole (or give a share: 5%%)."
            )
            % {"target": text},
        )
    return Target("demoted_at_most", raw, count=int(limit), track=track)


# --------------------------------------------------------------------------- free thresholds


@dataclass(frozen=True)
class Free:
    """A threshold the search may move, within ``low..high`` (inclusive, in the threshold's
    unit)."""

    threshold: Threshold
    low: Decimal
    high: Decimal


def free_parse(
    specs: Sequence[str],
    *,
    program: Program,
    direction: Direction = "relax",
    max_thresholds: int = MAX_FREE_THRESHOLDS,
) -> list[Free]:
    """The free thresholds: ``specs`` are ``PATH`` or ``PATH:MIN..MAX`` (either bound may be
    left out: ``PATH:..5``); no specs frees every threshold whose value is not 0. Default bounds
    are 50 %..150 % of the draft's value, cut by ``direction`` (``relax`` keeps the relaxing
    side, ``tighten`` the other, ``both`` the two); explicit bounds are cut the same way.

    At most ``max_thresholds`` thresholds may be free (default ``MAX_FREE_THRESHOLDS``): the
    search time grows with the square of their number, so more must be asked explicitly.

    Raises :class:`CalibrationError` for an unknown path (listing similar ones), a malformed or
    empty range, a range that excludes the draft's value, or more free thresholds than
    ``max_thresholds`` (the message starts with "too many free thresholds").
    """
    if max_thresholds < 1:
        raise CalibrationError(
            f"--max-thresholds {max_thresholds}: must be at least 1",
            plain=gettext("The limit of thresholds to move must be at least 1."),
        )
    by_path = {t.path: t for t in thresholds_list(program)}
    chosen: list[tuple[Threshold, Decimal | None, Decimal | None]] = []
    if not specs:
        chosen = [(t, None, None) for t in by_path.values() if t.value != 0]
        if len(chosen) > max_thresholds:
            raise CalibrationError(
                f"too many free thresholds: the draft has {len(chosen)} non-zero thresholds, "
                f"above the limit of {max_thresholds}; name the ones to move with --free "
                f"(see --list-thresholds) or raise --max-thresholds",
                plain=gettext(
                    "Too many thresholds to move: the draft has %(n)d, above the limit of "
                    "%(max)d. List the ones the search may move (see “Thresholds of the draft”)."
                )
                % {"n": len(chosen), "max": max_thresholds},
            )
    elif len(specs) > max_thresholds:
        raise CalibrationError(
            f"too many free thresholds: {len(specs)} --free given, above the limit of "
            f"{max_thresholds}; raise --max-thresholds",
            plain=gettext("Too many thresholds to move: %(n)d listed, above the limit of %(max)d.")
            % {"n": len(specs), "max": max_thresholds},
        )
    for spec in specs:
        path, sep, bounds = spec.strip().partition(":")
        threshold = by_path.get(path)
        if threshold is None:
            near = difflib.get_close_matches(path, list(by_path), n=3, cutoff=0.5)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise CalibrationError(
                f"--free {spec!r}: no threshold at {path!r}{hint}; "
                "list them with --list-thresholds",
                plain=gettext(
                    "Threshold “%(spec)s”: no such threshold%(hint)s "
                    "(see “Thresholds of the draft”)."
                )
                % {
                    "spec": spec,
                    "hint": (gettext(" (did you mean %(near)s?)") % {"near": ", ".join(near)})
                    if near
                    else "",
                },
            )
        low = high = None
        if sep:
            m = re.fullmatch(r"\s*(-?[0-9_.]*)\s*\.\.\s*(-?[0-9_.]*)\s*", bounds)
            if not m or not (m.group(1) or m.group(2)):
                raise CalibrationError(
                    f"--free {spec!r}: bounds must read MIN..MAX (e.g. 5..10)",
                    plain=gettext("Threshold “%(spec)s”: bounds must read MIN..MAX (e.g. 5..10).")
                    % {"spec": spec},
                )
            try:
                low = Decimal(m.group(1).replace("_", "")) if m.group(1) else None
                high = Decimal(m.group(2).replace("_", "")) if m.group(2) else None
            except ArithmeticError:
                raise CalibrationError(
                    f"--free {spec!r}: bounds must be numbers",
                    plain=gettext("Threshold “%(spec)s”: bounds must be numbers.") % {"spec": spec},
                ) from None
            if low is not None and high is not None and low > high:
                raise CalibrationError(
                    f"--free {spec!r}: MIN is above MAX",
                    plain=gettext("Threshold “%(spec)s”: MIN is above MAX.") % {"spec": spec},
                )
            if (low is not None and low > threshold.value) or (
                high is not None and high < threshold.value
            ):
                raise CalibrationError(
                    f"--free {spec!r}: the range must include the draft's value {threshold.value}",
                    plain=gettext(
                        "Threshold “%(spec)s”: the range must include the draft's value %(value)s."
                    )
                    % {"spec": spec, "value": threshold.value},
                )
        chosen.append((threshold, low, high))
    out: list[Free] = []
    for threshold, low, high in chosen:
        old = threshold.value
        lo = low if low is not None else old * DEFAULT_LOW
        hi = high if high is not None else old * DEFAULT_HIGH
        lo = max(lo, Decimal(0))
        relax_low = threshold.relaxes_down
        if direction == "relax":
            lo, hi = (lo, old) if relax_low else (old, hi)
        elif direction == "tighten":
            lo, hi = (old, hi) if relax_low else (lo, old)
        out.append(Free(threshold, lo, hi))
    return out


# --------------------------------------------------------------------------- population model


@dataclass(frozen=True)
class CalibrationInputs:
    """What calibration reads: the population and its metric values (computed once).

    ``partners``: ``[(partner id, external id, enrolled tracks, previous tier or None)]``;
    ``values``: ``{partner id: {metric key: value}}`` (what ``rules`` reads); ``baseline``:
    ``{partner id: tier}`` (absent: no tier); ``baseline_name``: ``previous``, ``standings`` or
    a version; ``as_of``: the assessment date (program time zone); ``baseline_order``: the
    baseline's tiers, lowest first (where a tier the draft removed ranks: see
    ``simulate.tier_order_merged``), empty when unknown.
    """

    partners: Sequence[tuple[int, str, tuple[str, ...], str | None]]
    values: Mapping[int, Mapping[str, Decimal | None]]
    baseline: Mapping[int, str]
    baseline_name: str
    as_of: date
    baseline_order: tuple[str, ...] = ()


def _bits(indexes: Iterable[int], size: int) -> int:
    buf = bytearray((size + 7) // 8)
    for i in indexes:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buf, "little")


def _compare(value: Decimal, comparator: str, threshold: Decimal) -> bool:
    if comparator == "at_least":
        return value >= threshold
    if comparator == "more_than":
        return value > threshold
    if comparator == "at_most":
        return value <= threshold
    return value < threshold


class _LeafData:
    """One leaf's compared values over the population, sorted, for bit sets at any threshold."""

    def __init__(self, leaf: _Leaf, values: Sequence[Decimal | None], size: int) -> None:
        self.threshold = leaf.threshold
        self.size = size
        pairs = sorted((v, i) for i, v in enumerate(values) if v is not None)
        self.sorted_values = [v for v, _ in pairs]
        self.order = [i for _, i in pairs]
        self.distinct = sorted(set(self.sorted_values))
        self._cache: dict[Decimal, int] = {}

    def _position(self, t: Decimal) -> tuple[int, bool]:
        """(cut, suffix): the partners meeting ``t`` are sorted positions >= cut (suffix) or
        < cut (prefix)."""
        cmp = self.threshold.comparator
        if cmp == "at_least":
            return bisect.bisect_left(self.sorted_values, t), True
        if cmp == "more_than":
            return bisect.bisect_right(self.sorted_values, t), True
        if cmp == "at_most":
            return bisect.bisect_right(self.sorted_values, t), False
        return bisect.bisect_left(self.sorted_values, t), False

    def signature(self, t: Decimal) -> int:
        """Same signature, same partners meeting the threshold."""
        return self._position(t)[0]

    def masks(self, thresholds: Sequence[Decimal]) -> list[int]:
        """Bit sets of the partners meeting each threshold (one sweep for all)."""
        wanted = {t: self._position(t) for t in thresholds if t not in self._cache}
        if wanted:
            n = len(self.order)
            buf = bytearray((self.size + 7) // 8)
            # suffixes: sweep from the top; prefixes: from the bottom
            for suffix in (True, False):
                cuts = sorted({cut for cut, s in wanted.values() if s == suffix}, reverse=suffix)
                if not cuts:
                    continue
                buf = bytearray((self.size + 7) // 8)
                by_cut: dict[int, int] = {}
                pos = n if suffix else 0
                for cut in cuts:
                    if suffix:
                        while pos > cut:
                            pos -= 1
                            i = self.order[pos]
                            buf[i >> 3] |= 1 << (i & 7)
                    else:
                        while pos < cut:
                            i = self.order[pos]
                            buf[i >> 3] |= 1 << (i & 7)
                            pos += 1
                    by_cut[cut] = int.from_bytes(buf, "little")
                for t, (cut, s) in wanted.items():
                    if s == suffix:
                        self._cache[t] = by_cut[cut]
        return [self._cache[t] for t in thresholds]


def _popcount(mask: int) -> int:
    return mask.bit_count()


@dataclass
class _Outcome:
    """Tier bit sets of one candidate: ``ge[r]`` overall (after grandfathering), ``track_ge
    [track][r]`` per track (enrolled partners, no grandfathering)."""

    ge: list[int]
    track_ge: dict[str, list[int]]


class _Model:
    """The population under a program whose thresholds may move: evaluates tiers for all
    partners at once with bit sets."""

    def __init__(self, program: Program, inputs: CalibrationInputs, lang: str = "en") -> None:
        self.program = program
        self.inputs = inputs
        compiled = _compile_program(program, lang)
        self.compiled = compiled
        self.leaves = compiled.leaves
        self.index = {leaf.threshold.path: i for i, leaf in enumerate(self.leaves)}
        partners = list(inputs.partners)
        self.size = n = len(partners)
        self.all = (1 << n) - 1
        self.tier_rank = {t: r for r, t in enumerate(program.tier_keys)}
        as_of = inputs.as_of
        # values of every leaf for every partner, read from the rules' own results
        leaf_values: list[list[Decimal | None]] = [[None] * n for _ in self.leaves]
        by_track_tier: dict[tuple[str, str], list[int]] = {}
        for i, leaf in enumerate(self.leaves):
            t = leaf.threshold
            by_track_tier.setdefault((t.track, t.tier), []).append(i)
        enrolled: dict[str, list[int]] = {track: [] for track in program.tracks}
        for p, (pid, _ext, tracks, _prev) in enumerate(partners):
            values = inputs.values.get(pid, {})
            for track in tracks:
                if track not in program.tracks:
                    continue
                enrolled[track].append(p)
                for tier in program.tier_keys:
                    node = program.requirement(track, tier)
                    if node is None:
                        continue
                    result = rules.evaluate_requirement(node, program=program, values=values)
                    for i in by_track_tier.get((track, tier), ()):
                        leaf_values[i][p] = self.leaves[i].reader(result)
        self.data = [_LeafData(leaf, leaf_values[i], n) for i, leaf in enumerate(self.leaves)]
        self.original = [
            d.masks([leaf.threshold.value])[0]
            for d, leaf in zip(self.data, self.leaves, strict=True)
        ]
        self.enrolled = {track: _bits(ps, n) for track, ps in enrolled.items()}
        self.active = {track: program.track_active(track, as_of) for track in program.tracks}
        self.offered = {track: rules._offered_tiers(program, track) for track in program.tracks}
        prev: dict[str, list[int]] = {}
        base: dict[str, list[int]] = {}
        for p, (pid, _ext, _tracks, previous) in enumerate(partners):
            if previous:
                prev.setdefault(previous, []).append(p)
            baseline_tier = inputs.baseline.get(pid)
            if baseline_tier:
                base.setdefault(baseline_tier, []).append(p)
        self.previous_is = {tier: _bits(ps, n) for tier, ps in prev.items()}
        self.baseline_is = {tier: _bits(ps, n) for tier, ps in base.items()}
        # a baseline tier the draft does not have ranks by the merged order: a partner who
        # held it is demoted below the draft's next tier above it (every one of them when the
        # draft has none above: it removed its top tier)
        from partnerprogram.programs.simulate import tier_order_merged

        merged = tier_order_merged(program.tier_keys, inputs.baseline_order)
        self.demote_rank: dict[str, int] = {}
        for tier in merged:
            above = merged[merged.index(tier) :]
            self.demote_rank[tier] = next(
                (self.tier_rank[t] for t in above if t in self.tier_rank),
                len(program.tier_keys),
            )
        self.external_ids = [ext for _pid, ext, _t, _p in partners]

    # ---- evaluation

    def _formula(self, f: _Formula, masks: Sequence[int]) -> int:
        kind = f[0]
        if kind == "leaf":
            return masks[f[1]]
        if kind == "and":
            out = self.all
            for child in f[1]:
                out &= self._formula(child, masks)
                if not out:
                    break
            return out
        if kind == "or":
            out = 0
            for child in f[1]:
                out |= self._formula(child, masks)
            return out
        k, children = f[1], f[2]
        at_least = [self.all] + [0] * k  # at_least[j]: partners meeting >= j children so far
        for child in children:
            m = self._formula(child, masks)
            for j in range(k, 0, -1):
                at_least[j] |= at_least[j - 1] & m
        return at_least[k]

    def outcome(self, masks: Sequence[int]) -> _Outcome:
        """Tier bit sets with leaf bit sets ``masks`` (one per leaf)."""
        program = self.program
        ranks = len(program.tier_keys)
        ge = [0] * (ranks + 1)
        track_ge: dict[str, list[int]] = {}
        for track in program.tracks:
            per = [0] * (ranks + 1)
            for r, tier in enumerate(program.tier_keys):
                if tier not in self.offered[track]:
                    continue
                formula = self.compiled.formulas.get((track, tier))
                met = self.all if formula is None else self._formula(formula, masks)
                met &= self.enrolled[track]
                for q in range(r + 1):
                    per[q] |= met
            track_ge[track] = per
            if self.active[track]:
                for q in range(ranks):
                    ge[q] |= per[q]
        qualified = list(ge)
        for rule in program.grandfathering:
            if rule.until is not None and self.inputs.as_of > rule.until:
                continue
            applies = self.previous_is.get(rule.for_.was, 0)
            if rule.while_qualifying_for is not None:
                applies &= qualified[self.tier_rank[rule.while_qualifying_for]]
            for q in range(self.tier_rank[rule.keep] + 1):
                ge[q] |= applies
        return _Outcome(ge, track_ge)

    # ---- targets

    def measure(self, target: Target, outcome: _Outcome, draft: _Outcome) -> tuple[int, int, int]:
        """``(value, limit, shortfall)`` of ``target``: kept / to keep, count / N, demoted /
        limit; shortfall 0 when met."""
        if target.track is not None:
            population = self.enrolled[target.track]
            ge = outcome.track_ge[target.track]
            draft_ge = draft.track_ge[target.track]
        else:
            population = self.all
            ge = outcome.ge
            draft_ge = draft.ge
        if target.kind == "keep":
            assert target.tier is not None
            r = self.tier_rank[target.tier]
            who = self.baseline_is.get(target.tier, 0) & population
            if target.if_meets is not None:
                who &= draft_ge[self.tier_rank[target.if_meets]]
            needed = _popcount(who)
            kept = _popcount(who & ge[r])
            return kept, needed, needed - kept
        if target.kind in ("at_least", "at_most"):
            assert target.tier is not None and target.count is not None
            r = self.tier_rank[target.tier]
            at = ge[r] if target.or_above else ge[r] & ~ge[r + 1]
            count = _popcount(at & population)
            if target.kind == "at_least":
                return count, target.count, max(0, target.count - count)
            return count, target.count, max(0, count - target.count)
        demoted = 0
        for base_tier, mask in self.baseline_is.items():
            rank = self.demote_rank.get(base_tier)
            if rank is None:  # a tier neither side orders
                continue
            demoted |= mask & ~ge[rank]
        count = _popcount(demoted & population)
        if target.share is not None:
            limit = int(target.share * _popcount(population))  # floor: "at most 5 %"
        else:
            assert target.count is not None
            limit = target.count
        return count, limit, max(0, count - limit)


# --------------------------------------------------------------------------- search


@dataclass(frozen=True)
class Change:
    """A suggested threshold: ``path``, ``label``, ``old`` and ``new`` values (the threshold's
    unit), ``relative`` = (new - old) / old (negative: lowered)."""

    path: str
    label: str
    old: Decimal
    new: Decimal
    unit: str
    #: the value the search found before rounding to a nicer number (same partners meet it)
    exact: Decimal | None = None

    @property
    def relative(self) -> Decimal:
        return (self.new - self.old) / self.old if self.old else self.new - self.old


@dataclass(frozen=True)
class TargetOutcome:
    """A target's figures under the draft (``before``) and the calibrated version (``after``):
    the counted value and the limit (kept / to keep, count / N, demoted / limit), from the full
    rules."""

    target: str
    before: int
    after: int
    limit: int
    met_before: bool
    met_after: bool
    #: the target concerns no partner (a ``keep`` whose set is empty): met, but trivially
    concerns_no_partner: bool = False


@dataclass
class Calibration:
    """The result of :func:`calibrate`.

    ``found``: the targets are met with ``changes`` (empty when the draft already meets them);
    ``method``: ``exact`` (optimal among the candidate values), ``greedy`` (heuristic) or
    ``none``; ``cost``: Σ |new − old| / old; ``evaluations``: candidate versions evaluated;
    ``message``: why nothing was found. ``distribution_before``/``after``: ``{tier: count,
    "none": count}`` overall (full rules). ``calibrated_text``/``diff``: the calibrated YAML and
    its unified diff against the draft's text (empty when nothing changes).
    """

    program: Program
    as_of: date
    baseline: str
    targets: list[TargetOutcome]
    changes: list[Change]
    found: bool
    method: str
    cost: Decimal
    evaluations: int
    free: list[Free]
    distribution_before: dict[str, int]
    distribution_after: dict[str, int]
    calibrated: Program | None = None
    calibrated_text: str = ""
    diff: str = ""
    message: str = ""
    changed_partners: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    #: what the figures hide (a target that concerns no partner); shown before the result
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (shape in ``docs/calibration.md``); numbers as JSON numbers (``int``
        when whole), money in the program currency, ``relative`` a fraction (-0.5 = -50 %)."""

        def num(value: Decimal) -> int | float:
            return int(value) if value == value.to_integral_value() else float(value)

        return {
            "program": self.program.program,
            "version": self.program.version,
            "as_of": self.as_of.isoformat(),
            "baseline": self.baseline,
            "found": self.found,
            "method": self.method,
            "message": self.message,
            "cost": float(self.cost),
            "evaluations": self.evaluations,
            "targets": [
                {
                    "target": t.target,
                    "before": t.before,
                    "after": t.after,
                    "limit": t.limit,
                    "met_before": t.met_before,
                    "met_after": t.met_after,
                    "concerns_no_partner": t.concerns_no_partner,
                }
                for t in self.targets
            ],
            "warnings": self.warnings,
            "free": [
                {
                    "path": f.threshold.path,
                    "value": num(f.threshold.value),
                    "min": num(f.low),
                    "max": num(f.high),
                }
                for f in self.free
            ],
            "changes": [
                {
                    "path": c.path,
                    "label": c.label,
                    "old": num(c.old),
                    "new": num(c.new),
                    "exact": num(c.exact if c.exact is not None else c.new),
                    "relative": round(float(c.relative), 4),
                }
                for c in self.changes
            ],
            "distribution_before": self.distribution_before,
            "distribution_after": self.distribution_after,
            "partners_changed": [
                {"partner": ext, "before": before, "after": after}
                for ext, before, after in self.changed_partners
            ],
            "diff": self.diff,
        }


def _change_cost(new: Decimal, old: Decimal) -> Decimal:
    """|new − old| / old; the absolute change when the draft's value is 0."""
    return abs(new - old) / old if old else abs(new - old)


def _step(threshold: Threshold, places: int) -> Decimal:
    if threshold.unit == "money":
        return Decimal("0.01")
    if threshold.unit == "fraction":
        return Decimal("0.0001")
    if threshold.unit == "points":
        return Decimal(1).scaleb(-places)
    return Decimal(1)


def _candidates(data: _LeafData, free: Free, places: int) -> list[Decimal]:
    """Candidate values of a free threshold, cheapest first, the draft's value first: one per
    distinct set of partners meeting it (the value closest to the draft's among the data values
    and their neighbours one step away), within the bounds."""
    old = free.threshold.value
    step = _step(free.threshold, places)
    pool = {old}
    for v in data.distinct:
        for c in (v - step, v, v + step):
            if free.low <= c <= free.high:
                pool.add(c)
    best: dict[int, Decimal] = {}
    for c in sorted(pool, key=lambda c: (abs(c - old), c)):
        best.setdefault(data.signature(c), c)
    values = sorted(best.values(), key=lambda c: (abs(c - old), c))
    if values[0] != old:  # old shares its signature with nothing cheaper, but be safe
        values.remove(old)
        values.insert(0, old)
    if len(values) > MAX_CANDIDATES:
        keep = values[: MAX_CANDIDATES // 4]
        rest = values[MAX_CANDIDATES // 4 :]
        stride = len(rest) / (MAX_CANDIDATES - len(keep))
        keep += [rest[int(k * stride)] for k in range(MAX_CANDIDATES - len(keep))]
        if rest[-1] not in keep:
            keep[-1] = rest[-1]
        values = keep
    return values


class _Search:
    def __init__(
        self,
        model: _Model,
        targets: Sequence[Target],
        free: Sequence[Free],
    ) -> None:
        self.model = model
        self.targets = list(targets)
        self.free = list(free)
        places = model.program.rounding.places
        self.slots = [model.index[f.threshold.path] for f in free]
        self.candidates = [
            _candidates(model.data[slot], f, places)
            for slot, f in zip(self.slots, free, strict=True)
        ]
        self.masks = [
            model.data[slot].masks(cands)
            for slot, cands in zip(self.slots, self.candidates, strict=True)
        ]
        self.costs = [
            [_change_cost(c, f.threshold.value) for c in cands]
            for f, cands in zip(self.free, self.candidates, strict=True)
        ]
        self.draft = model.outcome(model.original)
        self.evaluations = 0
        self._memo: dict[tuple[tuple[int, int], ...], int] = {}

    def masks_for(self, assign: Sequence[int]) -> list[int]:
        masks = list(self.model.original)
        for j, k in enumerate(assign):
            masks[self.slots[j]] = self.masks[j][k]
        return masks

    def shortfall(self, assign: tuple[int, ...]) -> int:
        # The memo is keyed by the moved thresholds only ((slot, candidate) pairs): a dense key
        # (one entry per free threshold) made the memo grow with the square of the number of
        # free thresholds (each greedy round evaluates about one move per threshold).
        key = tuple((j, k) for j, k in enumerate(assign) if k)
        found = self._memo.get(key)
        if found is not None:
            return found
        self.evaluations += 1
        outcome = self.model.outcome(self.masks_for(assign))
        total = sum(self.model.measure(t, outcome, self.draft)[2] for t in self.targets)
        self._memo[key] = total
        return total

    def cost(self, assign: Sequence[int]) -> Decimal:
        return sum((self.costs[j][k] for j, k in enumerate(assign)), Decimal(0))

    def measures(self, assign: Sequence[int]) -> tuple[int, ...]:
        """Every target's counted value with the candidate ``assign``."""
        outcome = self.model.outcome(self.masks_for(assign))
        return tuple(self.model.measure(t, outcome, self.draft)[0] for t in self.targets)

    def relevant(self) -> list[int]:
        """Free thresholds that can change a target's figure (the others stay at the draft's
        value): moving one alone to some candidate changes a figure, or, all the others at
        their farthest candidate, moving it back to the draft's value does."""
        n = len(self.free)
        base = self.measures([0] * n)
        far = [len(c) - 1 for c in self.candidates]
        far_measures = self.measures(far)
        out = []
        for j in range(n):
            if len(self.candidates[j]) == 1:
                continue
            without = [0 if i == j else k for i, k in enumerate(far)]
            if self.measures(without) != far_measures:
                out.append(j)
                continue
            for k in range(1, len(self.candidates[j])):
                if self.measures([k if i == j else 0 for i in range(n)]) != base:
                    out.append(j)
                    break
        return out

    def exact(self, slots: Sequence[int]) -> tuple[tuple[int, ...] | None, bool]:
        """Best-first over combinations in increasing cost: the first that meets the targets is
        the cheapest. Returns (assignment or None, complete) — complete False when the budget
        ran out first."""
        n = len(self.free)

        def full(sub: tuple[int, ...]) -> tuple[int, ...]:
            assign = [0] * n
            for j, k in zip(slots, sub, strict=True):
                assign[j] = k
            return tuple(assign)

        start = tuple(0 for _ in slots)
        heap: list[tuple[Decimal, tuple[int, ...]]] = [(Decimal(0), start)]
        seen = {start}
        while heap:
            if self.evaluations >= EXACT_MAX_EVALUATIONS:
                return None, False
            _cost, sub = heapq.heappop(heap)
            assign = full(sub)
            if self.shortfall(assign) == 0:
                return assign, True
            for i, j in enumerate(slots):
                if sub[i] + 1 < len(self.candidates[j]):
                    nxt = (*sub[:i], sub[i] + 1, *sub[i + 1 :])
                    if nxt not in seen:
                        seen.add(nxt)
                        heapq.heappush(heap, (self.cost(full(nxt)), nxt))
        return None, True

    def _moves(
        self, assign: tuple[int, ...], slots: Sequence[int], size: int
    ) -> Iterator[tuple[int, ...]]:
        """Assignments moving ``size`` (1 or 2) thresholds further from the draft than in
        ``assign`` (pairs: the ``GREEDY_PAIR_CANDIDATES`` next candidates of each), generated
        one at a time (a list of them held thresholds x candidates full assignments)."""
        options: dict[int, list[int]] = {}
        for j in slots:
            further = [
                k
                for k in range(len(self.candidates[j]))
                if k != assign[j] and self.costs[j][k] >= self.costs[j][assign[j]]
            ]
            options[j] = further if size == 1 else further[:GREEDY_PAIR_CANDIDATES]
        if size == 1:
            for j in slots:
                for k in options[j]:
                    yield (*assign[:j], k, *assign[j + 1 :])
            return
        for a, j1 in enumerate(slots):
            for j2 in slots[a + 1 :]:
                for k1 in options[j1]:
                    for k2 in options[j2]:
                        nxt = list(assign)
                        nxt[j1], nxt[j2] = k1, k2
                        yield tuple(nxt)

    def greedy(self, slots: Sequence[int]) -> tuple[int, ...] | None:
        """Heuristic: repeatedly take the move of one threshold (else of two together) with the
        largest fall in total shortfall per unit of added cost, then move each change back
        toward the draft while the targets hold. ``None`` when no move reduces the shortfall."""
        assign = tuple(0 for _ in self.free)
        current = self.shortfall(assign)
        while current > 0:
            best: tuple[Decimal, Decimal, tuple[int, ...]] | None = None
            for size in (1, 2):
                for nxt in self._moves(assign, slots, size):
                    gain = current - self.shortfall(nxt)
                    if gain <= 0:
                        continue
                    added = self.cost(nxt) - self.cost(assign)
                    rate = Decimal(gain) / added if added else Decimal("Infinity")
                    key = (rate, -self.cost(nxt), nxt)
                    if best is None or key[:2] > best[:2]:
                        best = key
                if best is not None:
                    break
            if best is None:
                return None
            assign = best[2]
            current = self.shortfall(assign)
        return self.prune(assign, slots)

    def prune(self, assign: tuple[int, ...], slots: Sequence[int]) -> tuple[int, ...]:
        """Move each changed threshold back to its cheapest candidate that keeps the targets."""
        improved = True
        while improved:
            improved = False
            for j in sorted(slots, key=lambda j: -self.costs[j][assign[j]]):
                for k in sorted(range(len(self.candidates[j])), key=lambda k: self.costs[j][k]):
                    if self.costs[j][k] >= self.costs[j][assign[j]]:
                        break
                    nxt = (*assign[:j], k, *assign[j + 1 :])
                    if self.shortfall(nxt) == 0:
                        assign, improved = nxt, True
                        break
        return assign


def _significant(value: Decimal, digits: int, rounding: str) -> Decimal:
    if value == 0:
        return value
    quantum = Decimal(1).scaleb(value.adjusted() - digits + 1)
    return value.quantize(quantum, rounding=rounding)


def _digits(value: Decimal) -> int:
    """Significant digits of ``value`` (``1200000`` → 2, ``1234.5`` → 5)."""
    return len(value.normalize().as_tuple().digits)


def _nice_values(new: Decimal, free: Free) -> list[Decimal]:
    """Rounder values near ``new`` when it has more than 2 significant digits: 2 then 3
    significant digits, within the bounds and ``NICE_TOLERANCE``, closest first."""
    old = free.threshold.value
    out: list[Decimal] = []
    if _digits(new) <= 2:
        return out
    for digits in (2, 3):
        level = []
        for mode in (ROUND_FLOOR, ROUND_CEILING):
            v = _significant(new, digits, mode)
            if free.threshold.unit not in ("money", "fraction", "points"):
                v = v.to_integral_value(rounding=mode)
            if (
                v != new
                and free.low <= v <= free.high
                and abs(v - new) <= NICE_TOLERANCE * old
                and v not in out
            ):
                level.append(v)
        out += sorted(level, key=lambda v: abs(v - new))
    return out


# --------------------------------------------------------------------------- YAML edit


_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _path_tokens(path: str) -> list[str | int]:
    return [int(i) if i else name for name, i in _PATH_TOKEN.findall(path)]


def yaml_with_thresholds(text: str, changes: Mapping[str, Decimal], *, source: str) -> str:
    """``text`` with the scalars at ``changes``' paths replaced by the new numbers, everything
    else (comments, layout, flow style) kept byte for byte.

    Raises :class:`CalibrationError` when a path is not a plain scalar in the text.
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    spans: list[tuple[int, int, str]] = []
    for path, value in changes.items():
        node: Any = root
        for token in _path_tokens(path):
            if isinstance(token, int) and isinstance(node, yaml.SequenceNode):
                node = node.value[token] if token < len(node.value) else None
            elif isinstance(token, str) and isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == token), None)
            else:
                node = None
            if node is None:
                break
        if not isinstance(node, yaml.ScalarNode):
            raise CalibrationError(f"{source}: {path}: not a number in the file, cannot edit it")
        spans.append((node.start_mark.index, node.end_mark.index, _yaml_number(value)))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _unified_diff(before: str, after: str, source: str, context: int = 3) -> str:
    """Unified diff of two texts with the same number of lines (only scalars were replaced).
    Written here because ``difflib`` treats frequent lines as junk and shows long files' hunks
    larger than they are."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(a) == len(b)
    changed = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if not changed:
        return ""
    hunks: list[list[int]] = []
    for i in changed:
        if hunks and i - hunks[-1][-1] <= 2 * context:
            hunks[-1].append(i)
        else:
            hunks.append([i])
    # git's a/ b/ prefixes only before a relative path: "a//work/..." is no path at all
    old_name, new_name = (
        (source, source)
        if source.startswith("/") or " " in source
        else (f"a/{source}", f"b/{source}")
    )
    out = [f"--- {old_name}\n", f"+++ {new_name}\n"]
    for hunk in hunks:
        start, stop = max(0, hunk[0] - context), min(len(a), hunk[-1] + context + 1)
        out.append(f"@@ -{start + 1},{stop - start} +{start + 1},{stop - start} @@\n")
        for i in range(start, stop):
            if i in hunk:
                out += [f"-{a[i]}", f"+{b[i]}"]
            else:
                out.append(f" {a[i]}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def _yaml_number(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


# --------------------------------------------------------------------------- calibrate


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while hundreds of thousands of small, acyclic result
    objects are created (as ``engine`` does): it would rescan them over and over."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _indexes(mask: int) -> list[int]:
    """Positions of the set bits of ``mask``, ascending."""
    out: list[int] = []
    for i, byte in enumerate(mask.to_bytes((mask.bit_length() + 7) // 8, "little")):
        if byte:
            out += [i * 8 + bit for bit in range(8) if byte >> bit & 1]
    return out


def _full_tiers(
    program: Program,
    inputs: CalibrationInputs,
    *,
    only: Iterable[int] | None = None,
    base: Sequence[rules.Assessment] | None = None,
) -> list[rules.Assessment]:
    """``rules.assess_partner`` for every partner (position order), or only for the positions
    ``only``, the others copied from ``base``."""
    out: list[rules.Assessment | None] = list(base) if base is not None else []
    positions = range(len(inputs.partners)) if only is None else only
    if only is None:
        out = [None] * len(inputs.partners)
    for p in positions:
        pid, _ext, tracks, previous = inputs.partners[p]
        out[p] = rules.assess_partner(
            program,
            tracks_enrolled=[t for t in tracks if t in program.tracks],
            values=inputs.values.get(pid, {}),
            previous_tier=previous,
            as_of=inputs.as_of,
        )
    assert all(a is not None for a in out)
    return out  # type: ignore[return-value]


def _outcome_of(model: _Model, assessments: Sequence[rules.Assessment]) -> _Outcome:
    """Tier bit sets from full-rule assessments (to check the targets independently)."""
    ranks = len(model.program.tier_keys)
    ge_sets: list[list[int]] = [[] for _ in range(ranks + 1)]
    track_sets: dict[str, list[list[int]]] = {
        t: [[] for _ in range(ranks + 1)] for t in model.program.tracks
    }
    for p, result in enumerate(assessments):
        if result.tier is not None:
            for q in range(model.tier_rank[result.tier] + 1):
                ge_sets[q].append(p)
        for track, tr in result.tracks.items():
            if tr.qualified_tier is not None:
                for q in range(model.tier_rank[tr.qualified_tier] + 1):
                    track_sets[track][q].append(p)
    n = model.size
    return _Outcome(
        [_bits(s, n) for s in ge_sets],
        {t: [_bits(s, n) for s in sets] for t, sets in track_sets.items()},
    )


def _distribution(program: Program, assessments: Sequence[rules.Assessment]) -> dict[str, int]:
    out = dict.fromkeys(program.tier_keys, 0)
    out["none"] = 0
    for result in assessments:
        out[result.tier or "none"] += 1
    return out


def calibrate(
    *,
    program: Program,
    text: str,
    source: str,
    inputs: CalibrationInputs,
    targets: Sequence[Target],
    free: Sequence[Free],
    lang: str = "en",
    timings: dict[str, float] | None = None,
) -> Calibration:
    """Search ``free`` thresholds of ``program`` (parsed from ``text``, the draft file's YAML,
    named ``source``) for the smallest total relative change Σ |new − old| / old that meets
    every target on ``inputs``.

    Method (``docs/calibration.md``): candidate values per threshold are the partners' values at
    that check within the bounds (one per distinct set of partners meeting it); with at most
    ``EXACT_MAX_FREE`` thresholds that can change an outcome, a best-first enumeration in
    increasing cost gives the cheapest combination (``method="exact"``); otherwise, or past
    ``EXACT_MAX_EVALUATIONS`` combinations, a greedy search then a pruning pass
    (``method="greedy"``, a heuristic). Suggestions are rounded to nicer numbers when the
    targets still hold. The result is checked with the full rules; raises ``AssertionError`` if
    the fast model disagrees with them (a bug, never expected). Pure: no database access.
    ``timings``, when given, receives the seconds spent in ``model`` (values per check, bit
    sets), ``search`` and ``validation`` (full rules on the draft and the calibrated version).
    """
    with cyclic_gc_paused():
        return _calibrate(
            program=program,
            text=text,
            source=source,
            inputs=inputs,
            targets=targets,
            free=free,
            lang=lang,
            laps=timings if timings is not None else {},
        )


def _calibrate(
    *,
    program: Program,
    text: str,
    source: str,
    inputs: CalibrationInputs,
    targets: Sequence[Target],
    free: Sequence[Free],
    lang: str,
    laps: dict[str, float],
) -> Calibration:
    clock = time.perf_counter()
    model = _Model(program, inputs, lang)
    search = _Search(model, targets, free)
    laps["model"] = time.perf_counter() - clock
    clock = time.perf_counter()
    draft_assessments = _full_tiers(program, inputs)
    draft_outcome = _outcome_of(model, draft_assessments)
    assert draft_outcome.ge == search.draft.ge, "calibration model disagrees with the rules"
    validation = time.perf_counter() - clock
    clock = time.perf_counter()
    zero = tuple(0 for _ in free)
    method, message = "exact", ""
    assign: tuple[int, ...] | None
    if search.shortfall(zero) == 0:
        assign, method, message = zero, "none", "the draft already meets every target"
    else:
        slots = search.relevant()
        assign, complete = (None, False)
        if len(slots) <= EXACT_MAX_FREE:
            assign, complete = search.exact(slots)
            if assign is None and complete:
                message = (
                    "no combination of the free thresholds within their bounds meets the targets"
                )
        if assign is None and not complete:
            method = "greedy"
            assign = search.greedy(slots)
            if assign is None:
                message = (
                    "the greedy search found no change that meets the targets (a heuristic: "
                    "free fewer thresholds for an exact search, or widen the bounds)"
                )
    values: dict[str, Decimal] = {}
    exact: dict[str, Decimal] = {}
    if assign is not None:
        for j, k in enumerate(assign):
            if k:
                values[free[j].threshold.path] = search.candidates[j][k]
        # nicer numbers, only when exactly the same partners meet the check: the outcome is
        # then the same (the targets hold, no partner more) and the change stays minimal — a
        # rounding that lets more partners in (3,000,000 -> 2,196,448.52 rounded to 2,100,000:
        # 12 Elite for a target of 10) is no rounding but a bigger change
        for j, f in enumerate(free):
            path = f.threshold.path
            if path not in values:
                continue
            exact[path] = values[path]
            found_mask = search.masks[j][assign[j]]
            for nice in _nice_values(values[path], f):
                data = model.data[search.slots[j]]
                mask = data.masks([nice])[0]
                if mask == found_mask:
                    search.candidates[j].append(nice)
                    search.masks[j].append(mask)
                    search.costs[j].append(_change_cost(nice, f.threshold.value))
                    assign = (*assign[:j], len(search.candidates[j]) - 1, *assign[j + 1 :])
                    values[path] = nice
                    break
    laps["search"] = time.perf_counter() - clock
    clock = time.perf_counter()
    by_path = {f.threshold.path: f.threshold for f in free}
    changes = [
        Change(
            path,
            by_path[path].label,
            by_path[path].value,
            new,
            by_path[path].unit,
            exact=exact.get(path) if exact.get(path) != new else None,
        )
        for path, new in values.items()
    ]
    calibrated: Program | None = None
    calibrated_text = diff = ""
    after_assessments = draft_assessments
    if assign is not None:
        calibrated_text = yaml_with_thresholds(text, values, source=source)
        try:
            calibrated = load_program_text(calibrated_text, source=source)
        except ProgramError as exc:  # e.g. a relaxed threshold breaks a cross-field rule
            raise CalibrationError(f"the calibrated version is not valid: {exc}") from None
        got = {t.path: t.value for t in thresholds_list(calibrated)}
        assert all(got[p] == v for p, v in values.items()), "YAML edit missed a threshold"
        diff = _unified_diff(text, calibrated_text, source)
        if model.size <= FULL_VALIDATION_MAX:
            after_assessments = _full_tiers(calibrated, inputs)
        else:  # only partners for whom a changed threshold check flips can change tier
            flipped = 0
            for j, k in enumerate(assign):
                if k:
                    flipped |= model.original[search.slots[j]] ^ search.masks[j][k]
            after_assessments = _full_tiers(
                calibrated, inputs, only=_indexes(flipped), base=draft_assessments
            )
        after_outcome = _outcome_of(model, after_assessments)
        assert after_outcome.ge == model.outcome(search.masks_for(assign)).ge, (
            "calibration model disagrees with the rules"
        )
    else:
        after_outcome = draft_outcome
    outcomes = []
    warnings = []
    for target in targets:
        before = model.measure(target, draft_outcome, draft_outcome)
        after = model.measure(target, after_outcome, draft_outcome)
        empty = target.kind == "keep" and before[1] == 0
        outcomes.append(
            TargetOutcome(
                target.text,
                before[0],
                after[0],
                after[1],
                before[2] == 0,
                after[2] == 0,
                concerns_no_partner=empty,
            )
        )
        if empty:
            meets = (
                f" and meets {target.if_meets} under the draft"
                if target.if_meets is not None
                else ""
            )
            where = f" in track {target.track}" if target.track is not None else ""
            warnings.append(
                f"target {target.text!r} concerns no partner: no partner{where} was "
                f"{target.tier} under {inputs.baseline_name}{meets}; it is met only because "
                "it is empty"
            )
    if warnings and message == "the draft already meets every target":
        message = "the draft meets every target, but a target concerns no partner (see warnings)"
    laps["validation"] = validation + time.perf_counter() - clock
    changed_partners = [
        (inputs.partners[p][1], a.tier, b.tier)
        for p, (a, b) in enumerate(zip(draft_assessments, after_assessments, strict=True))
        if a.tier != b.tier
    ]
    return Calibration(
        program=program,
        as_of=inputs.as_of,
        baseline=inputs.baseline_name,
        targets=outcomes,
        changes=changes,
        found=assign is not None and all(o.met_after for o in outcomes),
        method=method if assign is not None else "none",
        cost=sum((_change_cost(c.new, c.old) for c in changes), Decimal(0)),
        evaluations=search.evaluations,
        free=list(free),
        distribution_before=_distribution(program, draft_assessments),
        distribution_after=_distribution(calibrated or program, after_assessments),
        calibrated=calibrated,
        calibrated_text=calibrated_text if values else "",
        diff=diff,
        message=message,
        changed_partners=changed_partners,
        warnings=warnings,
    )


# --------------------------------------------------------------------------- database inputs


def calibration_inputs(
    *,
    program: Program,
    as_of: date,
    baseline: str = "previous",
    known_at: datetime | None = None,
) -> CalibrationInputs:
    """Read the population of ``program`` as of ``as_of`` and its metric values, once
    (``simulate.snapshot_take``: ``engine.population_select`` and one aggregate query per
    metric reference), and the baseline tiers: ``previous`` (``Partner.previous_tier``, merged
    partners' best), ``standings`` (overall standings in effect on ``as_of``) or a stored
    version of the same program (evaluated as of ``as_of``, not stored). Reads only.

    ``baseline`` may name a version as ``VERSION`` or ``PROGRAM/VERSION`` (the draft's program).

    Raises :class:`CalibrationError` for an unknown baseline version or another program's;
    ``core.money.MissingRateError`` when an amount cannot be converted.
    """
    from partnerprogram.programs.engine import partner_values
    from partnerprogram.programs.selectors import (
        ProgramVersionNotFound,
        program_definition,
        program_version_get,
    )
    from partnerprogram.programs.simulate import (
        outcome_standings,
        snapshot_extend,
        snapshot_take,
        tiers_assess,
    )

    other: Program | None = None
    if "/" in baseline:  # PROGRAM/VERSION, as simulate --against accepts
        key, _sep, version = baseline.partition("/")
        if key != program.program or not version:
            raise CalibrationError(
                f"--baseline {baseline!r}: give a version of {program.program} "
                f"({program.program}/VERSION or VERSION), previous or standings",
                plain=gettext("Compare with “%(baseline)s”: not a version of %(program)s.")
                % {"baseline": baseline, "program": program.program},
            )
        baseline = version
    if baseline not in ("previous", "standings"):
        try:
            other = program_definition(
                program_version_get(program=program.program, version=baseline)
            )
        except ProgramVersionNotFound as exc:
            raise CalibrationError(
                f"--baseline {baseline!r}: {exc}",
                plain=gettext("Compare with “%(baseline)s”: %(reason)s")
                % {"baseline": baseline, "reason": exc},
            ) from None
    snapshot = snapshot_take(programs=[program], as_of=as_of, known_at=known_at)
    population = snapshot.population(program)
    refs = sorted(program.metric_refs(), key=lambda r: r.key)
    partners = [
        (row.id, row.external_id, row.tracks, row.previous_tier or None) for row in population
    ]
    by_pid = {
        row.id: partner_values(refs=refs, values=snapshot.values, pid=row.id) for row in population
    }
    found: Mapping[int, str | None]
    if other is not None:
        extended = snapshot_extend(snapshot, programs=[other])
        found = tiers_assess(program=other, snapshot=extended).tiers
    elif baseline == "standings":
        found = outcome_standings(snapshot=snapshot, program=program).tiers
    else:
        found = {row.id: row.previous_tier or None for row in population}
    pids = {row.id for row in population}
    tiers = {pid: tier for pid, tier in found.items() if tier and pid in pids}
    if other is not None:
        order = other.tier_keys
    else:  # previous, standings: the tiers of the program's version in force on as_of
        try:
            order = program_definition(
                program_version_get(program=program.program, on=as_of)
            ).tier_keys
        except ProgramVersionNotFound:
            order = ()
    return CalibrationInputs(
        partners=partners,
        values=by_pid,
        baseline=tiers,
        baseline_name=baseline,
        as_of=as_of,
        baseline_order=tuple(order),
    )
