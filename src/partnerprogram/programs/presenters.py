"""Shapes of evaluation results for output (JSON, CSV, tables); no business rule here."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from partnerprogram.programs import rules
from partnerprogram.programs.engine import Evaluation, PartnerRow


def _num(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _leaves(node: rules.NodeResult | None) -> Iterator[rules.CheckResult | rules.ScoreResult]:
    if node is None:
        return
    if isinstance(node, rules.LogicResult):
        for child in node.children:
            yield from _leaves(child)
    else:
        yield node


def requirement_rows(result: rules.Assessment) -> list[dict[str, Any]]:
    """Every requirement leaf of every offered tier of every enrolled track, flat:
    ``{track, tier, path, metric, value, threshold, comparator, met}``; a score appears as one
    row with ``metric`` ``"score"``, ``value`` the total points and ``threshold`` its minimum.
    Values of money metrics are in the program currency; fractions as fractions."""
    rows: list[dict[str, Any]] = []
    for track, track_result in result.tracks.items():
        for tier_result in track_result.tiers:
            if not tier_result.offered:
                continue
            for leaf in _leaves(tier_result.requirement):
                if isinstance(leaf, rules.ScoreResult):
                    rows.append(
                        {
                            "track": track,
                            "tier": tier_result.tier,
                            "path": leaf.path,
                            "metric": "score",
                            "value": _num(leaf.total),
                            "threshold": _num(leaf.threshold),
                            "comparator": "at_least",
                            "met": leaf.met,
                            "components": [
                                {
                                    "metric": c.metric,
                                    "value": _num(c.value),
                                    "points": _num(c.points),
                                    "max_points": _num(c.max_points),
                                }
                                for c in leaf.components
                            ],
                        }
                    )
                else:
                    rows.append(
                        {
                            "track": track,
                            "tier": tier_result.tier,
                            "path": leaf.path,
                            "metric": leaf.metric,
                            "value": _num(leaf.value),
                            "threshold": _num(leaf.threshold),
                            "comparator": leaf.comparator,
                            "met": leaf.met,
                        }
                    )
    return rows


def next_tier_json(result: rules.Assessment) -> dict[str, Any] | None:
    """``{tier, track, missing: [{metric, value, threshold, missing, text: {en, fr}}]}`` or
    ``None`` at the top tier."""
    gap = result.next_tier
    if gap is None:
        return None
    return {
        "tier": gap.to_tier,
        "track": gap.track,
        "met": gap.met,
        "summary": gap.summary.to_dict(),
        "missing": [
            {
                "kind": s.kind,
                "metric": s.metric,
                "value": _num(s.value),
                "threshold": _num(s.threshold),
                "missing": _num(s.missing),
                "text": s.text.to_dict(),
            }
            for s in gap.shortfalls
        ],
    }


def partner_json(row: PartnerRow, result: rules.Assessment) -> dict[str, Any]:
    """One partner's entry of the ``evaluate`` JSON."""
    return {
        "external_id": row.external_id,
        "name": row.name,
        "tracks": list(row.tracks),
        "tier": result.tier,
        "qualified_tier": result.qualified_tier,
        "previous_tier": row.previous_tier or None,
        "grandfathered": result.grandfathered,
        "track_tiers": {t: r.qualified_tier for t, r in result.tracks.items()},
        "requirements": requirement_rows(result),
        "next_tier": next_tier_json(result),
    }


def evaluation_json(evaluation: Evaluation) -> dict[str, Any]:
    """The whole ``evaluate --format json`` document."""
    return {
        "program": evaluation.program.program,
        "version": evaluation.program.version,
        "as_of": evaluation.as_of.isoformat(),
        "known_at": evaluation.known_at.isoformat() if evaluation.known_at else None,
        "currency": evaluation.program.currency,
        "run": evaluation.run.pk if evaluation.run else None,
        "summary": evaluation.summary,
        "partners": [partner_json(row, result) for row, result in evaluation.results],
    }


CSV_HEADER = [
    "external_id",
    "name",
    "tracks",
    "previous_tier",
    "qualified_tier",
    "tier",
    "grandfathered",
    "next_tier",
    "gap",
]


def evaluation_rows(evaluation: Evaluation, *, lang: str = "en") -> list[list[Any]]:
    """One row per partner for CSV and tables (columns ``CSV_HEADER``)."""
    out = []
    for row, result in evaluation.results:
        gap = result.next_tier
        out.append(
            [
                row.external_id,
                row.name,
                " ".join(row.tracks),
                row.previous_tier,
                result.qualified_tier or "",
                result.tier or "",
                "yes" if result.grandfathered else "",
                gap.to_tier if gap else "",
                "; ".join(s.text.get(lang) for s in gap.shortfalls) if gap else "",
            ]
        )
    return out
