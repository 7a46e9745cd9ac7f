"""The /stats picture: a bar chart of SMS per hour or per day, drawn as a PNG.

matplotlib (with numpy under it) costs some 50 MB and a second to load, and the bridge
must stay small, idle or not: a bridge that drew one chart would otherwise carry it for
good (126 MB measured after one /stats, against 72 MB idle). So `render` draws each chart
in a short-lived child process (`python -m bot.chat.chart`: the spec as JSON in, the PNG out),
which imports matplotlib inside `draw_chart` and exits; the bridge never imports it, and
a crash in drawing cannot take the bridge down. matplotlib keeps its font cache in
`MPLCONFIGDIR`, beside the database (a sandboxed service has no writable home), so only
the first chart builds it.

Made to be read on a phone: 1080 x 700 pixels (a phone shows a picture about 1080 wide
when tapped), large type, few tick labels, bars stacked by route label with a legend
only when there are labels, under the x axis in rows of at most three (never over the
title or a bar, however long the labels). Every word on it (title, axes, legend) is given by the
caller, already in the interface language, and the axis names the zone.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import os
import sys
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the bridge never imports matplotlib: see the module docstring
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_PX, HEIGHT_PX, DPI = 1080, 700, 150
MAX_TICK_LABELS = 8
FONT_SIZE = 13  # points at 150 dpi: 27 pixels tall, legible in a chat bubble on a phone
PARTIAL_ALPHA = 0.4  # a bar the window cuts (a day not over yet) is drawn faint
COLOURS = ("#2f6db3", "#e08a1e", "#3a9d5d", "#c0392b", "#7d5ba6", "#8c6d31", "#17a2b8")
MARGIN = 0.1  # inches (15 pixels) left and right of the picture, half that above and below
TITLE_WIDTH = 55  # characters of the title on one line; a longer one is wrapped
LEGEND_COLUMNS = 3  # legend entries per row: three long Russian labels fit 1080 pixels
LEGEND_NAME = 28  # characters of a route label in the legend
RENDER_TIMEOUT = 60.0  # seconds a chart may take, the first one building the font cache
_drawing = threading.Lock()


class ChartFailed(Exception):
    """The child process drawing a chart failed or took too long."""


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
    with _drawing, matplotlib.rc_context({"font.size": FONT_SIZE}):
        figure = build_figure(spec)
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()


def build_figure(spec: ChartSpec) -> Figure:
    """The chart as a matplotlib Figure, laid out (call with matplotlib imported and the
    font size set, as `draw_chart` does; tests measure what is drawn where on it).

    The layout is "constrained": matplotlib itself makes room for the title, the axis
    labels and the legend, so none is drawn over another whatever the language.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from matplotlib.ticker import MaxNLocator

    layout = ConstrainedLayoutEngine(w_pad=MARGIN, h_pad=MARGIN / 2)
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout=layout)
    FigureCanvasAgg(figure)  # draws PNGs, and tells a test where each word ends up
    axes = figure.add_subplot()
    _draw_bars(axes, spec)
    positions = list(range(len(spec.ticks)))
    step = tick_step(len(positions))
    axes.set_xticks(positions[::step], [spec.ticks[i] for i in positions[::step]])
    axes.set_xlim(-0.6, len(positions) - 0.4)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # no "2.5 SMS"
    title = textwrap.fill(spec.title, TITLE_WIDTH)
    axes.set_title(title, fontsize=FONT_SIZE + 1, fontweight="bold", loc="left")
    axes.set_xlabel(spec.x_label)
    axes.set_ylabel(spec.y_label)
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    if len(spec.series) > 1:
        _legend(figure, axes)
    figure.draw_without_rendering()  # runs the layout, so that what is measured is final
    return figure


def _draw_bars(axes: Axes, spec: ChartSpec) -> None:
    """The series stacked, each in its colour; the bars the window cuts faint."""
    positions = list(range(len(spec.ticks)))
    bottom = [0] * len(positions)
    partial = list(spec.partial) or [False] * len(positions)
    for index, (name, values) in enumerate(spec.series):
        bars = axes.bar(
            positions,
            values,
            bottom=bottom,
            width=0.85,
            label=_legend_name(name),
            color=COLOURS[index % len(COLOURS)],
        )
        for bar, cut in zip(bars, partial, strict=True):
            bar.set_alpha(PARTIAL_ALPHA if cut else 1.0)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]


def _legend_name(name: str) -> str:
    """A route label short enough for a legend column (a label may have 64 characters)."""
    return name if len(name) <= LEGEND_NAME else name[: LEGEND_NAME - 1] + "…"


def _legend(figure: Figure, axes: Axes) -> None:
    """The legend under the x axis, in rows of at most LEGEND_COLUMNS: on a line of its
    own, never over the title (a one-row legend beside it collided with a long Russian
    title) nor over a bar, however many labels and however long."""
    handles, names = axes.get_legend_handles_labels()
    legend = figure.legend(
        handles,
        names,
        loc="outside lower center",
        ncols=min(LEGEND_COLUMNS, len(names)),
        frameon=False,
        fontsize=FONT_SIZE - 2,
        handlelength=1.0,
        columnspacing=1.5,
    )
    for handle in legend.legend_handles:  # full colour, whatever the first bar
        if handle is not None:
            handle.set_alpha(1.0)


async def render(spec: ChartSpec, cache: Path) -> bytes:
    """Draw `spec` in a child process (see the module docstring); raises ChartFailed.

    `cache` is matplotlib's configuration and font-cache folder.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.chat.chart",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "MPLCONFIGDIR": str(cache)},
    )
    try:
        png, errors = await asyncio.wait_for(
            process.communicate(json.dumps(asdict(spec)).encode("utf-8")), RENDER_TIMEOUT
        )
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ChartFailed(f"drawing took longer than {RENDER_TIMEOUT:g} s") from None
    if process.returncode != 0 or not png:
        last = errors.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ChartFailed(f"exit {process.returncode}: {last[0]}")
    return png


def _main() -> None:
    """`python -m bot.chat.chart`: a ChartSpec as JSON on standard input, the PNG on output."""
    spec = ChartSpec(**json.load(sys.stdin))
    sys.stdout.buffer.write(draw_chart(spec))


if __name__ == "__main__":
    _main()
