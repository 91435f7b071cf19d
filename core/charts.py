"""Time-series line charts drawn on the server as SVG: geometry here, markup in
``templates/ops/line_chart.html``.

No JavaScript and no charting library: the chart is a picture of numbers the page also
gives as a table, which is the accessible source (the SVG is labelled and says so).
Hours or days without a value are gaps in the line, not a straight line across them:
a monitor that did not run must be visible as such.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

# The drawing's own coordinate system; the SVG scales to the width of its container.
WIDTH = 640
HEIGHT = 200
LEFT = 44  # room for the value axis
RIGHT = 12
TOP = 12
BOTTOM = 28  # room for the time labels


@dataclass(frozen=True)
class Tick:
    label: str
    at: float  # x for a time tick, y for a value tick


@dataclass(frozen=True)
class Rule:
    """A horizontal line across the plot: a threshold."""

    label: str
    y: float


@dataclass(frozen=True)
class LineChart:
    id: str
    title: str
    description: str
    path: str  # SVG path data: one "M … L …" run per stretch of consecutive points
    dots: list[tuple[float, float]]  # points with no neighbour, invisible as a line
    points: int
    value_ticks: list[Tick]
    time_ticks: list[Tick]
    rules: list[Rule]
    stroke: str = "#0d6efd"
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    baseline: int = HEIGHT - BOTTOM
    label_y: int = HEIGHT - BOTTOM + 18

    @property
    def empty(self) -> bool:
        return self.points == 0


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def time_chart(
    *,
    id: str,
    title: str,
    summary: str,
    points: Sequence[tuple[datetime, float]],
    start: datetime,
    end: datetime,
    step: timedelta,
    top: float | None = None,
    rules: tuple[tuple[float, str], ...] = (),
    stroke: str = "#0d6efd",
) -> LineChart:
    """A line through ``points`` (the start of each hour or day, its value), oldest first,
    over the time from ``start`` to ``end``; each point sits in the middle of its step.

    ``top`` is the value at the top of the plot (default: a round number above the
    highest value); ``rules`` are threshold lines (value, label). ``summary`` opens the
    SVG's description, which then says that the table gives every number.
    """
    top = top if top is not None else nice_ceiling(max((v for _, v in points), default=0))
    plot_width = WIDTH - RIGHT - LEFT
    plot_height = HEIGHT - BOTTOM - TOP
    span = (end - start).total_seconds() or 1

    def x(moment: datetime) -> float:
        share = (moment + step / 2 - start).total_seconds() / span
        return round(LEFT + plot_width * min(max(share, 0), 1), 1)

    def y(value: float) -> float:
        share = min(max(value / top, 0), 1)
        return round(TOP + plot_height * (1 - share), 1)

    runs: list[list[tuple[float, float]]] = []
    previous = None
    for moment, value in points:
        # A missing hour or day starts a new run: the line has a gap there. (Half a step
        # of slack: a day is 23 or 25 hours when the clocks change.)
        if previous is None or moment - previous > step * 1.5:
            runs.append([])
        runs[-1].append((x(moment), y(value)))
        previous = moment
    path = " ".join(
        "M " + " L ".join(f"{px},{py}" for px, py in run) for run in runs if len(run) > 1
    )
    dots = [run[0] for run in runs if len(run) == 1]
    values = [0, top / 2, top]
    value_ticks = [Tick(_number(v), y(v)) for v in values]
    return LineChart(
        id=id,
        title=title,
        description=f"{summary} The table below gives every number.",
        path=path,
        dots=dots,
        points=len(points),
        value_ticks=value_ticks,
        time_ticks=_time_ticks(start, end, x, step),
        rules=[Rule(label, y(value)) for value, label in rules],
        stroke=stroke,
    )


def _time_ticks(start: datetime, end: datetime, x, step: timedelta) -> list[Tick]:
    """Midnights along the time axis: every day over a week, every seventh beyond."""
    every = 1 if (end - start) <= timedelta(days=7) else 7
    label = "%a %d" if every == 1 else "%d %b"
    local_start = timezone.localtime(start)
    midnight = local_start.replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight < local_start:
        midnight += timedelta(days=1)
    ticks = []
    n = 0
    while midnight <= end:
        if n % every == 0:
            # x() centres a point in its step; a tick marks the boundary itself.
            ticks.append(Tick(midnight.strftime(label), x(midnight - step / 2)))
        midnight = timezone.localtime(midnight + timedelta(days=1)).replace(hour=0)
        n += 1
    return ticks
