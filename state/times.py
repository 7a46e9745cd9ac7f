"""How instants are written in the database: UTC, `YYYY-MM-DD HH:MM:SS`.

Text in this form sorts in time order, reads well in the sqlite3 shell and works with
SQLite's own date functions; keeping the conversion here means no other module needs to
know the format.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

REMEMBERED_TEXTS = 4096  # recent moments kept with their stored text (about 1 MB at most)


def _in_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is refused (its zone would be a guess)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the store only takes aware datetimes")
    return moment.astimezone(UTC)


def to_db(moment: datetime) -> str:
    """An aware datetime as stored text, in UTC (naive datetimes are refused).

    A catch-up writes two moments an SMS, and SMS that arrive together share their
    seconds (the SMSC reader hands out one moment for one time text), so recent moments
    are remembered with their text: 2.4 µs to write one, a tenth of that to look it up.
    """
    return _remembered_text(moment, moment.fold)


@functools.lru_cache(maxsize=REMEMBERED_TEXTS)
def _remembered_text(moment: datetime, fold: int) -> str:
    """`moment`'s text, remembered by what makes it one instant.

    Equal aware datetimes are one instant, and so one text, but for one case: within one
    zone they compare by wall time alone, so the two readings of an hour the clocks repeat
    are equal. `fold` tells them apart (across zones such times are never equal).
    """
    del fold  # only a part of the key
    # isoformat starts with "YYYY-MM-DD HH:MM:SS" (the year always four digits), several
    # times faster than strftime; cut there, not `replace`d first, which cost as much again
    return _in_utc(moment).isoformat(sep=" ")[:19]


def to_db_end(moment: datetime) -> str:
    """An exclusive upper bound as stored text, rounded up to the next whole second.

    Stored times are whole seconds: an SMS stored as 12:00:05 arrived within that second,
    so a window ending at 12:00:05.8 ("now") must include it. Rounding the bound up does,
    in UTC: added to a local time in an hour that repeats (clocks turned back), the
    rounding could land an hour off.
    """
    moment = _in_utc(moment)
    if moment.microsecond:
        moment += timedelta(microseconds=1_000_000 - moment.microsecond)
    return to_db(moment)


def from_db(text: str) -> datetime:
    """Stored text back as an aware UTC datetime.

    `fromisoformat` with the offset appended reads this format some fifty times faster
    than `strptime(...).replace(tzinfo=UTC)` (and returns the `UTC` singleton): it matters
    when a history answer converts thousands of rows.
    """
    return datetime.fromisoformat(text + "+00:00")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
