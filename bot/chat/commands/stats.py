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
import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.answers import CAPTION_LIMIT, reply, send_picture
from bot.chat.chart import GAP_EM, ChartSpec, bar_pitch_em, render, spaced, text_em, totals_fit
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
MAX_SERIES = 6  # route labels a chart tells apart; the rest are drawn as one
SENDER_WIDTH = 32  # characters of a sender's name in the caption


@dataclass(frozen=True)
class Stats:
    """The figures of one window, counted."""

    window: Window
    bounds: list[datetime]  # UTC: hour i is [bounds[i], bounds[i+1])
    hourly: list[dict[str, int]]  # SMS per hour, by route label ("" = none)
    senders: list[tuple[str, int]]
    delays: TakeDelays | None
    now: datetime | None = None  # when counted; None: at the window's end

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


def gather(
    database: Path, window: Window, visible_to: str | None = None, now: datetime | None = None
) -> Stats:
    """Count the window's figures on a snapshot of the database (blocking); `visible_to`:
    with routes, the chat whose SMS count; `now`: the moment they are counted at."""
    with Store.read_snapshot(database) as snapshot:  # one moment throughout
        bounds = hour_bounds(window.start, window.end, window.zone)
        return Stats(
            window,
            bounds,
            stats.counts(snapshot, bounds, visible_to),
            stats.top_senders(snapshot, window.start, window.end, visible_to=visible_to),
            stats.take_delays(snapshot, window.start, window.end, visible_to),
            now,
        )


@dataclass(frozen=True)
class Bars:
    """What the chart's bars are: their names, counts by label, which of them the window
    cuts (a day that began before it, or is not over), and which one is still going on."""

    ticks: list[str]  # each bar's name: "03:00", "21.11"
    counts: list[dict[str, int]]
    partial: list[bool]
    hourly: bool
    starts: list[datetime]  # each bar's start in the zone (the window's start for the first)
    in_progress: int | None = None  # the bar whose hour or day is not over at `now`
    future: int | None = None  # the first bar that starts after `now`, if any


def bars(figures: Stats) -> Bars:
    """The hours as bars, or the hours summed into the zone's days."""
    zone = figures.window.zone
    start, end = (moment.astimezone(zone) for moment in (figures.window.start, figures.window.end))
    now = (figures.now or figures.window.end).astimezone(zone)
    starts = [bound.astimezone(zone) for bound in figures.bounds[:-1]]
    if figures.window.end - figures.window.start <= HOURLY_UP_TO:
        partial = [False] * len(starts)
        partial[0] = partial[0] or start.minute != 0 or start.second != 0
        partial[-1] = partial[-1] or end.minute != 0 or end.second != 0
        names = [s.strftime("%H:%M") for s in starts]
        return _timed(Bars(names, figures.hourly, partial, True, starts), end, now)
    days: dict[date, dict[str, int]] = {}  # by date: 28.11 of two years are two days
    day_starts: list[datetime] = []
    for hour_start, hour in zip(starts, figures.hourly, strict=True):
        if hour_start.date() not in days:
            day_starts.append(hour_start)
        day = days.setdefault(hour_start.date(), {})
        for label, count in hour.items():
            day[label] = day.get(label, 0) + count
    partial = [False] * len(days)
    partial[0] = start.time() != time(0)
    partial[-1] = partial[-1] or end.time() != time(0)
    names = [day.strftime("%d.%m") for day in days]
    return _timed(Bars(names, list(days.values()), partial, False, day_starts), end, now)


def _timed(drawn: Bars, end: datetime, now: datetime) -> Bars:
    """`drawn` with the bar that `now` falls in (its hour or day not over yet) and the
    first bar that starts after it (a window of dates that runs past today)."""
    starts = drawn.starts
    later = [i for i, start in enumerate(starts) if start > now]
    future = later[0] if later else None
    if starts[0] <= now < end:
        current: int | None = bisect_right(starts, now) - 1
    elif now == end and drawn.partial[-1]:  # the window ends now, within an hour or day
        current = len(starts) - 1
    else:
        current = None
    return replace(drawn, in_progress=current, future=future)


def _tick_offers(drawn: Bars, axis: bool) -> list[str]:
    """The labels offered under the bars: round hours every few hours (every 1, 2, 3, 4,
    6 or 12, as many as have room), or days, the first and a new month's first with their
    month; the bar in progress with a second line saying so."""
    count = len(drawn.ticks)
    pitch = bar_pitch_em(count, axis)
    if drawn.hourly:
        width = text_em("00:00") + GAP_EM
        step = next((s for s in (1, 2, 3, 4, 6, 12) if s * pitch >= width), 24)
        offers = [
            name if start.minute == 0 and start.hour % step == 0 else ""
            for name, start in zip(drawn.ticks, drawn.starts, strict=True)
        ]
    else:
        step = max(1, math.ceil((text_em("00") + GAP_EM) / pitch))
        step = step if step <= 2 else math.ceil(step / 7) * 7  # then whole weeks
        last = count - 1
        offers = []
        month = ""
        for i, start in enumerate(drawn.starts):
            if (last - i) % step:
                offers.append("")
                continue
            offers.append(start.strftime("%d") if start.strftime("%m") == month else drawn.ticks[i])
            month = start.strftime("%m")
    if (current := drawn.in_progress) is not None:
        so_far = _("so far")
        offers[current] = f"{offers[current] or drawn.ticks[current]}\n{so_far}"
    return offers


def _totals(drawn: Bars) -> list[str]:
    """Each bar's total as its top shows it, none after `now`; or none at all when they
    would not fit their bars (then the chart has a y axis)."""
    totals = [
        "" if drawn.future is not None and i >= drawn.future else number(sum(bar.values()))
        for i, bar in enumerate(drawn.counts)
    ]
    return totals if totals_fit(totals) else []


def chart_spec(figures: Stats) -> ChartSpec:
    """What the picture shows, in the interface language."""
    drawn = bars(figures)
    zone = zone_name(figures.window.zone, figures.window.end)
    title = _("SMS per hour, {zone}") if drawn.hourly else _("SMS per day, {zone}")
    totals = _totals(drawn)
    return ChartSpec(
        title=title.format(zone=zone),
        subtitle=figures.window.description,
        ticks=spaced(_tick_offers(drawn, axis=not totals), drawn.in_progress, axis=not totals),
        series=_series(drawn.counts),
        partial=drawn.partial,
        totals=totals,
    )


def _series(counts: list[dict[str, int]]) -> list[tuple[str, list[int]]]:
    """The bars' stacks, one per route label in name order; beyond MAX_SERIES labels, the
    busiest keep theirs and the rest are drawn as one, "other routes" (the caption names
    every one)."""
    totals: dict[str, int] = {}
    for bar in counts:
        for label, count in bar.items():
            totals[label] = totals.get(label, 0) + count
    kept = set(totals)
    if len(kept) > MAX_SERIES:
        kept = set(sorted(totals, key=lambda label: (-totals[label], label))[: MAX_SERIES - 1])
    series = [
        (label or _("no route"), [bar.get(label, 0) for bar in counts]) for label in sorted(kept)
    ]
    if len(kept) < len(totals):
        rest = [sum(n for label, n in bar.items() if label not in kept) for bar in counts]
        series.append((_("other routes"), rest))
    return series


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
    now = datetime.now(UTC)
    window = parse_stats_args(list(context.args or []), now, bridge.zone)
    assert bridge.store.path is not None, "charts read the database file"
    figures = await asyncio.to_thread(
        gather, bridge.store.path, window, bridge.visible_to(update), now
    )
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
