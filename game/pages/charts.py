"""Bar charts drawn on the server as SVG: geometry here, markup in
``templates/includes/bar_chart.html``.

No JavaScript and no charting library: the chart is a picture of numbers that the page
also gives as a table, which is the accessible source (the SVG is labelled and says
so). Labels are plain strings; the template escapes them like any other text.
"""

from dataclasses import dataclass

from core.charts import nice_ceiling

# The drawing's own coordinate system; the SVG scales to the width of its container.
WIDTH = 480
HEIGHT = 220
LEFT = 36  # room for the value axis
BOTTOM = 40  # room for the category labels (two lines)
TOP = 12
GAP = 0.25  # share of each slot left empty between bars


@dataclass(frozen=True)
class Bar:
    label: str  # the full label, in the bar's tooltip: "Mar 2026"
    value: int
    x: float
    y: float
    width: float
    height: float
    axis: str  # under the bar: "Mar"
    axis_sub: str  # a second line, or "": "2026"

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    bars: list[Bar]
    ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM
    label_y: float = HEIGHT - BOTTOM + 17
    sub_y: float = HEIGHT - BOTTOM + 34
    show_every: int = 1  # label every n-th bar when there are many

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def bar_chart(
    *,
    id: str,
    title: str,
    points: list[tuple[str, int]],
    axis: list[tuple[str, str]] | None = None,
    unit: str = "XP",
) -> BarChart:
    """A vertical bar chart of ``points`` (label, value ≥ 0) in their order.

    ``axis`` gives each bar a shorter label under it, on one or two lines (default: the
    label itself, on one line).
    """
    axis = axis or [(label, "") for label, _ in points]
    top = nice_ceiling(max((value for _, value in points), default=0))
    plot_height = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(points), 1)
    bars = []
    for n, (label, value) in enumerate(points):
        height = plot_height * max(value, 0) / top
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(LEFT + n * slot + slot * GAP / 2, 1),
                y=round(HEIGHT - BOTTOM - height, 1),
                width=round(slot * (1 - GAP), 1),
                height=round(height, 1),
                axis=axis[n][0],
                axis_sub=axis[n][1],
            )
        )
    # 0, the top, and the middle when it is a whole number.
    values = [0, top // 2, top] if top % 2 == 0 else [0, top]
    ticks = [Tick(value=v, y=round(HEIGHT - BOTTOM - plot_height * v / top, 1)) for v in values]
    if points:
        peak_label, peak = max(points, key=lambda point: point[1])
        description = (
            f"{len(points)} bars; the highest is {peak_label} with {peak} {unit}. "
            "The table below gives every number."
        )
    else:
        description = "No data. The table below gives every number."
    return BarChart(
        id=id,
        title=title,
        description=description,
        bars=bars,
        ticks=ticks,
        show_every=max(1, -(-len(points) // 12)),
    )
