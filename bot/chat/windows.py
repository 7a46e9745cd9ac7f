"""Time windows typed in chat commands: `2h`, `yesterday`, `23:00`, `28.11`, `28.11–30.11`...

Pure functions: the caller passes "now" and the display zone, so every case is testable
without a clock. Calendar words, dates and times are read in the display zone; the window
itself is returned in UTC, half-open: [start, end).

Dates are accepted the way answers write them (`28.11.2026`, or `28.11` for the most
recent 28 November) as well as ISO (`2026-11-28`); a range joins two of them with a space,
a dash or `..`. `HH:MM` means its most recent occurrence: at 03:10, `23:00` is since
23:00 yesterday. Russian words are understood whatever the interface language
(`сегодня`, `вчера`, `30м`, `2ч`, `7д`, `1н`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.text.clock import clock, day, span
from bot.text.i18n import N_, _, ngettext

# For /help: every form, in the interface language.
WINDOW_FORMS = N_("30m, 2h, 7d, today, yesterday, 23:00, 28.11, 28.11–30.11")
MAX_SPAN = timedelta(days=3660)  # ten years: longer than anything SMSC or a user keeps
# The days a date may name. Python's calendar ends at year 1 and 9999, and a zone's
# midnight on those days is out of it in UTC; well inside, a typo (`28.11.0026`) gets a
# reason instead of an empty answer.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)

_DURATION = re.compile(r"^(\d{1,6})\s*(m|min|h|d|w|м|мин|ч|д|н|нед)$", re.IGNORECASE)
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$", re.ASCII)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2}))?$", re.ASCII)
_DOTTED_RANGE = re.compile(r"^(\d{1,2}\.\d{1,2}(?:\.\d{2,4})?)-(\d{1,2}\.\d{1,2}(?:\.\d{2,4})?)$")
_RANGE_SEPARATORS = ("..", "–", "—", " - ", " ")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_UNITS = {"m": "m", "min": "m", "м": "m", "мин": "m", "h": "h", "ч": "h"}
_UNITS |= {"d": "d", "д": "d", "w": "w", "н": "w", "нед": "w"}
_TODAY = {"today", "сегодня"}
_YESTERDAY = {"yesterday", "вчера"}


class WindowError(ValueError):
    """The text is not a window; the message says why, in one line, for the user."""


@dataclass(frozen=True)
class Window:
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC, excluded
    description: str  # what the user asked for, in words
    zone: ZoneInfo

    def label(self) -> str:
        """The window as answers state it: words, then local bounds with the zone."""
        return f"{self.description} ({span(self.start, self.end, self.zone)})"

    def file_name(self, suffix: str) -> str:
        """A file named after the window: `sms 2026-11-28 1405 - 2026-11-28 1605.csv`."""
        start, end = (moment.astimezone(self.zone) for moment in (self.start, self.end))
        return f"sms {start:%Y-%m-%d %H%M} - {end:%Y-%m-%d %H%M}{suffix}"


def _midnight(day_: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day_, time(0), tzinfo=zone).astimezone(UTC)


# One of a unit reads as a word of its own: "the last hour", "последние сутки", never
# "последний 1 день".
_THE_LAST_ONE = {
    "m": N_("the last minute"),
    "h": N_("the last hour"),
    "d": N_("the last day"),
    "w": N_("the last week"),
}


def _the_last(amount: int, unit: str) -> str:
    if amount == 1:
        return _(_THE_LAST_ONE[unit])
    if unit == "m":
        return ngettext("the last {n} minute", "the last {n} minutes", amount).format(n=amount)
    if unit == "h":
        return ngettext("the last {n} hour", "the last {n} hours", amount).format(n=amount)
    if unit == "d":
        return ngettext("the last {n} day", "the last {n} days", amount).format(n=amount)
    return ngettext("the last {n} week", "the last {n} weeks", amount).format(n=amount)


def parse_date(text: str, today: date) -> date | None:
    """`2026-11-28`, `28.11.2026`, `28.11.26`, or `28.11` (its most recent occurrence).

    None when the text is not shaped like a date; WindowError when it is, but no real day
    or a day outside FIRST_DAY..LAST_DAY.
    """
    yearless = False
    if iso := _ISO_DATE.match(text):
        year, month, day_ = (int(g) for g in iso.groups())
    elif dotted := _DOTTED_DATE.match(text):
        day_, month, written = int(dotted.group(1)), int(dotted.group(2)), dotted.group(3)
        yearless = written is None
        year = today.year if written is None else int(written) + (2000 if len(written) == 2 else 0)
    else:
        return None
    try:
        found = date(year, month, day_)
        if yearless and found > today:
            found = found.replace(year=year - 1)  # "28.11" on 1 March: last November
    except ValueError:  # 31.02, or 29.02 of a year that has none
        raise WindowError(_("“{text}” is not a real date").format(text=text)) from None
    return _within_calendar(found, text)


def _within_calendar(found: date, text: str) -> date:
    if FIRST_DAY <= found <= LAST_DAY:
        return found
    raise WindowError(
        _("“{text}” is outside the dates the bridge reads, {first} to {last}").format(
            text=text, first=FIRST_DAY.strftime("%d.%m.%Y"), last=LAST_DAY.strftime("%d.%m.%Y")
        )
    )


def _days(first: date, last: date, zone: ZoneInfo, description: str, text: str) -> Window:
    if last < first:
        raise WindowError(
            _("{last} is before {first}").format(
                last=last.strftime("%d.%m.%Y"), first=first.strftime("%d.%m.%Y")
            )
        )
    if last - first >= MAX_SPAN:  # as for `5000w`: /stats would count every hour of it
        raise WindowError(_("{text} is longer than ten years").format(text=text))
    return Window(
        _midnight(first, zone), _midnight(last + timedelta(days=1), zone), description, zone
    )


def _next_year(day_: date, text: str) -> date:
    """The same day a year later: `03.01` in "28.12–03.01" is in the next year."""
    try:
        return _within_calendar(day_.replace(year=day_.year + 1), text)
    except ValueError:  # 29.02, and the next year has none
        raise WindowError(_("“{text}” is not a real date").format(text=text)) from None


def _range(text: str, today: date, zone: ZoneInfo) -> Window | None:
    """Two dates joined by a space, a dash or `..`; None when the text is not a range."""
    pairs = [text.split(sep, 1) for sep in _RANGE_SEPARATORS if sep in text]
    if match := _DOTTED_RANGE.match(text):
        pairs.append([match.group(1), match.group(2)])
    for left, right in pairs:
        first, last = parse_date(left.strip(), today), parse_date(right.strip(), today)
        if first is not None and last is not None:
            if last < first and right.count(".") == 1:  # "28.12–03.01": across New Year
                last = _next_year(last, right.strip())
            description = _("{first} to {last}").format(
                first=first.strftime("%d.%m.%Y"), last=last.strftime("%d.%m.%Y")
            )
            return _days(first, last, zone, description, text)
    return None


def _duration(amount: int, unit: str, word: str, now: datetime, zone: ZoneInfo) -> Window:
    if amount == 0:
        raise WindowError(_("a window must be longer than zero"))
    length = timedelta(seconds=amount * _UNIT_SECONDS[unit])
    if length > MAX_SPAN:
        raise WindowError(_("{text} is longer than ten years").format(text=word))
    return Window(now - length, now, _the_last(amount, unit), zone)


def _since(hour: int, minute: int, now: datetime, zone: ZoneInfo) -> Window:
    """Since the most recent HH:MM: today's if it has passed, else yesterday's."""
    local_now = now.astimezone(zone)
    since = datetime.combine(local_now.date(), time(hour, minute), tzinfo=zone)
    description = _("since {time} today")
    if since > local_now:
        since = datetime.combine(
            local_now.date() - timedelta(days=1), time(hour, minute), tzinfo=zone
        )
        description = _("since {time} yesterday")
    return Window(since.astimezone(UTC), now, description.format(time=clock(since, zone)), zone)


def parse_window(text: str, now: datetime, zone: ZoneInfo) -> Window:
    """Read a window; raise WindowError with a reason the user can act on."""
    text = " ".join(text.split())
    now = now.astimezone(UTC)
    today = now.astimezone(zone).date()
    word = text.lower()
    if word in _TODAY:
        return Window(_midnight(today, zone), now, _("today"), zone)
    if word in _YESTERDAY:
        return Window(
            _midnight(today - timedelta(days=1), zone), _midnight(today, zone), _("yesterday"), zone
        )
    if match := _DURATION.match(word):
        return _duration(int(match.group(1)), _UNITS[match.group(2).lower()], word, now, zone)
    if match := _CLOCK.match(word):
        return _since(int(match.group(1)), int(match.group(2)), now, zone)
    if (single := parse_date(word, today)) is not None:
        return _days(single, single, zone, day(_midnight(single, zone), zone), text)
    if (ranged := _range(word, today, zone)) is not None:
        return ranged
    raise WindowError(_("“{text}” is not a time window").format(text=text))


def split_trailing_window(
    words: list[str], now: datetime, zone: ZoneInfo
) -> tuple[list[str], Window | None]:
    """Separate a window written at the end of other words (`/search code 2h`).

    Tries the last two words (a date range), then the last one; the words before it must
    not be empty, so `/search today` searches for "today".
    """
    for size in (2, 1):
        if len(words) > size:
            try:
                return words[:-size], parse_window(" ".join(words[-size:]), now, zone)
            except WindowError:
                continue
    return words, None
