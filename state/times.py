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
    return moment.astimezone(UTC).strftime(DB_TIME_FORMAT)


def from_db(text: str) -> datetime:
    """Stored text back as an aware UTC datetime.

    `fromisoformat` reads this format too, and is some twenty times faster than
    `strptime`: it matters when a history answer converts thousands of rows.
    """
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
