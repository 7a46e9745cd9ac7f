"""The /stats picture: a bar chart of SMS per hour or per day, drawn as a PNG.

matplotlib (with numpy under it) costs some 40 MB and a second to load, and an idle bridge
must stay small: it is imported here, inside `draw_chart`, the first time a chart is
asked for, never at start. Drawing is CPU work, so the caller runs it in a worker thread;
the Figure API (not pyplot, whose state is global) and a lock keep two charts drawn at
once apart.

Made to be read on a phone: 1080 x 700 pixels (a phone shows a picture about 1080 wide
when tapped), large type, few tick labels, bars stacked by route label with a legend
only when there are labels. Every word on it (title, axes, legend) is given by the
caller, already in the interface language, and the axis names the zone.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH_PX, HEIGHT_PX, DPI = 1080, 700, 150
MAX_TICK_LABELS = 8
FONT_SIZE = 13  # points at 150 dpi: 27 pixels tall, legible in a chat bubble on a phone
PARTIAL_ALPHA = 0.4  # a bar the window cuts (a day not over yet) is drawn faint
COLOURS = ("#2f6db3", "#e08a1e", "#3a9d5d", "#c0392b", "#7d5ba6", "#8c6d31", "#17a2b8")
_drawing = threading.Lock()


@dataclass(frozen=True)
class ChartSpec:
    """What to draw, every word already in the reader's language."""

    title: str
    x_label: str  # names the zone: "hour (MSK)", "day (MSK)"
    y_label: str
    ticks: Sequence[str]  # one per bar
    series: Sequence[tuple[str, Sequence[int]]]  # (legend name, count per bar), stacked
    partial: Sequence[bool] = ()  # per bar: the window covers only part of its hour or day


def tick_step(bars: int, most: int = MAX_TICK_LABELS) -> int:
    """Label every n-th bar so that at most `most` labels show."""
    return max(1, math.ceil(bars / most))


def draw_chart(spec: ChartSpec) -> bytes:
    """The chart as PNG bytes (blocking: call it in a worker thread)."""
    import matplotlib  # here, not at start: see the module docstring

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with _drawing, matplotlib.rc_context({"font.size": FONT_SIZE}):
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
        axes = figure.add_subplot()
        positions = list(range(len(spec.ticks)))
        bottom = [0] * len(positions)
        partial = list(spec.partial) or [False] * len(positions)
        for index, (name, values) in enumerate(spec.series):
            bars = axes.bar(
                positions,
                values,
                bottom=bottom,
                width=0.85,
                label=name,
                color=COLOURS[index % len(COLOURS)],
            )
            for bar, cut in zip(bars, partial, strict=True):
                bar.set_alpha(PARTIAL_ALPHA if cut else 1.0)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        step = tick_step(len(positions))
        axes.set_xticks(positions[::step], [spec.ticks[i] for i in positions[::step]])
        axes.set_xlim(-0.6, len(positions) - 0.4)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # no "2.5 SMS"
        axes.set_title(spec.title, fontsize=FONT_SIZE + 1, fontweight="bold", loc="left")
        axes.set_xlabel(spec.x_label)
        axes.set_ylabel(spec.y_label)
        axes.grid(axis="y", alpha=0.3)
        axes.spines[["top", "right"]].set_visible(False)
        if len(spec.series) > 1:  # above the bars, right of the title: never over a bar
            legend = axes.legend(
                frameon=False,
                loc="lower right",
                bbox_to_anchor=(1.0, 1.0),
                ncols=len(spec.series),
                fontsize=FONT_SIZE - 2,
                handlelength=1.0,
                columnspacing=1.0,
            )
            for handle in legend.legend_handles:  # full colour, whatever the first bar
                if handle is not None:
                    handle.set_alpha(1.0)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()
