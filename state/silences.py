"""Silences set from a chat (`/mute`): which SMS go there without a sound, until when.

A silence names a chat (by the ID it was configured with, so it covers its topics and
outlives a move to a supergroup), what it matches (text and a sender key, as the feature
wrote them; either may be empty), who set it, and when it ends. Nothing is dropped by a
silence: it only changes how an SMS is relayed. Ending one early sets its end to now;
`told` says whether the chat heard that it ended, so a restart tells it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from state.store import Store
from state.times import from_db, to_db

_COLUMNS = "id, chat, match_text, match_key, set_by_name, created_at, ends_at, muted"


@dataclass(frozen=True)
class Silence:
    number: int  # the row's ID: what /unmute and the end button name
    chat: str
    match_text: str  # "" matches any text
    match_key: str  # a sender key (`state.phones`); "" matches any sender
    set_by_name: str  # (and `set_by_id` in the table, for the record)
    created_at: datetime
    ends_at: datetime
    muted: int  # SMS relayed muted by it so far


def _silence(row: Sequence[object]) -> Silence:
    number, chat, text, key, by_name, created, ends, muted = row
    return Silence(
        int(str(number)),
        str(chat),
        str(text),
        str(key),
        str(by_name),
        from_db(str(created)),
        from_db(str(ends)),
        int(str(muted)),
    )


def add(
    store: Store,
    chat: str,
    match_text: str,
    match_key: str,
    by: tuple[int, str],
    now: datetime,
    ends_at: datetime,
) -> int:
    """A new silence; its number."""
    with store.transaction():
        cursor = store.conn.execute(
            "INSERT INTO silences (chat, match_text, match_key, set_by_id, set_by_name, "
            "created_at, ends_at, muted, told) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)",
            (chat, match_text, match_key, by[0], by[1], to_db(now), to_db(ends_at)),
        )
    return int(cursor.lastrowid or 0)


def active(store: Store, chat: str, now: datetime) -> list[Silence]:
    """The chat's silences in force at `now`, oldest first."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM silences WHERE chat = ? AND ends_at > ? AND told = 0 ORDER BY id",
        (chat, to_db(now)),
    ).fetchall()
    return [_silence(row) for row in rows]


def end(store: Store, chat: str, number: int, now: datetime) -> Silence | None:
    """Ends the chat's silence `number` now; None if the chat has no such silence in force."""
    with store.transaction():
        cursor = store.conn.execute(
            "UPDATE silences SET ends_at = ? WHERE id = ? AND chat = ? AND ends_at > ? "
            "AND told = 0",
            (to_db(now), number, chat, to_db(now)),
        )
        if cursor.rowcount == 0:
            return None
        row = store.conn.execute(f"SELECT {_COLUMNS} FROM silences WHERE id = ?", (number,))
        return _silence(row.fetchone())


def count_muted(store: Store, number: int, sms: int) -> None:
    """`sms` more SMS were relayed muted by silence `number` (in the booking transaction)."""
    store.conn.execute("UPDATE silences SET muted = muted + ? WHERE id = ?", (sms, number))


def ended_untold(store: Store, now: datetime) -> list[Silence]:
    """Silences that ended by `now` and whose chat has not been told yet."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM silences WHERE told = 0 AND ends_at <= ? ORDER BY ends_at",
        (to_db(now),),
    ).fetchall()
    return [_silence(row) for row in rows]


def mark_told(store: Store, number: int) -> None:
    with store.transaction():
        store.conn.execute("UPDATE silences SET told = 1 WHERE id = ?", (number,))


def next_end(store: Store) -> datetime | None:
    """When the next silence in force ends; None when none is."""
    (ends,) = store.conn.execute("SELECT min(ends_at) FROM silences WHERE told = 0").fetchone()
    return None if ends is None else from_db(str(ends))
