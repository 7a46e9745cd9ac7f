"""/stats: hours and days of the display zone (DST included), the figures counted by SQL,
the caption, and the chart, a PNG drawn by matplotlib that an idle bridge never loads."""

from __future__ import annotations

import itertools
import os
import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from bot.chat.chart import (
    DPI,
    FONT_SIZE,
    HEIGHT_PX,
    PHONE_PX,
    WIDTH_PX,
    ChartSpec,
    build_figure,
    draw_chart,
    render,
)
from bot.chat.commands.export import CAPTION_LIMIT
from bot.chat.commands.stats import (
    Stats,
    bars,
    chart_spec,
    gather,
    hour_bounds,
    parse_stats_args,
    stats_caption,
)
from bot.chat.windows import Window
from bot.text.i18n import in_language
from state import IncomingSms, Placement, Store, messages, oncall
from state.oncall import Person
from state.stats import TakeDelays

BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 28, 0, 10, tzinfo=UTC)
DOCS = Path(__file__).parent.parent / "docs"
EXAMPLES = {"en": DOCS / "stats-example.png", "ru": DOCS / "stats-example-ru.png"}


def local(day: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(
    ("day", "hours", "twice"),
    [("2026-10-25", 25, "02:00"), ("2026-03-29", 23, None), ("2026-11-01", 24, None)],
)
def test_a_day_across_a_dst_change_has_its_23_or_25_hours(
    day: str, hours: int, twice: str | None
) -> None:
    start = local(day, BERLIN)
    end = local((datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat(), BERLIN)
    bounds = hour_bounds(start, end, BERLIN)
    assert len(bounds) - 1 == hours
    assert all(b.astimezone(BERLIN).minute == 0 for b in bounds)
    labels = [b.astimezone(BERLIN).strftime("%H:%M") for b in bounds[:-1]]
    if twice:
        assert labels.count(twice) == 2  # 02:00 summer time, then 02:00 winter time


def test_a_zone_half_an_hour_off_utc_gets_its_own_hours() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")
    bounds = hour_bounds(NOW, NOW + timedelta(hours=3), kolkata)
    assert [b.astimezone(kolkata).strftime("%H:%M") for b in bounds] == [
        "05:40", "06:00", "07:00", "08:00", "08:40",
    ]  # fmt: skip


def test_hours_summed_into_days_keep_the_dst_day_whole() -> None:
    window = Window(local("2026-10-24", BERLIN), local("2026-10-27", BERLIN), "3 days", BERLIN)
    bounds = hour_bounds(window.start, window.end, BERLIN)
    figures = Stats(window, bounds, [{"": 1} for _ in bounds[:-1]], [], None)
    drawn = bars(figures)
    assert drawn.ticks == ["24.10", "25.10", "26.10"] and not drawn.hourly
    assert [day[""] for day in drawn.counts] == [24, 25, 24]
    assert drawn.partial == [False, False, False]


def test_the_same_day_of_two_years_is_two_bars() -> None:
    window = parse_stats_args(["28.11.2025 28.11.2026"], NOW, MOSCOW)
    bounds = hour_bounds(window.start, window.end, MOSCOW)
    drawn = bars(Stats(window, bounds, [{"": 1} for _ in bounds[:-1]], [], None, NOW))
    assert len(drawn.ticks) == 366 and drawn.ticks[0] == drawn.ticks[-1] == "28.11"
    assert drawn.counts[0] == drawn.counts[-1] == {"": 24}
    assert drawn.in_progress == 365


def stored(tmp_path: Path) -> Path:
    store = Store.open(tmp_path / "bridge.db")
    senders = ["Sberbank"] * 5 + ["79261112233", "+7 (926) 111-22-33", "89261112233"] + ["Tinkoff"]
    batch = [
        IncomingSms(n, sender, "79031234567", f"SMS {n}", NOW - timedelta(hours=n))
        for n, sender in enumerate(senders, start=1)
    ]
    messages.save_incoming(store, batch, ["-1001"])
    for n, minutes in ((1, 1), (2, 2), (3, 3), (4, 10), (5, 60)):
        moment = NOW - timedelta(hours=n) + timedelta(minutes=minutes)
        oncall.take(store, [n], Person(1, "Anna"), moment)
    store.close()
    return tmp_path / "bridge.db"


def test_the_figures_are_counted_by_sql_on_a_snapshot(tmp_path: Path) -> None:
    window = parse_stats_args([], NOW, MOSCOW)
    assert window.end - window.start == timedelta(days=7)
    figures = gather(stored(tmp_path), window)
    assert figures.total == 9
    assert figures.senders == [("Sberbank", 5), ("+7 (926) 111-22-33", 3), ("Tinkoff", 1)]
    assert figures.delays == TakeDelays(taken=5, median=180, p90=3600)
    assert sum(hour.get("", 0) for hour in figures.hourly[-10:]) == 9


def test_a_routed_chat_counts_its_own_sms_and_their_takes(tmp_path: Path) -> None:
    """With routes a chat's figures are its own SMS; its take delays failed as bad SQL."""
    store = Store.open(tmp_path / "bridge.db")
    batch = [
        IncomingSms(n, "Sberbank", "79031234567", f"SMS {n}", NOW - timedelta(hours=n))
        for n in range(1, 5)
    ]
    chat_of = {1: "-1001", 2: "-1001", 3: "-1002", 4: "-1002"}
    messages.save_incoming(store, batch, lambda sms: Placement(visible_to=(chat_of[sms.smsc_id],)))
    for n, minutes in ((1, 1), (3, 30), (4, 40)):
        moment = NOW - timedelta(hours=n) + timedelta(minutes=minutes)
        oncall.take(store, [n], Person(1, "Anna"), moment)
    store.close()
    window = parse_stats_args([], NOW, MOSCOW)
    figures = gather(tmp_path / "bridge.db", window, visible_to="-1001")
    assert figures.total == 2 and figures.senders == [("Sberbank", 2)]
    assert figures.delays == TakeDelays(taken=1, median=60, p90=60)


def test_the_caption_says_the_chart_in_numbers_within_telegrams_limit(tmp_path: Path) -> None:
    window = parse_stats_args(["24h"], NOW, MOSCOW)
    figures = gather(stored(tmp_path), window)
    lines = stats_caption(figures).splitlines()
    assert lines[:4] == [
        "SMS statistics",
        "the last 24 hours (27.11.2026 03:10 – 28.11.2026 03:10 MSK)",
        "total: 9 SMS",
        "busiest hour: 27.11 18:00–19:00 MSK, 1 SMS",  # a tie: the earliest
    ]
    assert lines[4:8] == [
        "top senders:",
        "1. Sberbank — 5",
        "2. +7 (926) 111-22-33 — 3",
        "3. Tinkoff — 1",
    ]
    assert lines[-1] == "arrival to taken (5 of 9 taken): median 3 min, 90% within 60 min"
    long_names = Stats(window, figures.bounds, figures.hourly, [("x" * 500, 1)] * 5, None)
    assert len(stats_caption(long_names)) <= CAPTION_LIMIT
    with in_language("ru"):
        assert "медиана 3 мин" in stats_caption(figures)


def test_labels_stack_and_are_named_in_the_caption() -> None:
    window = parse_stats_args(["2d"], NOW, MOSCOW)
    bounds = hour_bounds(window.start, window.end, MOSCOW)
    hourly = [{"ops": 2, "": 1} for _ in bounds[:-1]]
    figures = Stats(window, bounds, hourly, [], None)
    spec = chart_spec(figures)
    assert [name for name, _ in spec.series] == ["no route", "ops"]
    assert spec.title == "SMS per hour, MSK" and spec.partial[0] and spec.partial[-1]
    # 49 bars: 03:10, 04:00, ..., 03:00
    assert "by route: no route 49, ops 98" in stats_caption(figures).splitlines()


def test_the_busiest_hour_is_named_by_the_bounds_the_window_cuts_it_to() -> None:
    window = parse_stats_args(["24h"], NOW, MOSCOW)  # 27.11 03:10 – 28.11 03:10 MSK
    bounds = hour_bounds(window.start, window.end, MOSCOW)
    for busiest, named in (
        (0, "27.11 03:10–04:00"),
        (1, "27.11 04:00–05:00"),
        (-1, "28.11 03:00–03:10"),
    ):
        hourly = [{"": 1} for _ in bounds[:-1]]
        hourly[busiest] = {"": 5}
        caption = stats_caption(Stats(window, bounds, hourly, [], None))
        assert f"busiest hour: {named} MSK, 5 SMS" in caption.splitlines()


def test_a_day_in_progress_is_labelled_so_and_a_day_the_window_only_cuts_is_not() -> None:
    spec = chart_spec(example())  # the last 7 days, at 28.11 03:10 MSK
    assert spec.ticks[-1] == "28\nso far" and spec.partial[-1]
    assert spec.ticks[0] == "21.11" and spec.partial[0]  # begun before the window, but over
    assert not any("so far" in tick for tick in spec.ticks[:-1])
    with in_language("ru"):
        assert chart_spec(example()).ticks[-1] == "28\nпока"


def test_today_is_in_progress_in_a_window_of_dates_and_later_days_have_no_total() -> None:
    window = parse_stats_args(["26.11 30.11"], NOW, MOSCOW)  # today is 28.11, 03:10 MSK
    bounds = hour_bounds(window.start, window.end, MOSCOW)
    hourly = [{"": 1 if start < NOW else 0} for start in bounds[:-1]]
    spec = chart_spec(Stats(window, bounds, hourly, [], None, now=NOW))
    assert spec.ticks == ["26.11", "27", "28\nso far", "29", "30"]
    assert spec.totals == ["24", "24", "4", "", ""]  # 00:00-03:10 today; nothing yet after
    assert spec.partial == [False] * 5  # the window cuts no day: faint is for cut days
    past = Stats(window, bounds, hourly, [], None)  # counted when the window was over
    assert not any("so far" in tick for tick in chart_spec(past).ticks)


def test_the_hour_in_progress_is_labelled_so_and_the_others_are_round_hours() -> None:
    window = parse_stats_args(["24h"], NOW, MOSCOW)
    bounds = hour_bounds(window.start, window.end, MOSCOW)
    spec = chart_spec(Stats(window, bounds, [{"": 2} for _ in bounds[:-1]], [], None))
    assert spec.ticks[-1] == "03:00\nso far" and spec.title == "SMS per hour, MSK"
    shown = [tick for tick in spec.ticks[:-1] if tick]
    assert 2 <= len(shown) <= 6 and all(tick.endswith(":00") for tick in shown)
    assert spec.totals == []  # 25 totals would not fit their bars: a y axis instead
    yesterday = parse_stats_args(["27.11"], NOW, MOSCOW)  # over: nothing in progress
    bounds = hour_bounds(yesterday.start, yesterday.end, MOSCOW)
    spec = chart_spec(Stats(yesterday, bounds, [{"": 2} for _ in bounds[:-1]], [], None, NOW))
    assert "00:00" in spec.ticks and not any("so far" in tick for tick in spec.ticks)


def test_beyond_six_routes_the_quietest_are_drawn_as_one() -> None:
    window = parse_stats_args(["7d"], NOW, MOSCOW)
    bounds = hour_bounds(window.start, window.end, MOSCOW)
    counts = {f"route {n}": n for n in range(1, 9)}  # route 1 the quietest
    spec = chart_spec(Stats(window, bounds, [counts for _ in bounds[:-1]], [], None))
    names = [name for name, _ in spec.series]
    assert names == [f"route {n}" for n in range(4, 9)] + ["other routes"]
    assert spec.series[-1][1][1] == 24 * (1 + 2 + 3)  # a whole day of routes 1 to 3


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def example(routes: tuple[str, str] = ("ops", "night")) -> Stats:
    """A week of an on-call inbox: busy working hours, a night alarm, two routes."""
    window = parse_stats_args(["7d"], NOW, MOSCOW)
    bounds = hour_bounds(window.start, window.end, MOSCOW)
    hourly = []
    for n, start in enumerate(bounds[:-1]):
        moment = start.astimezone(MOSCOW)
        weekend = moment.weekday() >= 5
        busy = 9 <= moment.hour <= 18 and not weekend
        alarm = moment.day == 25 and moment.hour in (2, 3, 4)  # a night of boiler alarms
        ops = (n * 7) % 5 + (6 if busy else 1)
        night = 9 if alarm else (n % 3 if not busy else 0)
        hourly.append({routes[0]: ops, routes[1]: night})
    senders = [("Sberbank", 212), ("79261112233", 97), ("Tinkoff", 64), ("79035550000", 31)]
    return Stats(window, bounds, hourly, senders, TakeDelays(412, 95, 780))


@pytest.mark.parametrize(
    ("language", "routes"), [("en", ("ops", "night")), ("ru", ("дежурные", "ночь"))]
)
def test_the_chart_is_a_phone_sized_png_and_the_docs_show_one_in_each_language(
    language: str, routes: tuple[str, str]
) -> None:
    with in_language(language):
        png = draw_chart(chart_spec(example(routes)))
    assert png_size(png) == (WIDTH_PX, HEIGHT_PX)
    assert 10_000 < len(png) < 500_000
    if os.environ.get("UPDATE_GALLERY"):
        EXAMPLES[language].write_bytes(png)
    assert png_size(EXAMPLES[language].read_bytes()) == (WIDTH_PX, HEIGHT_PX)
    one = ChartSpec("t", "w", ["a"], [("", [3])])
    assert png_size(draw_chart(one)) == (WIDTH_PX, HEIGHT_PX)


def laid_out(spec: ChartSpec) -> Figure:
    with matplotlib.rc_context({"font.size": FONT_SIZE}):
        return build_figure(spec)


def november_in_russian(routes: int) -> ChartSpec:
    """`/stats 01.11 30.11` with UI_LANGUAGE=ru: a long title, long route labels."""
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    with in_language("ru"):
        window = parse_stats_args(["01.11", "30.11"], now, MOSCOW)
        bounds = hour_bounds(window.start, window.end, MOSCOW)
        names = ["", "котельная-север", "диспетчерская", *(f"маршрут-{n}" for n in range(routes))]
        hourly = [dict.fromkeys(names[:routes], 1) for _ in bounds[:-1]]
        return chart_spec(Stats(window, bounds, hourly, [], None))


@pytest.mark.parametrize("routes", [3, 8])
def test_the_legend_is_never_drawn_over_the_title_nor_the_axes(routes: int) -> None:
    spec = november_in_russian(routes)
    assert len(spec.series) == min(routes, 6) and spec.title == "SMS по дням, МСК"
    assert spec.subtitle == "с 01.11.2026 по 30.11.2026"
    figure = laid_out(spec)
    assert isinstance(figure.canvas, FigureCanvasAgg)
    renderer = figure.canvas.get_renderer()
    (axes,) = figure.axes
    (legend,) = figure.legends
    (title_text,) = [t for t in figure.findobj(Text) if t.get_text() == spec.title]
    title = title_text.get_window_extent(renderer)
    assert title.width > 300 and title.height > 40  # the title drawn, measured
    box = legend.get_window_extent(renderer)
    assert not title.overlaps(box)
    assert not axes.get_tightbbox(renderer).overlaps(box)  # bars, ticks, the window's line
    assert not axes.get_tightbbox(renderer).overlaps(title)
    picture = figure.bbox
    for drawn in (title, box):
        assert picture.x0 <= drawn.x0 and drawn.x1 <= picture.x1  # nothing cut off
        assert picture.y0 <= drawn.y0 and drawn.y1 <= picture.y1
    assert len(legend.get_texts()) == len(spec.series) and legend._ncols <= 3


@pytest.mark.parametrize("asked", ["24h", "2d", "7d", "30d", "01.11 30.11", "90d"])
def test_every_word_is_legible_at_a_phones_width_and_no_two_labels_touch(asked: str) -> None:
    """A phone shows the picture PHONE_PX wide: a word there must not be much smaller
    than the chat's text (some 14 pixels), and labels must not run into each other."""
    with in_language("ru"):  # the longer words
        window = parse_stats_args(asked.split(), NOW, MOSCOW)
        bounds = hour_bounds(window.start, window.end, MOSCOW)
        hourly = [{"": 1000 if n % 7 else 3, "котельная-север": 5} for n in range(len(bounds) - 1)]
        spec = chart_spec(Stats(window, bounds, hourly, [], None))
    figure = laid_out(spec)
    assert isinstance(figure.canvas, FigureCanvasAgg)
    renderer = figure.canvas.get_renderer()
    words = [t for t in figure.findobj(Text) if t.get_text().strip() and t.get_visible()]
    on_phone = {t.get_text(): t.get_fontsize() * DPI / 72 * PHONE_PX / WIDTH_PX for t in words}
    assert min(on_phone.values()) >= 11.5, on_phone
    (axes,) = figure.axes
    for kind in (axes.get_xticklabels(), [t for t in axes.texts if t.get_text()[:1].isdigit()]):
        boxes = sorted(
            (t.get_window_extent(renderer) for t in kind if t.get_text()), key=lambda b: b.x0
        )
        assert all(left.x1 < right.x0 for left, right in itertools.pairwise(boxes)), asked
    drawn = figure.get_tightbbox(renderer).transformed(figure.dpi_scale_trans)
    assert figure.bbox.contains(drawn.x0, drawn.y0) and figure.bbox.contains(drawn.x1, drawn.y1)


async def test_a_chart_is_drawn_in_a_child_process_the_bridge_never_imports_matplotlib(
    tmp_path: Path,
) -> None:
    png = await render(ChartSpec("t", "w", ["a", "b"], [("", [3, 4])]), tmp_path / "mpl")
    assert png_size(png) == (WIDTH_PX, HEIGHT_PX)
    assert (tmp_path / "mpl").is_dir()  # matplotlib's font cache, kept for the next chart


def test_the_bridge_loads_without_matplotlib() -> None:
    code = (
        "import sys, bot.app.lifecycle, bot.app.wiring, bot.chat.dispatcher, "
        "bot.chat.commands.stats; "
        "print('matplotlib' in sys.modules, 'numpy' in sys.modules)"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert found == ["False", "False"]
