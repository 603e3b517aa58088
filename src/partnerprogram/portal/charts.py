"""A tiny server-side SVG bar chart (grouped bars, negative values allowed), no JavaScript.

The SVG scales to its container (``viewBox``), has a title and a description for assistive
technology, and a ``<title>`` tooltip on every bar; pages show the same figures in a table.
Every text is escaped; coordinates are plain numbers (never localized).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

#: Bar colours with at least 4.5:1 contrast on white.
PALETTE = ("#0b5cad", "#5b2a86", "#1c6b3a", "#8a5300")
_ids = count(1)


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Decimal]


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 or 10 times a power of ten that is >= ``value`` (> 0)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover


def _n(value: float) -> str:
    return f"{value:.1f}"


def bar_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    format_value: Callable[[Decimal], str],
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """Grouped bars: one group per category, one bar per series, a legend, a y axis with three
    gridlines labelled with ``format_value``."""
    uid = f"chart-{next(_ids)}"
    left, right, top, bottom = 84, 8, 28, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(v) for s in series for v in s.values]
    high = nice_ceiling(max([v for v in values if v > 0], default=0))
    low = -nice_ceiling(-min(values)) if values and min(values) < 0 else 0.0
    span = high - low

    def y(value: float) -> float:
        return top + plot_h * (high - value) / span

    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">'
        + escape(
            "; ".join(
                f"{s.label}: "
                + ", ".join(
                    f"{c} {format_value(v)}" for c, v in zip(categories, s.values, strict=False)
                )
                for s in series
            )
        )
        + "</desc>",
    ]
    for i in range(3):
        tick = low + span * i / 2
        ty = y(tick)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_n(ty)}" y2="{_n(ty)}" '
            f'stroke="#d5dbe3" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{_n(ty + 4)}" text-anchor="end">'
            f"{escape(format_value(Decimal(str(tick))))}</text>"
        )
    zero = y(0.0)
    groups = max(1, len(categories))
    group_w = plot_w / groups
    bar_w = group_w * 0.8 / max(1, len(series))
    for ci, category in enumerate(categories):
        x0 = left + ci * group_w + group_w * 0.1
        for si, s in enumerate(series):
            value = s.values[ci] if ci < len(s.values) else Decimal(0)
            v = float(value)
            y_top, y_bottom = (y(v), zero) if v >= 0 else (zero, y(v))
            out.append(
                f'<rect x="{_n(x0 + si * bar_w)}" y="{_n(y_top)}" width="{_n(bar_w * 0.92)}" '
                f'height="{_n(max(0.0, y_bottom - y_top))}" fill="{PALETTE[si % len(PALETTE)]}">'
                f"<title>{escape(f'{category} · {s.label}: {format_value(value)}')}</title></rect>"
            )
        out.append(
            f'<text x="{_n(left + ci * group_w + group_w / 2)}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{escape(category)}</text>'
        )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{_n(zero)}" y2="{_n(zero)}" '
        f'stroke="#4d5868" stroke-width="1"/>'
    )
    x = left
    for si, s in enumerate(series):
        out.append(
            f'<rect x="{x}" y="8" width="12" height="12" fill="{PALETTE[si % len(PALETTE)]}"/>'
            f'<text x="{x + 16}" y="18">{escape(s.label)}</text>'
        )
        x += 24 + 7 * len(s.label)
    out.append("</svg>")
    return mark_safe("".join(out))
