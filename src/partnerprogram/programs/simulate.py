"""What-if simulation: a draft program version against the facts as of a date, compared with a
published version, the current standings or the previous program. Nothing is stored, nothing is
published. Reference: ``docs/simulation.md``.

Flow:

1. :func:`snapshot_take` measures the population **once** for a date (and ``known_at``): the
   population (``engine.population_select``) and the union of the metric references of every
   program compared, one aggregate query per distinct reference (``metrics.compute_metrics``),
   plus the resale bookings that price discounts. Comparing 2 or 20 versions costs the same
   queries.
2. :func:`tiers_assess` applies the rules of one program to the snapshot: an :class:`Outcome`
   (overall tier, per-track tier; the full ``rules`` results of a partner computed when read).
   Tiers come from fast gates equivalent to ``rules.evaluate_requirement`` (same tiers as the
   engine, checked on the reference data), then ``rules.apply_grandfathering``. No query.
3. :func:`simulation_run` compares the draft's outcome with the other side and returns a
   :class:`SimulationResult`: distributions, the transition matrix, the partners who move and
   the requirements that move them, binding requirements (:func:`binding_requirements`) and the
   cost of the priced benefits (:func:`benefit_cost`).
4. :func:`threshold_sensitivity` re-runs only the rules for each value of one threshold
   (addressed by a path such as ``requirements.solution_provider.premier.all[1].at_least``,
   the syntax of the validation errors; :func:`program_with_threshold` makes the modified,
   re-validated copy). Calibration (``programs.calibrate``) builds on the same functions.

Stated rules: a partner's tier is the overall tier after grandfathering (``none``: no tier, i.e.
no active track or below the entry tier). The population is the draft's (partners not
terminated, not merged away); a partner with no standing on the other side counts as ``none``.
Money is in the program currency (EUR for the reference program); dates are in the program time
zone.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.utils import translation

from partnerprogram.programs import rules
from partnerprogram.programs.engine import PartnerRow, cyclic_gc_paused, partner_values
from partnerprogram.programs.schema import (
    AllNode,
    AnyNode,
    AtLeastNode,
    Comparison,
    MetricRef,
    Node,
    Program,
    ProgramError,
    Score,
    program_from_json,
)

__all__ = [
    "NONE",
    "BenefitCost",
    "Binding",
    "MetricSnapshot",
    "Mover",
    "Outcome",
    "SensitivityPoint",
    "SimulationError",
    "SimulationResult",
    "benefit_cost",
    "binding_requirements",
    "outcome_previous",
    "outcome_standings",
    "program_with_threshold",
    "sensitivity_values",
    "simulation_run",
    "snapshot_extend",
    "snapshot_take",
    "threshold_get",
    "threshold_sensitivity",
    "tier_order_merged",
    "tiers_assess",
]

#: The "tier" of a partner without one (no active track, below the entry tier, no standing).
NONE = "none"
#: The window over which discounts and rebates are priced (resale bookings in that window).
COST_WINDOW = "12M"
#: How many movers of each (from, to) group get their values under both sides.
DETAIL_LIMIT = 5
#: Most values a sensitivity curve may hold.
MAX_POINTS = 1000

Side = Literal["version", "standings", "previous"]


class SimulationError(ValueError):
    """Bad simulation input (an unknown path, a snapshot lacking a program's metrics, values
    out of range); the message names the input and the reason."""


# --------------------------------------------------------------------------- snapshot


def _population_key(program: Program) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What ``population_select`` depends on: the tracks it reads enrolments of and the tier
    order it uses to pick a merged partner's previous tier."""
    return tuple(sorted(program.track_keys)), program.tier_keys


def _cost_ref(window: str = COST_WINDOW) -> MetricRef:
    return MetricRef.build("resale_bookings", None, window)


@dataclass(frozen=True)
class MetricSnapshot:
    """The facts of the whole population measured once, as of ``as_of``.

    ``values``: ``{MetricRef.key: {partner id: Decimal | None}}`` (absent partner: 0 for counts
    and sums, undefined for ratios, as in the engine); ``populations``: the partners to assess
    (``engine.PartnerRow``, by external id) for each (tracks, tiers) signature of the programs
    the snapshot was taken for; ``currency`` / ``fiscal_year_start``: the context money and
    fiscal windows were measured in. Immutable; :func:`snapshot_extend` adds references.
    """

    as_of: date
    known_at: datetime | None
    currency: str
    fiscal_year_start: int
    values: Mapping[str, Mapping[int, Decimal | None]]
    populations: Mapping[tuple[tuple[str, ...], tuple[str, ...]], tuple[PartnerRow, ...]]

    def covers(self, program: Program) -> bool:
        """True when every metric of ``program`` and its population are in the snapshot (and
        money was measured in its currency)."""
        return (
            program.currency == self.currency
            and program.fiscal_year_start == self.fiscal_year_start
            and _population_key(program) in self.populations
            and all(ref.key in self.values for ref in program.metric_refs())
        )

    def population(self, program: Program) -> tuple[PartnerRow, ...]:
        """The partners ``program`` assesses. Raises :class:`SimulationError` when the snapshot
        was not taken for a program with the same tracks and tiers."""
        try:
            return self.populations[_population_key(program)]
        except KeyError:
            raise SimulationError(
                f"the snapshot was not taken for {program.program} {program.version} (tracks "
                f"{', '.join(program.track_keys)}): pass it to snapshot_take/snapshot_extend"
            ) from None

    def value(self, key: str, pid: int) -> Decimal:
        """A sum or count of the snapshot for one partner (0 when absent or undefined)."""
        found = self.values.get(key, {}).get(pid)
        return Decimal(0) if found is None else found


def _ref_items(refs: Iterable[MetricRef]) -> list[tuple[str, str, dict[str, Any], str | None]]:
    return [
        (ref.key, ref.metric, dict(ref.where_dict()), ref.window)
        for ref in sorted(refs, key=lambda r: r.key)
    ]


def _context(programs: Sequence[Program], as_of: date, known_at: datetime | None) -> Any:
    from partnerprogram.programs.metrics import MetricContext

    if not programs:
        raise SimulationError("a snapshot needs at least one program")
    first = programs[0]
    for other in programs[1:]:
        if (other.currency, other.fiscal_year_start) != (first.currency, first.fiscal_year_start):
            raise SimulationError(
                f"{other.program} {other.version} measures money in {other.currency} with a "
                f"fiscal year starting in month {other.fiscal_year_start}, {first.program} "
                f"{first.version} in {first.currency} / month {first.fiscal_year_start}: "
                "they cannot share one snapshot"
            )
    return MetricContext(
        as_of=as_of,
        currency=first.currency,
        fiscal_year_start=first.fiscal_year_start,
        known_at=known_at,
    )


def snapshot_take(
    *,
    programs: Sequence[Program],
    as_of: date,
    known_at: datetime | None = None,
    extra_refs: Iterable[MetricRef] = (),
) -> MetricSnapshot:
    """Measure the population once as of ``as_of`` for every program in ``programs``.

    Queries: 2 per distinct (tracks, tiers) signature for the population, one aggregate per
    distinct metric reference over all programs (plus ``extra_refs`` and the resale bookings
    over :data:`COST_WINDOW` that price discounts), at most one for exchange rates — whatever
    the number of partners and of programs. ``known_at`` limits facts to those recorded at or
    before it. Raises :class:`SimulationError` when the programs measure money in different
    currencies, ``core.money.MissingRateError`` when an amount cannot be converted.
    """
    from partnerprogram.programs.engine import population_select
    from partnerprogram.programs.metrics import compute_metrics

    context = _context(programs, as_of, known_at)
    populations: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[PartnerRow, ...]] = {}
    for program in programs:
        key = _population_key(program)
        if key not in populations:
            populations[key] = tuple(population_select(as_of=as_of, program=program))
    refs = {ref for program in programs for ref in program.metric_refs()}
    refs |= set(extra_refs) | {_cost_ref()}
    values = compute_metrics(_ref_items(refs), context=context)
    return MetricSnapshot(
        as_of=as_of,
        known_at=known_at,
        currency=context.currency,
        fiscal_year_start=context.fiscal_year_start,
        values=values,
        populations=populations,
    )


def snapshot_extend(snapshot: MetricSnapshot, *, programs: Sequence[Program]) -> MetricSnapshot:
    """A snapshot that also covers ``programs``: only the references and populations it lacks
    are measured (nothing when it already covers them). Same errors as :func:`snapshot_take`."""
    from partnerprogram.programs.engine import population_select
    from partnerprogram.programs.metrics import MetricContext, compute_metrics

    if all(snapshot.covers(p) for p in programs):
        return snapshot
    for program in programs:
        if (program.currency, program.fiscal_year_start) != (
            snapshot.currency,
            snapshot.fiscal_year_start,
        ):
            raise SimulationError(
                f"{program.program} {program.version} measures money in {program.currency} "
                f"(fiscal year from month {program.fiscal_year_start}), the snapshot in "
                f"{snapshot.currency} (month {snapshot.fiscal_year_start})"
            )
    context = MetricContext(
        as_of=snapshot.as_of,
        currency=snapshot.currency,
        fiscal_year_start=snapshot.fiscal_year_start,
        known_at=snapshot.known_at,
    )
    populations = dict(snapshot.populations)
    for program in programs:
        key = _population_key(program)
        if key not in populations:
            populations[key] = tuple(population_select(as_of=snapshot.as_of, program=program))
    missing = {ref for p in programs for ref in p.metric_refs() if ref.key not in snapshot.values}
    values = dict(snapshot.values)
    values.update(compute_metrics(_ref_items(missing), context=context))
    return MetricSnapshot(
        as_of=snapshot.as_of,
        known_at=snapshot.known_at,
        currency=snapshot.currency,
        fiscal_year_start=snapshot.fiscal_year_start,
        values=values,
        populations=populations,
    )


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcome:
    """Every partner's tier on one side of a comparison.

    ``label``: the version (``2026.1``), ``standings`` or ``previous``; ``kind``: ``version``
    (rules applied to the snapshot), ``standings`` (official standings in effect on the date)
    or ``previous`` (``Partner.previous_tier``). ``tiers``: ``{partner id: tier | None}``
    (overall, after grandfathering); ``track_tiers``: ``{partner id: {track: tier | None}}``
    (tier met in each enrolled track, ``None`` for ``previous``, which has no tracks);
    ``assessments``: the full rule results (``kind == "version"`` only; computed for a partner
    when read, without ``next_tier``); ``grandfathered``: the partners whose tier a
    grandfathering rule raised; ``program``: the evaluated program (``version``) or the one
    whose tiers and benefits apply (``standings``: the version in force, ``previous``: the
    draft's).
    """

    label: str
    kind: Side
    tiers: Mapping[int, str | None]
    track_tiers: Mapping[int, Mapping[str, str | None]] | None
    program: Program | None
    assessments: Mapping[int, rules.Assessment] | None = None
    grandfathered: frozenset[int] = frozenset()

    def tier_of(self, pid: int) -> str:
        """The tier of partner ``pid``, :data:`NONE` when it has none."""
        return self.tiers.get(pid) or NONE


def _assess(
    program: Program,
    refs: Sequence[MetricRef],
    active: Mapping[str, bool],
    row: PartnerRow,
    snapshot: MetricSnapshot,
) -> rules.Assessment:
    """``rules.assess_partner`` without the gap to the next tier (``next_tier`` is ``None``:
    a simulation reads the tier results, and building the gap's sentences for every partner
    would double the time). Same tiers as ``assess_partner`` (tests/simulation check it on
    the reference data): the qualified tier is the highest over active enrolled tracks (ties:
    track order), then ``rules.apply_grandfathering``."""
    values = partner_values(refs=refs, values=snapshot.values, pid=row.id)
    results: list[rules.TrackResult] = []
    unknown: list[str] = []
    for track in dict.fromkeys(row.tracks):
        if track not in program.tracks:
            unknown.append(track)
            continue
        results.append(
            rules.evaluate_track(program, track=track, values=values, active=active[track])
        )
    qualified: str | None = None
    qualified_track: str | None = None
    best = -1
    for r in results:
        if r.active and r.qualified_tier is not None:
            rank = program.tier_rank(r.qualified_tier)
            if rank > best:
                best, qualified, qualified_track = rank, r.qualified_tier, r.track
    previous = row.previous_tier or None
    tier, rule = rules.apply_grandfathering(
        program, previous_tier=previous, qualified_tier=qualified, as_of=snapshot.as_of
    )
    return rules.Assessment(
        program=program.program,
        version=program.version,
        as_of=snapshot.as_of,
        tracks={r.track: r for r in results},
        qualified_tier=qualified,
        qualified_track=qualified_track,
        previous_tier=previous,
        tier=tier,
        grandfathered=rule is not None,
        grandfathering_rule=program.grandfathering.index(rule) if rule is not None else None,
        next_tier=None,
        unknown_tracks=tuple(unknown),
    )


Values = Mapping[str, Decimal | None]
Gate = Callable[[Values], bool]


def _gate(node: Node, program: Program) -> Gate:
    """A fast ``met`` test of a requirement node, the same as
    ``rules.evaluate_requirement(node, ...).met`` without building result objects: comparisons
    (fail closed on a missing or undefined value), ``all``, ``any``, ``at_least k``; scores and
    shares are delegated to the rules."""
    if isinstance(node, Comparison) and node.share_of is None:
        key, threshold = node.ref.key, node.threshold
        if node.comparator == "at_least":
            return lambda v: (x := v.get(key)) is not None and x >= threshold
        if node.comparator == "more_than":
            return lambda v: (x := v.get(key)) is not None and x > threshold
        if node.comparator == "at_most":
            return lambda v: (x := v.get(key)) is not None and x <= threshold
        return lambda v: (x := v.get(key)) is not None and x < threshold
    if isinstance(node, AllNode):
        every = [_gate(child, program) for child in node.children]
        return lambda v: all(g(v) for g in every)
    if isinstance(node, AnyNode):
        some = [_gate(child, program) for child in node.children]
        return lambda v: any(g(v) for g in some)
    if isinstance(node, AtLeastNode):
        parts, need = [_gate(child, program) for child in node.children], node.at_least
        return lambda v: sum(1 for g in parts if g(v)) >= need
    return lambda v: rules.evaluate_requirement(node, program=program, values=v).met


@dataclass(frozen=True)
class _Compiled:
    """A program's tiers as gates: ``tracks[track]`` lists ``(tier, gate | None)`` for the
    offered tiers of the track, lowest first (``None``: no requirement, met)."""

    refs: tuple[MetricRef, ...]
    tracks: Mapping[str, tuple[tuple[str, Gate | None], ...]]
    active: Mapping[str, bool]


def _compile(program: Program, as_of: date) -> _Compiled:
    tracks: dict[str, tuple[tuple[str, Gate | None], ...]] = {}
    for track in program.tracks:
        by_tier = program.requirements.get(track, {})
        ranks = [program.tier_rank(t) for t in by_tier]
        offered = program.tier_keys[: (max(ranks) if ranks else 0) + 1]
        tracks[track] = tuple(
            (tier, _gate(by_tier[tier], program) if tier in by_tier else None) for tier in offered
        )
    return _Compiled(
        refs=tuple(sorted(program.metric_refs(), key=lambda r: r.key)),
        tracks=tracks,
        active={track: program.track_active(track, as_of) for track in program.tracks},
    )


class _Assessments(Mapping[int, rules.Assessment]):
    """The full rule results of a program's partners, computed when read (movers only, in a
    simulation) and kept."""

    def __init__(self, program: Program, snapshot: MetricSnapshot) -> None:
        self._program = program
        self._snapshot = snapshot
        self._rows = {row.id: row for row in snapshot.population(program)}
        self._refs = sorted(program.metric_refs(), key=lambda r: r.key)
        self._active = {t: program.track_active(t, snapshot.as_of) for t in program.tracks}
        self._done: dict[int, rules.Assessment] = {}

    def __getitem__(self, pid: int) -> rules.Assessment:
        found = self._done.get(pid)
        if found is None:
            row = self._rows[pid]
            found = _assess(self._program, self._refs, self._active, row, self._snapshot)
            self._done[pid] = found
        return found

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def tiers_assess(
    *,
    program: Program,
    snapshot: MetricSnapshot,
    label: str | None = None,
    only: Iterable[int] | None = None,
    base: Outcome | None = None,
) -> Outcome:
    """Apply ``program``'s rules to every partner of the snapshot (pure: no query).

    Tiers are decided by fast gates equivalent to the rules (``_gate``), then
    ``rules.apply_grandfathering``; the full rule results (``Outcome.assessments``) are
    computed only for the partners read. ``label`` defaults to the program's version. With
    ``only`` (partner ids) and ``base``, only those partners are re-assessed and the others
    keep ``base``'s tiers (used when a change can only affect the partners of one track).
    Raises :class:`SimulationError` when the snapshot does not cover ``program``
    (:meth:`MetricSnapshot.covers`).
    """
    if not snapshot.covers(program):
        raise SimulationError(
            f"the snapshot lacks metrics of {program.program} {program.version} "
            "(take it with this program, or snapshot_extend)"
        )
    population = snapshot.population(program)
    tiers: dict[int, str | None]
    track_tiers: dict[int, Mapping[str, str | None]]
    if only is not None and base is not None:
        wanted = set(only)
        tiers = dict(base.tiers)
        track_tiers = dict(base.track_tiers or {})
        rows = [row for row in population if row.id in wanted]
    else:
        tiers, track_tiers = {}, {}
        rows = list(population)
    compiled = _compile(program, snapshot.as_of)
    kept: set[int] = set(base.grandfathered) if (only is not None and base is not None) else set()
    rank = {tier: i for i, tier in enumerate(program.tier_keys)}
    grandfathering = bool(program.grandfathering)
    with cyclic_gc_paused():
        for row in rows:
            values = partner_values(refs=compiled.refs, values=snapshot.values, pid=row.id)
            per_track: dict[str, str | None] = {}
            best, qualified = -1, None
            for track in row.tracks:
                offered = compiled.tracks.get(track)
                if offered is None:
                    continue
                met = None
                for tier, gate in offered:
                    if gate is None or gate(values):
                        met = tier
                per_track[track] = met
                if met is not None and compiled.active[track] and rank[met] > best:
                    best, qualified = rank[met], met
            if grandfathering:
                qualified, rule = rules.apply_grandfathering(
                    program,
                    previous_tier=row.previous_tier or None,
                    qualified_tier=qualified,
                    as_of=snapshot.as_of,
                )
                if rule is not None:
                    kept.add(row.id)
                else:
                    kept.discard(row.id)
            tiers[row.id] = qualified
            track_tiers[row.id] = per_track
    return Outcome(
        label=label or program.version,
        kind="version",
        tiers=tiers,
        track_tiers=track_tiers,
        program=program,
        assessments=_Assessments(program, snapshot),
        grandfathered=frozenset(kept),
    )


def tier_order_merged(primary: Sequence[str], other: Sequence[str]) -> tuple[str, ...]:
    """The tiers of two versions in one order, lowest first: ``primary``'s order, and each tier
    only ``other`` has placed just above the nearest tier below it in ``other``'s order (at the
    bottom when none). So a tier removed from a draft still ranks where it was: with
    ``primary`` ``[ready, premier]`` and ``other`` ``[ready, advanced, premier]`` the order is
    ``ready, advanced, premier`` and advanced → ready is a move down."""
    merged = list(primary)
    for i, tier in enumerate(other):
        if tier in merged:
            continue
        below = next((other[j] for j in range(i - 1, -1, -1) if other[j] in merged), None)
        merged.insert(merged.index(below) + 1 if below is not None else 0, tier)
    return tuple(merged)


def _other_tier_order(
    against: Program | str, before: Outcome, draft: Program, as_of: date
) -> tuple[str, ...]:
    """The tier order of the compared side: the version's; the standings' pricing version's;
    for ``previous`` the draft program's version in force on ``as_of`` (else none)."""
    if isinstance(against, Program):
        return against.tier_keys
    if before.program is not None and before.program is not draft:
        return before.program.tier_keys
    from partnerprogram.programs.selectors import (
        ProgramVersionNotFound,
        program_definition,
        program_version_get,
    )

    try:
        stored = program_version_get(program=draft.program, on=as_of)
    except ProgramVersionNotFound:
        return ()
    return program_definition(stored).tier_keys


def outcome_previous(*, snapshot: MetricSnapshot, program: Program) -> Outcome:
    """The previous program's tiers (``Partner.previous_tier``, the higher of a merger's) of
    ``program``'s population; ``program`` prices them. No query."""
    population = snapshot.population(program)
    return Outcome(
        label="previous",
        kind="previous",
        tiers={row.id: row.previous_tier or None for row in population},
        track_tiers=None,
        program=program,
    )


def outcome_standings(*, snapshot: MetricSnapshot, program: Program) -> Outcome:
    """The official standings of ``program``'s partners in effect on the snapshot date
    (``standings.selectors.standing_summary``: overall and per track of ``program``), priced by
    the version in force that day (else ``program``). One query per track plus two."""
    from partnerprogram.programs.selectors import (
        ProgramVersionNotFound,
        program_definition,
        program_version_get,
    )
    from partnerprogram.standings.selectors import standing_summary

    population = snapshot.population(program)
    by_ext = {row.external_id: row.id for row in population}

    def read(track: str) -> dict[int, str | None]:
        data = standing_summary(
            on=snapshot.as_of, program=program.program, listed=True, track=track
        )
        return {
            by_ext[item["partner"]]: item["tier"]
            for item in data["standings"]
            if item["partner"] in by_ext
        }

    overall = read("")
    per_track: dict[int, dict[str, str | None]] = defaultdict(dict)
    for track in program.track_keys:
        for pid, tier in read(track).items():
            per_track[pid][track] = tier
    try:
        pricing = program_definition(
            program_version_get(program=program.program, on=snapshot.as_of)
        )
    except ProgramVersionNotFound:
        pricing = program
    return Outcome(
        label="standings",
        kind="standings",
        tiers={row.id: overall.get(row.id) for row in population},
        track_tiers={row.id: per_track.get(row.id, {}) for row in population},
        program=pricing,
    )


# --------------------------------------------------------------------------- requirement paths


_TOKEN = re.compile(r"\.?([A-Za-z0-9_-]+)|\[(\d+)\]")


def _path_tokens(path: str) -> list[str | int]:
    """``requirements.sp.premier.all[1].at_least`` → ``['requirements', 'sp', 'premier', 'all',
    1, 'at_least']``; :class:`SimulationError` on a malformed path."""
    tokens: list[str | int] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or (m.group(1) is not None and pos > 0 and not text[pos] == "."):
            raise SimulationError(
                f"path {path!r}: malformed at {text[pos:]!r} (expected dotted names and [index], "
                "e.g. requirements.solution_provider.premier.all[1].at_least)"
            )
        tokens.append(int(m.group(2)) if m.group(2) is not None else m.group(1))
        pos = m.end()
    if not tokens:
        raise SimulationError("empty threshold path")
    return tokens


#: Fields a threshold path may end with.
NUMERIC_FIELDS = frozenset(
    {
        "at_least",
        "more_than",
        "at_most",
        "less_than",
        "points_per",
        "points_each",
        "max_points",
        "min_points",
        "more_than_points",
        "value",
    }
)


def _walk(data: Any, tokens: Sequence[str | int], path: str) -> tuple[Any, str | int]:
    """The container holding the last token's field, after checking every step exists."""
    node = data
    walked = ""
    for token in tokens[:-1]:
        if isinstance(token, int):
            if not isinstance(node, list) or token >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise SimulationError(
                    f"path {path!r}: {walked or 'program'} has no item [{token}] "
                    f"({size} item{'s' if size != 1 else ''})"
                )
            node = node[token]
            walked += f"[{token}]"
        else:
            if not isinstance(node, dict) or token not in node:
                known = ", ".join(sorted(node)) if isinstance(node, dict) else "none"
                raise SimulationError(
                    f"path {path!r}: {walked or 'program'} has no field {token!r} (fields: {known})"
                )
            node = node[token]
            walked += f".{token}" if walked else token
    last = tokens[-1]
    if isinstance(last, int) or last not in NUMERIC_FIELDS:
        raise SimulationError(
            f"path {path!r}: must end with a numeric field ({', '.join(sorted(NUMERIC_FIELDS))})"
        )
    if not isinstance(node, dict) or last not in node:
        known = (
            ", ".join(sorted(k for k in node if k in NUMERIC_FIELDS))
            if isinstance(node, dict)
            else ""
        )
        raise SimulationError(
            f"path {path!r}: {walked or 'program'} has no {last!r}"
            + (f" (it has {known})" if known else "")
        )
    return node, last


def threshold_get(program: Program, path: str) -> Decimal:
    """The current value of the numeric field at ``path`` (syntax of the validation errors:
    ``requirements.solution_provider.premier.all[1].at_least``,
    ``requirements.consulting.premier.at_least``, ``benefits.premier[2].value``). Raises
    :class:`SimulationError` naming the first step that does not exist."""
    node, last = _walk(program.canonical_dict(), _path_tokens(path), path)
    return Decimal(str(node[last]))


def program_with_threshold(program: Program, path: str, value: Decimal | int | str) -> Program:
    """A validated copy of ``program`` whose numeric field at ``path`` is ``value`` (everything
    else unchanged, the version too). Raises :class:`SimulationError` for a bad path or a value
    the language refuses (e.g. a negative threshold), with the path and the reason."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SimulationError(f"{path}: {value!r} is not a number") from None
    data = program.canonical_dict()
    node, last = _walk(data, _path_tokens(path), path)
    node[last] = str(number)
    try:
        return program_from_json(data, source=f"{path}={number}")
    except ProgramError as exc:
        reasons = "; ".join(f"{p}: {r}" if p else r for _, p, r in exc.errors)
        raise SimulationError(f"{path} = {number}: {reasons}") from None


def sensitivity_values(start: Decimal, stop: Decimal, step: Decimal) -> list[Decimal]:
    """``start, start + step, …`` up to ``stop`` inclusive (``step`` > 0, ``start`` <= ``stop``,
    at most :data:`MAX_POINTS` values, each finite). Raises :class:`SimulationError` otherwise
    (``not a number`` for NaN or an infinity)."""
    for flag, value in (("--from", start), ("--to", stop), ("--step", step)):
        if not value.is_finite():
            raise SimulationError(f"{flag} {value}: not a number")
    if step <= 0:
        raise SimulationError(f"--step {step}: must be greater than 0")
    if stop < start:
        raise SimulationError(f"--to {stop} is below --from {start}")
    count = int((stop - start) / step) + 1
    if count > MAX_POINTS:
        raise SimulationError(
            f"{count} values from {start} to {stop} by {step}: at most {MAX_POINTS}"
        )
    return [start + step * i for i in range(count)]


def _node_at(root: Node, relpath: str) -> Node | None:
    """The node at a path relative to a tier (``all[1]``, ``score[0]``, ``""`` for the root)."""
    node: Any = root
    for token in _path_tokens(relpath) if relpath else []:
        if isinstance(token, int):
            if not isinstance(node, list | tuple) or token >= len(node):
                return None
            node = node[token]
        elif isinstance(node, AllNode | AnyNode | AtLeastNode | Score) and token in (
            "all",
            "any",
            "of",
            "score",
        ):
            node = getattr(node, token)
        else:
            return node if isinstance(node, Comparison | Score) else None
    return node if isinstance(node, Comparison | Score | AllNode | AnyNode | AtLeastNode) else None


def _active_lang() -> str:
    return "fr" if (translation.get_language() or "en").startswith("fr") else "en"


def _node_label(node: Node | None, fallback: str = "", lang: str = "en") -> str:
    if node is None:
        return fallback
    label = getattr(node, "label", None)
    if label is not None:
        return str(label.get(lang))
    if isinstance(node, Comparison):
        where = "".join(f" {k}={'|'.join(v)}" for k, v in sorted(node.where.items()))
        window = f" {node.window}" if node.window else ""
        return f"{node.metric}{where}{window} {node.comparator.replace('_', ' ')} {node.threshold}"
    return getattr(node, "id", None) or fallback


# --------------------------------------------------------------------------- binding


@dataclass(frozen=True)
class Binding:
    """How often one top-level requirement keeps partners out of a tier of a track.

    ``requirement``: its path (``requirements.solution_provider.premier.all[1]``, or for a score
    ``….at_least`` — the points minimum — ``….score[2].min_points``, ``….groups.g.min_points``);
    ``label``: its label (or a description). Over the partners enrolled in ``track`` whose tier
    in that track is below ``tier`` (``below``): ``alone`` fail it and would meet ``tier`` if it
    alone were satisfied; ``together`` fail it but would still miss ``tier`` because of other
    requirements. ``failing`` = ``alone + together``. ``track_active``: whether the track is in
    effect on the date (partners of an inactive track count too: the track is evaluated for
    display).
    """

    track: str
    tier: str
    requirement: str
    label: str
    alone: int
    together: int
    below: int
    track_active: bool

    @property
    def failing(self) -> int:
        return self.alone + self.together


def _units(node: Node, base: str, lang: str = "en") -> list[tuple[str, Node | None, str]]:
    """The top-level requirements of a tier: ``(path, node, label)``; labels in ``lang`` (the
    program's own labels when it has them, the descriptions of score minimums translated)."""
    fr = lang == "fr"
    if isinstance(node, AllNode | AnyNode | AtLeastNode):
        word = (
            "of"
            if isinstance(node, AtLeastNode)
            else ("all" if isinstance(node, AllNode) else "any")
        )
        return [
            (f"{base}.{word}[{i}]", child, _node_label(child, f"{word}[{i}]", lang))
            for i, child in enumerate(node.children)
        ]
    if isinstance(node, Score):
        title = _node_label(node, "score", lang)
        units: list[tuple[str, Node | None, str]] = [
            (
                f"{base}.at_least",
                None,
                f"{title} : au moins {node.at_least} points"
                if fr
                else f"{title}: at least {node.at_least} points",
            )
        ]
        for i, comp in enumerate(node.score):
            for minimum in ("min_points", "more_than_points"):
                if getattr(comp, minimum) is not None:
                    name = comp.label.get(lang) if comp.label else (comp.id or comp.metric)
                    value = getattr(comp, minimum)
                    if fr:
                        words = "minimum" if minimum == "min_points" else "plus de"
                        text = f"{name} : {words} {value} points"
                    else:
                        text = f"{name}: {minimum.replace('_', ' ')} {value}"
                    units.append((f"{base}.score[{i}].{minimum}", None, text))
        for name, group in node.groups.items():
            if group.min_points is not None:
                units.append(
                    (
                        f"{base}.groups.{name}.min_points",
                        None,
                        f"groupe {name} : minimum {group.min_points} points"
                        if fr
                        else f"group {name}: min points {group.min_points}",
                    )
                )
        return units
    return [(base, node, _node_label(node, base, lang))]


def _failed_units(node: Node, result: rules.NodeResult) -> tuple[list[int], bool]:
    """Indexes (in :func:`_units` order) of the units ``result`` fails, and whether satisfying
    any single one of them would meet the requirement."""
    if isinstance(result, rules.LogicResult):
        failed = [i for i, child in enumerate(result.children) if not child.met]
        return failed, result.met_count + 1 >= result.required
    if isinstance(result, rules.ScoreResult):
        assert isinstance(node, Score)
        flags = [result.total >= result.threshold]
        by_path = {c.path: c for c in result.components}
        prefix = f"{result.path}." if result.path else ""
        for i, comp in enumerate(node.score):
            for minimum in ("min_points", "more_than_points"):
                if getattr(comp, minimum) is not None:
                    flags.append(by_path[f"{prefix}score[{i}]"].minimum_met)
        by_group = {g.name: g for g in result.groups}
        for name, group in node.groups.items():
            if group.min_points is not None:
                flags.append(by_group[name].met)
        failed = [i for i, ok in enumerate(flags) if not ok]
        return failed, len(failed) == 1
    return ([] if result.met else [0]), True


def binding_requirements(
    *, program: Program, outcome: Outcome, snapshot: MetricSnapshot
) -> list[Binding]:
    """For each tier with a requirement in each track of ``program``, how many partners each
    top-level requirement keeps out of it, alone or together with others (definitions in
    :class:`Binding` and ``docs/simulation.md``):

    - ``all`` at the top: each child is a requirement; P fails child r *alone* when every other
      child is met, *together* otherwise;
    - ``at_least k of`` at the top: each child is a requirement; P (meeting m < k children)
      fails child r *alone* when m + 1 >= k (meeting r would be enough), *together* otherwise;
    - ``any`` at the top: each child is a requirement; P fails them all, and each is *alone*
      (meeting any one would be enough) — so ``alone`` counts overlap;
    - a ``score`` at the top: the points minimum (``at_least``) and each component or group
      minimum are requirements; P fails one *alone* when it is the only one failed;
    - a single comparison: it is the requirement, always *alone*.

    Nested nodes count as one requirement (their top-level ancestor). ``outcome`` must be
    ``tiers_assess(program=program, ...)`` on ``snapshot`` (its assessments are read: no
    re-evaluation). Rows follow the track order (tracks not in effect on the date last), then
    tiers lowest first, then the document.
    Labels are in the active language (``django.utils.translation``).
    """
    if outcome.kind != "version" or outcome.program is not program:
        raise SimulationError("binding_requirements needs the outcome of tiers_assess(program)")
    population = snapshot.population(program)
    refs = sorted(program.metric_refs(), key=lambda r: r.key)
    cache: dict[int, Values] = {}
    lang = _active_lang()  # labels in the active language (the program's French ones)

    def values_of(pid: int) -> Values:
        found = cache.get(pid)
        if found is None:
            found = cache[pid] = partner_values(refs=refs, values=snapshot.values, pid=pid)
        return found

    track_tiers = outcome.track_tiers or {}
    rows: list[Binding] = []
    with cyclic_gc_paused():
        for track, by_tier in program.requirements.items():
            active = program.track_active(track, snapshot.as_of)
            for tier in program.tier_keys:
                node = by_tier.get(tier)
                if node is None:
                    continue
                rank = program.tier_rank(tier)
                base = f"requirements.{track}.{tier}"
                units = _units(node, base, lang)
                gates: list[Gate] | None = None
                required = 0
                if isinstance(node, AllNode | AnyNode | AtLeastNode):
                    gates = [_gate(child, program) for child in node.children]
                    required = (
                        node.at_least
                        if isinstance(node, AtLeastNode)
                        else (len(gates) if isinstance(node, AllNode) else 1)
                    )
                alone = [0] * len(units)
                together = [0] * len(units)
                below = 0
                for row in population:
                    if track not in row.tracks:
                        continue
                    held = track_tiers.get(row.id, {}).get(track)
                    if held is not None and program.tier_rank(held) >= rank:
                        continue
                    below += 1
                    values = values_of(row.id)
                    if gates is not None:
                        failed = [i for i, gate in enumerate(gates) if not gate(values)]
                        single = len(gates) - len(failed) + 1 >= required
                    else:
                        result = rules.evaluate_requirement(node, program=program, values=values)
                        failed, single = _failed_units(node, result)
                    for i in failed:
                        if single:
                            alone[i] += 1
                        else:
                            together[i] += 1
                rows.extend(
                    Binding(
                        track=track,
                        tier=tier,
                        requirement=path,
                        label=label,
                        alone=alone[i],
                        together=together[i],
                        below=below,
                        track_active=active,
                    )
                    for i, (path, _node, label) in enumerate(units)
                )
    # tracks not in effect on the date last: their rows are all zero (still listed, marked)
    return sorted(rows, key=lambda b: not b.track_active)


# --------------------------------------------------------------------------- benefit cost


@dataclass(frozen=True)
class BenefitCost:
    """What the priced benefits of one side cost over a year, in ``currency``.

    ``discount`` / ``rebate``: the benefit's fraction x the partner's resale bookings over
    ``window`` (trailing 12 months by default), summed over partners; ``mdf``: the amount per
    year of the partner's tier, summed; ``by_tier``: the total per tier; ``total``. ``priced``
    is False when the pricing program lists no priced benefit (every amount is then 0).
    Protection days and ``other`` benefits are not priced.
    """

    label: str
    currency: str
    window: str
    discount: Decimal
    rebate: Decimal
    mdf: Decimal
    by_tier: dict[str, Decimal]
    priced: bool

    @property
    def total(self) -> Decimal:
        return self.discount + self.rebate + self.mdf


def benefit_cost(
    *, outcome: Outcome, snapshot: MetricSnapshot, window: str = COST_WINDOW
) -> BenefitCost:
    """Price ``outcome``'s tiers with the benefits of ``outcome.program`` (see
    :class:`BenefitCost`). Reads resale bookings from the snapshot (taken with the
    ``resale_bookings@12M`` reference; another ``window`` needs ``extra_refs``). No query."""
    program = outcome.program
    key = _cost_ref(window).key
    if key not in snapshot.values:
        raise SimulationError(f"the snapshot lacks {key}: take it with extra_refs")
    totals = {"discount": Decimal(0), "rebate": Decimal(0), "mdf": Decimal(0)}
    by_tier: dict[str, Decimal] = {}
    priced = False
    if program is not None:
        priced = any(
            b.kind in totals and b.value is not None
            for items in (program.benefits or {}).values()
            for b in items
        )
        for pid, tier in outcome.tiers.items():
            if not tier:
                continue
            for benefit in program.benefits_of(tier) if tier in program.tier_keys else ():
                if benefit.kind not in totals or benefit.value is None:
                    continue
                if benefit.kind == "mdf":
                    amount = benefit.value
                else:
                    amount = (benefit.value * snapshot.value(key, pid)).quantize(Decimal("0.01"))
                totals[benefit.kind] += amount
                by_tier[tier] = by_tier.get(tier, Decimal(0)) + amount
    return BenefitCost(
        label=outcome.label,
        currency=snapshot.currency,
        window=window,
        discount=totals["discount"],
        rebate=totals["rebate"],
        mdf=totals["mdf"],
        by_tier=by_tier,
        priced=priced,
    )


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class Reason:
    """A requirement that moves a partner: under ``side`` (a label), tier ``tier`` of
    ``track``, the requirement at ``path`` (``requirements.<track>.<tier>.all[1]``) is failed
    by ``missing`` (``text`` says it in words, built when read); ``value`` against
    ``threshold``."""

    side: str
    track: str
    tier: str
    path: str
    label: str
    sentence: rules.Text | rules.LazyText = field(repr=False)
    value: Decimal | None
    threshold: Decimal | None
    missing: Decimal | None
    label_fr: str = ""

    @property
    def text(self) -> str:
        """The shortfall in the active language, English or French (``2 more certified
        people``, ``2 personnes certifiées de plus``)."""
        return self.sentence.get(_active_lang())

    @property
    def label_local(self) -> str:
        """The requirement's label in the active language (the program's French label when it
        has one, else ``label``)."""
        return self.label_fr if _active_lang() == "fr" and self.label_fr else self.label


@dataclass(frozen=True)
class Mover:
    """A partner whose tier differs between the sides: ``before`` (the other side) →
    ``after`` (the draft), ``direction`` ``up`` or ``down``; ``reasons``: for a partner moving
    down, what it fails under the draft for its former tier; moving up, what it failed under
    the other side for its new tier (none when the other side is not a program version: the
    draft's requirement is then met, ``grandfathered`` says if by grandfathering);
    ``resale``: its resale bookings over the cost window (the order within a group);
    ``values``: for the first :data:`DETAIL_LIMIT` of each (before, after) group, the checks
    of the tier at stake under each side (``{side label: [{"path", "metric", "value",
    "comparator", "threshold", "met"}]}``), else ``None``."""

    partner_id: int
    external_id: str
    name: str
    before: str
    after: str
    direction: Literal["up", "down"]
    reasons: tuple[Reason, ...]
    grandfathered: bool
    resale: Decimal
    values: dict[str, list[dict[str, Any]]] | None = None


@dataclass(frozen=True)
class SimulationResult:
    """A draft compared with another side as of a date.

    ``labels``: ``(before label, after label)`` (the draft is always ``after``; its label is
    its version, suffixed `` (draft)`` when equal to the other's); ``tiers``: the tiers shown,
    highest first, then :data:`NONE`; ``distribution``: ``{label: {tier: count}}`` (every tier
    in ``tiers``); ``by_track``: ``{label: {track: {tier: count}}}`` (tiers met per enrolled
    track; absent for ``previous``); ``transitions``: ``[(before, after, count)]`` with every
    non-zero pair (stays included), highest ``before`` first; ``movers``; ``binding`` (the
    draft's); ``cost``: ``{label: BenefitCost}``; ``partners``: the population size.
    """

    draft: Program
    against: Outcome
    outcome: Outcome
    as_of: date
    labels: tuple[str, str]
    tiers: tuple[str, ...]
    partners: int
    distribution: dict[str, dict[str, int]]
    by_track: dict[str, dict[str, dict[str, int]]]
    transitions: list[tuple[str, str, int]]
    movers: list[Mover]
    binding: list[Binding]
    cost: dict[str, BenefitCost]
    snapshot: MetricSnapshot = field(repr=False)

    @property
    def cost_difference(self) -> Decimal:
        """Draft cost minus the other side's (positive: the draft costs more)."""
        before, after = self.labels
        return self.cost[after].total - self.cost[before].total

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (Decimals kept: ``core.cli_output.to_json`` writes them as numbers; the
        requirements' and checks' ``value``/``threshold``/``missing``/``points`` without a
        fractional part as ints: ``7``, not ``7.0``)."""
        before, after = self.labels
        return {
            "draft": {
                "program": self.draft.program,
                "version": self.draft.version,
                "label": after,
            },
            "against": {"kind": self.against.kind, "label": before},
            "as_of": self.as_of.isoformat(),
            "partners": self.partners,
            "tiers": list(self.tiers),
            "distribution": self.distribution,
            "by_track": self.by_track,
            "transitions": [{"from": f, "to": t, "count": n} for f, t, n in self.transitions],
            "movers": [
                {
                    "partner": m.external_id,
                    "name": m.name,
                    "from": m.before,
                    "to": m.after,
                    "direction": m.direction,
                    "grandfathered": m.grandfathered,
                    "resale": m.resale,
                    "requirements": [
                        {
                            "version": r.side,
                            "track": r.track,
                            "tier": r.tier,
                            "path": r.path,
                            "label": r.label,
                            "text": r.text,
                            "value": _whole(r.value),
                            "threshold": _whole(r.threshold),
                            "missing": _whole(r.missing),
                        }
                        for r in m.reasons
                    ],
                    "values": None
                    if m.values is None
                    else {
                        side: [
                            {
                                k: _whole(v) if k in ("value", "threshold", "points") else v
                                for k, v in check.items()
                            }
                            for check in checks
                        ]
                        for side, checks in m.values.items()
                    },
                }
                for m in self.movers
            ],
            "binding": [
                {
                    "track": b.track,
                    "tier": b.tier,
                    "requirement": b.requirement,
                    "label": b.label,
                    "alone": b.alone,
                    "together": b.together,
                    "failing": b.failing,
                    "below": b.below,
                    "track_active": b.track_active,
                }
                for b in self.binding
            ],
            "benefit_cost": {
                "currency": self.snapshot.currency,
                "window": next(iter(self.cost.values())).window,
                "versions": {
                    label: {
                        "priced": c.priced,
                        "discount": c.discount,
                        "rebate": c.rebate,
                        "mdf": c.mdf,
                        "total": c.total,
                        "by_tier": c.by_tier,
                    }
                    for label, c in self.cost.items()
                },
                "difference": self.cost_difference,
            },
        }


def _whole(value: Any) -> Any:
    """A Decimal with no fractional part as an int (``7`` rather than ``7.0`` in JSON); other
    values unchanged."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


def _reasons_for(
    program: Program | None,
    tracks: Sequence[str],
    values: Values | None,
    tier: str,
    side: str,
    labels: dict[tuple[str, ...], str],
    as_of: date,
) -> tuple[Reason, ...]:
    """What a partner (enrolled in ``tracks``, with ``values``) fails for ``tier`` under
    ``program``, on the active track where it fails fewest (ties: track order); nothing when
    it meets ``tier`` on one of them. Evaluates only that tier's requirement. An enrolled
    track the program does not count (absent, not yet or no longer in effect on ``as_of``) and
    a tier the program does not have are reasons of their own (``path`` ``tracks.<track>`` or
    ``tiers``), after the requirements' — else a partner would "fall" with no reason given."""
    if program is None or values is None:
        return ()
    if tier not in program.tier_keys:
        sentence = rules.Text(
            en=f"tier {tier} not in {side}", fr=f"le niveau {tier} n'existe pas dans {side}"
        )
        return (Reason(side, "", tier, "tiers", tier, sentence, None, None, None, tier),)
    rank = program.tier_rank(tier)
    best: tuple[Reason, ...] | None = None
    uncounted: list[Reason] = []
    for track in tracks:
        if track not in program.tracks or not program.track_active(track, as_of):
            uncounted.append(_track_reason(program, track, tier, side, as_of))
            continue
        by_tier = program.requirements.get(track, {})
        top = max((program.tier_rank(t) for t in by_tier), default=0)
        if rank > top:
            continue  # not offered in this track
        node = by_tier.get(tier)
        if node is None:
            return ()
        result = rules.evaluate_requirement(node, program=program, values=values)
        if result.met:
            return ()
        items = []
        for short in rules.shortfalls(result, currency=program.currency):
            key = (track, tier, short.path)
            if key not in labels:
                labels[key] = _node_label(_node_at(node, short.path), short.path or tier)
                labels[(*key, "fr")] = _node_label(
                    _node_at(node, short.path), short.path or tier, "fr"
                )
            items.append(
                Reason(
                    side=side,
                    track=track,
                    tier=tier,
                    path=f"requirements.{track}.{tier}" + (f".{short.path}" if short.path else ""),
                    label=labels[key],
                    label_fr=labels[(*key, "fr")],
                    sentence=short.text,
                    value=short.value,
                    threshold=short.threshold,
                    missing=short.missing,
                )
            )
        if best is None or len(items) < len(best):
            best = tuple(items)
    if not tracks:
        sentence = rules.Text(
            en=f"enrolled in no track of {side}", fr=f"inscrit dans aucun parcours de {side}"
        )
        return (Reason(side, "", tier, "tracks", "tracks", sentence, None, None, None, "parcours"),)
    return (*(best or ()), *uncounted)


def _track_reason(program: Program, track: str, tier: str, side: str, as_of: date) -> Reason:
    """Why an enrolled track does not count under ``program`` on ``as_of``."""
    spec = program.tracks.get(track)
    if spec is None:
        sentence = rules.Text(
            en=f"track {track} not in {side}", fr=f"parcours {track} absent de {side}"
        )
        name = name_fr = track
    else:
        name, name_fr = program.track_name(track), program.track_name(track, "fr")
        if spec.effective_from is not None and as_of < spec.effective_from:
            start = spec.effective_from.isoformat()
            sentence = rules.Text(
                en=f"track {track} not in effect until {start}",
                fr=f"parcours {track} en vigueur seulement à partir du {start}",
            )
        else:
            end = spec.effective_until.isoformat() if spec.effective_until else ""
            sentence = rules.Text(
                en=f"track {track} ended on {end}", fr=f"parcours {track} terminé le {end}"
            )
    return Reason(
        side=side,
        track=track,
        tier=tier,
        path=f"tracks.{track}",
        label=name,
        sentence=sentence,
        value=None,
        threshold=None,
        missing=None,
        label_fr=name_fr,
    )


def _checks(result: rules.NodeResult | None) -> list[dict[str, Any]]:
    if result is None:
        return []
    if isinstance(result, rules.CheckResult):
        return [
            {
                "path": result.path,
                "metric": result.metric,
                "value": result.value,
                "comparator": result.comparator,
                "threshold": result.threshold,
                "met": result.met,
            }
        ]
    if isinstance(result, rules.ScoreResult):
        out = [
            {
                "path": c.path,
                "metric": c.metric,
                "value": c.value,
                "comparator": "points",
                "threshold": c.min_points if c.min_points is not None else c.more_than_points,
                "met": c.minimum_met,
                "points": c.points,
            }
            for c in result.components
        ]
        out.append(
            {
                "path": result.path or "score",
                "metric": "points",
                "value": result.total,
                "comparator": "at_least",
                "threshold": result.threshold,
                "met": result.met,
            }
        )
        return out
    return [item for child in result.children for item in _checks(child)]


def _values_under(outcome: Outcome, pid: int, tier: str) -> list[dict[str, Any]]:
    """The checks of ``tier`` for ``pid`` under ``outcome`` on each enrolled track."""
    if outcome.assessments is None or outcome.program is None:
        return []
    assessment = outcome.assessments.get(pid)
    if assessment is None or tier not in outcome.program.tier_keys:
        return []
    out = []
    lang = _active_lang()
    for track, result in assessment.tracks.items():
        root = outcome.program.requirements.get(track, {}).get(tier)
        for item in _checks(result.tier_result(tier).requirement):
            label = _check_label(root, item["path"], lang) if root is not None else item["path"]
            out.append({"track": track, "label": label, **item})
    return out


def _check_label(root: Node, path: str, lang: str) -> str:
    """The label of the check at ``path`` (relative to the tier: ``all[0]``, ``score[1]``,
    ``score`` for a score's total at the root) in ``lang``: the program's label, else a
    component's id or metric, else the comparison described; ``path`` when none is found."""
    node: Any = root
    tokens = [] if path in ("", "score") else _path_tokens(path)
    for token in tokens:
        try:
            node = node[token] if isinstance(token, int) else getattr(node, token)
        except (AttributeError, IndexError, KeyError, TypeError):
            return path or "score"
    label = getattr(node, "label", None)
    if label is not None:
        return str(label.get(lang))
    if isinstance(node, Comparison | Score):
        return _node_label(node, path, lang)
    return str(getattr(node, "id", None) or getattr(node, "metric", None) or path or "score")


def _distribution(outcome: Outcome, pids: Sequence[int], tiers: Sequence[str]) -> dict[str, int]:
    counts = Counter(outcome.tier_of(pid) for pid in pids)
    return {tier: counts.get(tier, 0) for tier in tiers}


def _by_track(
    outcome: Outcome, pids: Sequence[int], tracks: Sequence[str], tiers: Sequence[str]
) -> dict[str, dict[str, int]]:
    if outcome.track_tiers is None:
        return {}
    counts: dict[str, Counter[str]] = {track: Counter() for track in tracks}
    for pid in pids:
        for track, tier in (outcome.track_tiers.get(pid) or {}).items():
            if track in counts:
                counts[track][tier or NONE] += 1
    return {
        track: {tier: c.get(tier, 0) for tier in tiers if tier != NONE or c.get(NONE)}
        for track, c in counts.items()
    }


def simulation_run(
    *,
    draft: Program,
    against: Program | Literal["standings", "previous"],
    as_of: date,
    snapshot: MetricSnapshot | None = None,
    known_at: datetime | None = None,
    detail_limit: int = DETAIL_LIMIT,
) -> SimulationResult:
    """Simulate ``draft`` as of ``as_of`` against ``against``: a program version (its rules on
    the same snapshot), ``"standings"`` (official standings in effect that day) or
    ``"previous"`` (each partner's ``previous_tier``). Stores nothing.

    ``snapshot`` reuses measured facts (it must be as of ``as_of``; it is extended when it
    lacks a program's metrics); otherwise one is taken (:func:`snapshot_take`). Returns a
    :class:`SimulationResult`. Raises :class:`SimulationError` (snapshot of another date,
    programs in different currencies) and ``core.money.MissingRateError``.
    """
    programs = [draft] + ([against] if isinstance(against, Program) else [])
    if snapshot is None:
        snapshot = snapshot_take(programs=programs, as_of=as_of, known_at=known_at)
    elif snapshot.as_of != as_of:
        raise SimulationError(f"the snapshot is as of {snapshot.as_of}, not {as_of}")
    else:
        snapshot = snapshot_extend(snapshot, programs=programs)
    after = tiers_assess(program=draft, snapshot=snapshot)
    if isinstance(against, Program):
        before = tiers_assess(program=against, snapshot=snapshot)
    elif against == "standings":
        before = outcome_standings(snapshot=snapshot, program=draft)
    elif against == "previous":
        before = outcome_previous(snapshot=snapshot, program=draft)
    else:
        raise SimulationError(f"cannot simulate against {against!r}")
    if after.label == before.label:
        after = Outcome(
            label=f"{after.label} (draft)",
            kind=after.kind,
            tiers=after.tiers,
            track_tiers=after.track_tiers,
            program=after.program,
            assessments=after.assessments,
            grandfathered=after.grandfathered,
        )
    population = snapshot.population(draft)
    pids = [row.id for row in population]
    merged = tier_order_merged(draft.tier_keys, _other_tier_order(against, before, draft, as_of))
    extra = sorted(
        {before.tier_of(p) for p in pids} - set(merged) - {NONE}
    )  # tiers neither side orders (e.g. a previous program's): lowest, above no tier
    tiers = (*reversed(merged), *extra, NONE)
    ranks = {tier: len(tiers) - 1 - i for i, tier in enumerate(tiers)}  # none 0, then upwards

    def order(tier: str) -> int:
        return ranks[tier]

    distribution = {
        before.label: _distribution(before, pids, tiers),
        after.label: _distribution(after, pids, tiers),
    }
    tracks = list(draft.track_keys)
    by_track = {
        label: data
        for label, data in (
            (before.label, _by_track(before, pids, tracks, tiers)),
            (after.label, _by_track(after, pids, tracks, tiers)),
        )
        if data
    }
    pairs = Counter((before.tier_of(p), after.tier_of(p)) for p in pids)
    transitions = sorted(
        ((f, t, n) for (f, t), n in pairs.items()),
        key=lambda item: (-order(item[0]), -order(item[1])),
    )
    cost_key = _cost_ref().key
    movers: list[Mover] = []
    labels: dict[tuple[str, ...], str] = {}
    before_labels: dict[tuple[str, ...], str] = {}
    after_refs = sorted(draft.metric_refs(), key=lambda r: r.key)
    before_refs = (
        sorted(before.program.metric_refs(), key=lambda r: r.key)
        if before.kind == "version" and before.program is not None
        else None
    )
    # the tracks each partner is enrolled in under the compared version too (a track the draft
    # removed is not in the draft's population rows, yet it explains a fall)
    before_tracks = (
        {r.id: r.tracks for r in snapshot.population(before.program)}
        if before.kind == "version" and before.program is not None
        else {}
    )
    for row in population:
        f, t = before.tier_of(row.id), after.tier_of(row.id)
        if f == t:
            continue
        down = order(t) < order(f)
        if down:
            inputs = partner_values(refs=after_refs, values=snapshot.values, pid=row.id)
            enrolled = (
                *row.tracks,
                *(x for x in before_tracks.get(row.id, ()) if x not in row.tracks),
            )
            reasons = _reasons_for(draft, enrolled, inputs, f, after.label, labels, as_of)
        elif before_refs is not None:
            inputs = partner_values(refs=before_refs, values=snapshot.values, pid=row.id)
            reasons = _reasons_for(
                before.program, row.tracks, inputs, t, before.label, before_labels, as_of
            )
        else:
            reasons = ()
        movers.append(
            Mover(
                partner_id=row.id,
                external_id=row.external_id,
                name=row.name,
                before=f,
                after=t,
                direction="down" if down else "up",
                reasons=reasons,
                grandfathered=row.id in after.grandfathered,
                resale=snapshot.value(cost_key, row.id),
            )
        )
    movers.sort(key=lambda m: (-order(m.before), -order(m.after), -m.resale, m.external_id))
    seen: Counter[tuple[str, str]] = Counter()
    detailed: list[Mover] = []
    for m in movers:
        group = (m.before, m.after)
        seen[group] += 1
        if seen[group] <= detail_limit:
            stake = m.before if m.direction == "down" else m.after
            values = {
                side.label: _values_under(side, m.partner_id, stake)
                for side in (before, after)
                if side.assessments is not None
            }
            m = replace(m, values=values)
        detailed.append(m)
    return SimulationResult(
        draft=draft,
        against=before,
        outcome=after,
        as_of=as_of,
        labels=(before.label, after.label),
        tiers=tiers,
        partners=len(pids),
        distribution=distribution,
        by_track=by_track,
        transitions=transitions,
        movers=detailed,
        binding=binding_requirements(program=draft, outcome=after, snapshot=snapshot),
        cost={
            before.label: benefit_cost(outcome=before, snapshot=snapshot),
            after.label: benefit_cost(outcome=after, snapshot=snapshot),
        },
        snapshot=snapshot,
    )


# --------------------------------------------------------------------------- sensitivity


@dataclass(frozen=True)
class SensitivityPoint:
    """One value of a threshold: ``by_tier`` the overall distribution (every tier of the
    program, highest first, then :data:`NONE`), ``track`` the tiers met in the track the path
    addresses (``{tier: count}``, empty when the path is not under ``requirements``)."""

    value: Decimal
    by_tier: dict[str, int]
    track: dict[str, int]


def threshold_sensitivity(
    *,
    program: Program,
    snapshot: MetricSnapshot,
    path: str,
    values: Sequence[Decimal],
    base: Outcome | None = None,
) -> list[SensitivityPoint]:
    """The tier counts for each value of the threshold at ``path`` (a curve). Only the rules
    run again — never the metrics — and when the path is under ``requirements.<track>`` only
    the partners enrolled in that track are re-assessed (``base``: ``program``'s outcome on the
    snapshot, computed when not given). Raises :class:`SimulationError` for a bad path or a
    value the language refuses."""
    threshold_get(program, path)  # the path exists and is numeric
    tokens = _path_tokens(path)
    track = str(tokens[1]) if tokens[0] == "requirements" and len(tokens) > 2 else None
    if base is None or base.program is not program:
        base = tiers_assess(program=program, snapshot=snapshot)
    population = snapshot.population(program)
    pids = [row.id for row in population]
    only = [row.id for row in population if track in row.tracks] if track else None
    tiers = (*reversed(program.tier_keys), NONE)
    points = []
    for value in values:
        variant = program_with_threshold(program, path, value)
        outcome = tiers_assess(program=variant, snapshot=snapshot, only=only, base=base)
        per_track: Counter[str] = Counter()
        if track is not None:
            for pid in only or ():
                per_track[(outcome.track_tiers or {}).get(pid, {}).get(track) or NONE] += 1
        points.append(
            SensitivityPoint(
                value=value,
                by_tier=_distribution(outcome, pids, tiers),
                track={t: per_track.get(t, 0) for t in tiers} if track else {},
            )
        )
    return points
