"""The /stats picture: a bar chart of SMS per hour or per day, drawn as a PNG.

matplotlib (with numpy under it) costs some 50 MB and a second to load, and the bridge
must stay small, idle or not: a bridge that drew one chart would otherwise carry it for
good (126 MB measured after one /stats, against 72 MB idle). So `render` draws each chart
in a short-lived child process (`python -m bot.chat.chart`: the spec as JSON in, the PNG out),
which imports matplotlib inside `draw_chart` and exits; the bridge never imports it, and
a crash in drawing cannot take the bridge down. matplotlib keeps its font cache in
`MPLCONFIGDIR`, beside the database (a sandboxed service has no writable home), so only
the first chart builds it.

Made to be read in a chat, not tapped open: a phone shows the picture about 300 pixels
wide in its bubble, so every word on it must be about as large as the chat's own text
there, some 14 of those 300 pixels. The picture is 1080 pixels wide, so its type is some
50 pixels tall (24 points at 150 dpi): few words, then. The title says what is counted
and in which zone, the line under it the window; a total stands on each bar when every
total fits its bar (then no y axis: it would say the same again), else a y axis with a
few round numbers; a bar gets a label under it only where the label has room
(`spaced`), and the caller says which labels to offer. Bars are stacked by route label,
with a legend under the x axis, in as many columns as fit (never over the title or a
bar, however long the labels). Every word on it is given by the caller, already in the
interface language.
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

WIDTH_PX, HEIGHT_PX, DPI = 1080, 900, 150
PHONE_PX = 300  # how wide a phone shows the picture in a chat bubble
CHAT_TEXT_PX = 14  # how tall the chat's own text is there
FONT_SIZE = round(CHAT_TEXT_PX * WIDTH_PX / PHONE_PX * 72 / DPI)  # 24 points: 50 pixels
TITLE_SIZE = 26
LEGEND_SIZE = 20
PARTIAL_ALPHA = 0.4  # a bar the window cuts (a day not over yet) is drawn faint
COLOURS = ("#2f6db3", "#e08a1e", "#3a9d5d", "#c0392b", "#7d5ba6", "#8c6d31", "#17a2b8")
MARGIN = 0.1  # inches (15 pixels) left and right of the picture, half that above and below
TITLE_WIDTH = 36  # characters of a title line at TITLE_SIZE; a longer one is wrapped
LEGEND_COLUMNS = 3  # at most, when the names are short enough
LEGEND_NAME = 24  # characters of a route label in the legend
TICK_PAD = 6  # points between the x axis and the labels under it
Y_TICKS = 3  # round numbers on the y axis, when there is one
RENDER_TIMEOUT = 60.0  # seconds a chart may take, the first one building the font cache
_drawing = threading.Lock()

# Widths for laying out labels before anything is drawn, in ems of the type (DejaVu Sans,
# matplotlib's own font: a digit is 0.64 em wide, a letter about 0.6, a dot or colon 0.34).
_NARROW = frozenset(".,:; ")
GAP_EM = 0.4  # at least this much between two labels
_PLOT_PX = WIDTH_PX - 40  # the bars' room: the picture less its margins
_PLOT_PX_WITH_AXIS = WIDTH_PX - 150  # ... and less the y axis's numbers


class ChartFailed(Exception):
    """The child process drawing a chart failed or took too long."""


@dataclass(frozen=True)
class ChartSpec:
    """What to draw, every word already in the reader's language."""

    title: str  # what is counted and the zone: "SMS per day, MSK"
    subtitle: str  # the window: "the last 7 days"
    ticks: Sequence[str]  # one per bar: its label, "" for none (see `spaced`)
    series: Sequence[tuple[str, Sequence[int]]]  # (legend name, count per bar), stacked
    partial: Sequence[bool] = ()  # per bar: the window covers only part of its hour or day
    totals: Sequence[str] = ()  # per bar: the number on its top; none: a y axis instead


def text_em(text: str) -> float:
    """How wide a line of text is, in ems (an estimate that errs wide)."""
    return sum(_char_em(ch) for ch in text)


def _char_em(ch: str) -> float:
    if ch in _NARROW:
        return 0.34
    if ch.isdigit():
        return 0.64
    return 0.75 if ch.isupper() else 0.6


def bar_pitch_em(bars: int, axis: bool = False) -> float:
    """How far apart two bars stand, in ems of FONT_SIZE."""
    room = _PLOT_PX_WITH_AXIS if axis else _PLOT_PX
    return room / max(bars, 1) / (FONT_SIZE * DPI / 72)


def totals_fit(totals: Sequence[str]) -> bool:
    """Whether every total fits over its bar without touching its neighbours'."""
    pitch = bar_pitch_em(len(totals))
    return all(text_em(total) + GAP_EM <= pitch for total in totals)


def spaced(offered: Sequence[str], first: int | None = None, axis: bool = False) -> list[str]:
    """The labels that can be drawn under the bars without touching: `offered` has one
    per bar ("" for none); the one at `first` is kept whatever, then the others from
    the left, each only where it has room beside those kept (only a label's first line
    counts: a second line stands under its neighbours' labels, not beside them)."""
    pitch = bar_pitch_em(len(offered), axis)
    order = [i for i, text in enumerate(offered) if text]
    if first is not None and offered[first]:
        order.remove(first)
        order.insert(0, first)
    kept: list[int] = []

    def half(i: int) -> float:
        return text_em(offered[i].split("\n")[0]) / 2

    for i in order:
        if all(abs(i - k) * pitch >= half(i) + half(k) + GAP_EM for k in kept):
            kept.append(i)
    return [text if i in kept else "" for i, text in enumerate(offered)]


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

    The layout is "constrained": matplotlib itself makes room for the title, the labels
    and the legend, so none is drawn over another whatever the language.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from matplotlib.ticker import MaxNLocator

    layout = ConstrainedLayoutEngine(w_pad=MARGIN, h_pad=MARGIN / 2)
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout=layout)
    FigureCanvasAgg(figure)  # draws PNGs, and tells a test where each word ends up
    axes = figure.add_subplot()
    tops = _draw_bars(axes, spec)
    _label_bars(axes, spec.ticks)
    axes.set_xlim(-0.6, len(spec.ticks) - 0.4)
    title = textwrap.fill(spec.title, TITLE_WIDTH)
    heading = figure.suptitle(title, ha="left", fontsize=TITLE_SIZE, fontweight="bold")
    axes.set_title(textwrap.fill(spec.subtitle, TITLE_WIDTH), loc="left", pad=16)
    axes.spines[["top", "right"]].set_visible(False)
    if any(spec.totals):
        _write_totals(axes, spec, tops)
    else:
        axes.yaxis.set_major_locator(MaxNLocator(nbins=Y_TICKS, integer=True))  # no "2.5"
        axes.grid(axis="y", alpha=0.3)
    if len(spec.series) > 1:
        _legend(figure, axes)
    figure.draw_without_rendering()  # runs the layout, so that what is measured is final
    heading.set_x(axes.get_position().x0)  # flush with the line under it
    return figure


def _label_bars(axes: Axes, ticks: Sequence[str]) -> None:
    """Each label under its bar; a second line ("so far") under the first, so that the
    first lines stand in one row."""
    labelled = [i for i, text in enumerate(ticks) if text]
    axes.set_xticks(labelled, [ticks[i].partition("\n")[0] for i in labelled])
    axes.tick_params(axis="x", length=0, pad=TICK_PAD)
    for i in labelled:
        if more := ticks[i].partition("\n")[2]:
            axes.annotate(
                more,
                (i, 0),
                xycoords=("data", "axes fraction"),
                xytext=(0, -TICK_PAD - FONT_SIZE * 1.2),
                textcoords="offset points",
                ha="center",
                va="top",
            )


def _draw_bars(axes: Axes, spec: ChartSpec) -> list[int]:
    """The series stacked, each in its colour; the bars the window cuts faint. Returns
    each bar's height."""
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
    return bottom


def _write_totals(axes: Axes, spec: ChartSpec, tops: Sequence[int]) -> None:
    """Each bar's total on its top, and no y axis: the totals say what it would."""
    for position, (total, top) in enumerate(zip(spec.totals, tops, strict=True)):
        if total:
            axes.annotate(
                total,
                (position, top),
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontweight="bold",
            )
    axes.set_ylim(0, max(max(tops, default=0), 1) * 1.15)  # room for the highest total
    axes.set_yticks([])
    axes.spines["left"].set_visible(False)


def _legend_name(name: str) -> str:
    """A route label short enough for a legend column (a label may have 64 characters)."""
    return name if len(name) <= LEGEND_NAME else name[: LEGEND_NAME - 1] + "…"


def _legend(figure: Figure, axes: Axes) -> None:
    """The legend under the x axis, in rows of as many entries as fit the width: on a line
    of its own, never over the title (a one-row legend beside it collided with a long
    Russian title) nor over a bar, however many labels and however long."""
    handles, names = axes.get_legend_handles_labels()
    widest = max(text_em(name) for name in names) + 2.5  # the colour patch and a gap
    room = (WIDTH_PX - 30) / (widest * LEGEND_SIZE * DPI / 72)
    legend = figure.legend(
        handles,
        names,
        loc="outside lower center",
        ncols=max(1, min(LEGEND_COLUMNS, len(names), math.floor(room))),
        frameon=False,
        fontsize=LEGEND_SIZE,
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
