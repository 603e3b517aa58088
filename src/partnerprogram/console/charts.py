"""Server-side SVG charts: geometry computed here, markup in ``console/partials/chart_*.html``.

No JavaScript library: a chart is an ``<svg role="img">`` with a title and a description, and
the page also gives its numbers as a table (screen readers, printing, copying). Pure functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class LinePoint:
    label: str
    value: Decimal | None
    x: float
    y: float | None


@dataclass(frozen=True)
class Tick:
    value: Decimal
    y: float


@dataclass(frozen=True)
class LineChart:
    """A line over ``points`` (gaps where a value is ``None``) on a 0..``y_max`` scale, with an
    optional horizontal ``goal`` line. Coordinates are in the SVG's user units."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: tuple[LinePoint, ...]
    segments: tuple[str, ...]
    ticks: tuple[Tick, ...]
    goal: Decimal | None
    goal_y: float | None
    label_every: int

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom

    @property
    def labelled(self) -> tuple[tuple[LinePoint, str], ...]:
        """``(point, text-anchor)`` of the points labelled under the axis: every
        ``label_every``-th counted back from the last one (so the last month is always named
        and labels never crowd); the first point anchored at its start, the last at its end."""
        last = len(self.points) - 1
        return tuple(
            (p, "start" if i == 0 else "end" if i == last else "middle")
            for i, p in enumerate(self.points)
            if (last - i) % self.label_every == 0
        )


def line_chart(
    values: Sequence[tuple[str, Decimal | None]],
    *,
    y_max: Decimal = Decimal(1),
    goal: Decimal | None = None,
    ticks: int = 5,
    width: int = 720,
    height: int = 240,
    max_labels: int = 8,
) -> LineChart:
    """Lay out ``values`` (``(label, value)``, oldest first) as a line chart. Values above
    ``y_max`` are drawn at the top (clamped)."""
    left, right, top, bottom = 44, 12, 12, 28
    plot_w = width - left - right
    plot_h = height - top - bottom
    n = len(values)
    step = plot_w / (n - 1) if n > 1 else 0.0

    def y_of(value: Decimal) -> float:
        clamped = min(max(value, Decimal(0)), y_max)
        return round(top + plot_h * (1 - float(clamped / y_max)), 2)

    points = tuple(
        LinePoint(
            label=label,
            value=value,
            x=round(left + (i * step if n > 1 else plot_w / 2), 2),
            y=None if value is None else y_of(value),
        )
        for i, (label, value) in enumerate(values)
    )
    segments: list[str] = []
    current: list[str] = []
    for p in points:
        if p.y is None:
            if current:
                segments.append(" ".join(current))
            current = []
        else:
            current.append(f"{p.x},{p.y}")
    if current:
        segments.append(" ".join(current))
    tick_values = tuple(
        Tick(value=y_max * Decimal(i) / Decimal(ticks), y=y_of(y_max * Decimal(i) / Decimal(ticks)))
        for i in range(ticks + 1)
    )
    return LineChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        points=points,
        segments=tuple(segments),
        ticks=tick_values,
        goal=goal,
        goal_y=None if goal is None else y_of(goal),
        label_every=max(1, -(-n // max_labels)),
    )


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    value: int
    fraction: Decimal | None
    y: int
    width: float


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per row, scaled to the largest value."""

    width: int
    height: int
    label_width: int
    bar_height: int
    bars: tuple[Bar, ...]
    total: int

    @property
    def bar_left(self) -> int:
        return self.label_width


def bar_chart(
    items: Sequence[tuple[str, str, int]],
    *,
    width: int = 420,
    label_width: int = 130,
    bar_height: int = 22,
    gap: int = 8,
    value_room: int = 70,
) -> BarChart:
    """Lay out ``items`` (``(key, label, value)``) as horizontal bars. ``fraction`` is each
    value's share of the total (``None`` when the total is 0)."""
    total = sum(v for _k, _l, v in items)
    top = max((v for _k, _l, v in items), default=0)
    room = width - label_width - value_room
    bars = tuple(
        Bar(
            key=key,
            label=label,
            value=value,
            fraction=None if total == 0 else Decimal(value) / Decimal(total),
            y=i * (bar_height + gap),
            width=0.0 if top == 0 else round(room * value / top, 2),
        )
        for i, (key, label, value) in enumerate(items)
    )
    height = max(1, len(items) * (bar_height + gap) - gap)
    return BarChart(
        width=width,
        height=height,
        label_width=label_width,
        bar_height=bar_height,
        bars=bars,
        total=total,
    )
