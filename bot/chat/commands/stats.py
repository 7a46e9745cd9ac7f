"""/stats [WINDOW]: how many SMS came when, from whom, and how fast they were taken.

A picture (a bar chart, `bot.chat.chart`) and a caption that says the same in numbers: the
total, the busiest hour, the top five senders, and, where SMS were taken, the median and
90th-percentile time from arrival to "taken". The window is the last 7 days unless one is
given; bars are hours for a window of up to two days, days beyond, and split by route
label where there are labels.

Hours and days are the display zone's: their bounds are worked out here in UTC, so that
a day across a DST change has its 23 or 25 hours and a zone half an hour off UTC gets
its own hours (`hour_bounds`). Counting runs on a snapshot of the database in a worker
thread, and drawing in a child process (`bot.chat.chart`): the bridge's store and event loop
never wait for a chart, and the bridge never loads matplotlib.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.answers import CAPTION_LIMIT, reply, send_picture
from bot.chat.chart import ChartSpec, render
from bot.chat.commands.registry import ChatCommand, UsageError
from bot.chat.context import bridge_of
from bot.chat.windows import Window, WindowError, parse_window
from bot.text.clock import zone_name
from bot.text.durations import short_duration
from bot.text.formatting import display_phone
from bot.text.i18n import N_, _, number
from state import Store, stats
from state.stats import TakeDelays

STATS_DEFAULT = "7d"
HOURLY_UP_TO = timedelta(days=2)  # longer windows are drawn in days
QUARTER_HOUR = timedelta(minutes=15)  # every zone's offset is a multiple of it
SENDER_WIDTH = 32  # characters of a sender's name in the caption


@dataclass(frozen=True)
class Stats:
    """The figures of one window, counted."""

    window: Window
    bounds: list[datetime]  # UTC: hour i is [bounds[i], bounds[i+1])
    hourly: list[dict[str, int]]  # SMS per hour, by route label ("" = none)
    senders: list[tuple[str, int]]
    delays: TakeDelays | None

    @property
    def total(self) -> int:
        return sum(sum(hour.values()) for hour in self.hourly)


def parse_stats_args(args: list[str], now: datetime, zone: ZoneInfo) -> Window:
    try:
        return parse_window(" ".join(args) or STATS_DEFAULT, now, zone)
    except WindowError as error:
        raise UsageError(str(error)) from None


def hour_bounds(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """`start`, every start of an hour of `zone` between, and `end` (all UTC).

    Walks UTC in quarter hours: a local hour starts where local minutes are 0, whatever
    the offset and whatever DST did that day.
    """
    first = start.astimezone(UTC)
    step = first.replace(minute=first.minute // 15 * 15, second=0, microsecond=0)
    bounds = [first]
    while (step := step + QUARTER_HOUR) < end:
        if step.astimezone(zone).minute == 0:
            bounds.append(step)
    bounds.append(end.astimezone(UTC))
    return bounds


def gather(database: Path, window: Window, visible_to: str | None = None) -> Stats:
    """Count the window's figures on a snapshot of the database (blocking); `visible_to`:
    with routes, the chat whose SMS count."""
    with Store.read_snapshot(database) as snapshot:  # one moment throughout
        bounds = hour_bounds(window.start, window.end, window.zone)
        return Stats(
            window,
            bounds,
            stats.counts(snapshot, bounds, visible_to),
            stats.top_senders(snapshot, window.start, window.end, visible_to=visible_to),
            stats.take_delays(snapshot, window.start, window.end, visible_to),
        )


@dataclass(frozen=True)
class Bars:
    """What the chart's bars are: their tick labels, counts by label, and which of them
    the window cuts (a day that began before it, or is not over)."""

    ticks: list[str]
    counts: list[dict[str, int]]
    partial: list[bool]
    hourly: bool


def bars(figures: Stats) -> Bars:
    """The hours as bars, or the hours summed into the zone's days."""
    zone = figures.window.zone
    start, end = (moment.astimezone(zone) for moment in (figures.window.start, figures.window.end))
    starts = [bound.astimezone(zone) for bound in figures.bounds[:-1]]
    if figures.window.end - figures.window.start <= HOURLY_UP_TO:
        partial = [False] * len(starts)
        partial[0] = partial[0] or start.minute != 0 or start.second != 0
        partial[-1] = partial[-1] or end.minute != 0 or end.second != 0
        return Bars([s.strftime("%H:%M") for s in starts], figures.hourly, partial, True)
    days: dict[str, dict[str, int]] = {}
    for hour_start, hour in zip(starts, figures.hourly, strict=True):
        day = days.setdefault(hour_start.strftime("%d.%m"), {})
        for label, count in hour.items():
            day[label] = day.get(label, 0) + count
    partial = [False] * len(days)
    partial[0] = start.time() != time(0)
    partial[-1] = partial[-1] or end.time() != time(0)
    return Bars(list(days), list(days.values()), partial, False)


def chart_spec(figures: Stats) -> ChartSpec:
    """What the picture shows, in the interface language."""
    drawn = bars(figures)
    labels = sorted({label for bar in drawn.counts for label in bar})
    zone = zone_name(figures.window.zone, figures.window.end)
    per = _("SMS per hour") if drawn.hourly else _("SMS per day")
    return ChartSpec(
        title=f"{per} · {figures.window.description}",
        x_label=(_("hour ({zone})") if drawn.hourly else _("day ({zone})")).format(zone=zone),
        y_label=_("SMS"),
        ticks=drawn.ticks,
        series=[
            (label or _("no route"), [bar.get(label, 0) for bar in drawn.counts])
            for label in labels
        ],
        partial=drawn.partial,
    )


def _busiest(figures: Stats) -> str:
    """The hour with the most SMS, named by its bucket's own bounds: the window cuts the
    first and last hours (a window from 03:10 has 03:10–04:00, not 03:00–04:00)."""
    totals = [sum(hour.values()) for hour in figures.hourly]
    index = max(range(len(totals)), key=lambda i: (totals[i], -i))
    zone = figures.window.zone
    start, end = (bound.astimezone(zone) for bound in figures.bounds[index : index + 2])
    hour = f"{start:%d.%m %H:%M}–{end:%H:%M} {zone_name(zone, start)}"
    return _("busiest hour: {hour}, {n} SMS").format(hour=hour, n=number(totals[index]))


def _by_label(figures: Stats) -> list[str]:
    totals: dict[str, int] = {}
    for hour in figures.hourly:
        for label, count in hour.items():
            totals[label] = totals.get(label, 0) + count
    if set(totals) <= {""}:
        return []
    parts = [f"{label or _('no route')} {number(n)}" for label, n in sorted(totals.items())]
    return [_("by route: {routes}").format(routes=", ".join(parts))]


def _senders(senders: Sequence[tuple[str, int]]) -> list[str]:
    if not senders:
        return []
    lines = [_("top senders:")]
    for rank, (sender, count) in enumerate(senders, start=1):
        name = display_phone(sender)
        name = name if len(name) <= SENDER_WIDTH else name[: SENDER_WIDTH - 1] + "…"
        lines.append(f"{rank}. {name} — {number(count)}")
    return lines


def _delays(delays: TakeDelays | None, total: int) -> list[str]:
    if delays is None:
        return [_("arrival to taken: nobody took any of them")]
    return [
        _("arrival to taken ({n} of {total} taken): median {median}, 90% within {p90}").format(
            n=number(delays.taken),
            total=number(total),
            median=short_duration(delays.median),
            p90=short_duration(delays.p90),
        )
    ]


def stats_caption(figures: Stats) -> str:
    """The chart in numbers: at most Telegram's 1024 characters."""
    lines = [
        _("SMS statistics"),
        figures.window.label(),
        _("total: {n} SMS").format(n=number(figures.total)),
        _busiest(figures),
        *_by_label(figures),
        *_senders(figures.senders),
        *_delays(figures.delays, figures.total),
    ]
    return "\n".join(lines)[:CAPTION_LIMIT]


def nothing_to_chart(window: Window) -> str:
    return _("No SMS in {window}: nothing to chart.").format(window=window.label())


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A chart of the SMS of a window (the last 7 days unless you say), with its figures."""
    bridge = bridge_of(context)
    window = parse_stats_args(list(context.args or []), datetime.now(UTC), bridge.zone)
    assert bridge.store.path is not None, "charts read the database file"
    figures = await asyncio.to_thread(gather, bridge.store.path, window, bridge.visible_to(update))
    if figures.total == 0:
        await reply(update, context, nothing_to_chart(window), html=False)
        return
    png = await render(chart_spec(figures), bridge.store.path.parent / ".matplotlib")
    await send_picture(update, context, png, stats_caption(figures))


COMMANDS = [
    ChatCommand(
        "stats",
        N_("a chart of the SMS of a window, with its figures; the last 7 days unless you say"),
        stats_command,
        args=N_("[WINDOW]"),
        examples=(N_("/stats"), N_("/stats 24h"), N_("/stats 01.11 30.11")),
    ),
]
