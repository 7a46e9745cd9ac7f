"""How instants are written in the database: UTC, `YYYY-MM-DD HH:MM:SS`.

Text in this form sorts in time order, reads well in the sqlite3 shell and works with
SQLite's own date functions; keeping the conversion here means no other module needs to
know the format.
"""

from __future__ import annotations

from datetime import UTC, datetime

DB_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def to_db(moment: datetime) -> str:
    """An aware datetime as stored text, in UTC (naive datetimes are refused)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the store only takes aware datetimes")
    # isoformat is the same text as DB_TIME_FORMAT, several times faster than strftime
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat(sep=" ")


def from_db(text: str) -> datetime:
    """Stored text back as an aware UTC datetime.

    `fromisoformat` with the offset appended reads this format some fifty times faster
    than `strptime(...).replace(tzinfo=UTC)` (and returns the `UTC` singleton): it matters
    when a history answer converts thousands of rows.
    """
    return datetime.fromisoformat(text + "+00:00")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
